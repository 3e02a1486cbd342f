import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyRefund,
  computeOrderAmounts,
  currencyDigits,
  fromMinorUnits,
  maxMinorUnits,
  momentProblem,
  normaliseCurrency,
  orderStatusChange,
  readMoney,
  statusAfterRefunds,
  toMinorUnits,
} from './commerce.ts';
import type { FieldProblem } from './customers.ts';
import { cpuMs } from '../../test/cpu.ts';

describe('currencies', () => {
  it('knows ISO 4217 codes in any case and refuses the rest', () => {
    expect(normaliseCurrency(' eur ')).toBe('EUR');
    expect(normaliseCurrency('JPY')).toBe('JPY');
    expect(normaliseCurrency('XYZ')).toBeNull();
    expect(normaliseCurrency('EURO')).toBeNull();
    expect(normaliseCurrency('')).toBeNull();
  });

  it("reads the minor unit's digits from Intl", () => {
    expect(currencyDigits('EUR')).toBe(2);
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KRW')).toBe(0);
    expect(currencyDigits('BHD')).toBe(3);
    expect(currencyDigits('KWD')).toBe(3);
  });
});

describe('money in minor units', () => {
  it('converts numbers and decimal strings exactly', () => {
    expect(toMinorUnits('19.99', 'EUR')).toEqual({ ok: true, minor: 1999 });
    expect(toMinorUnits(19.99, 'EUR')).toEqual({ ok: true, minor: 1999 });
    // 0.1 + 0.2 is 0.30000000000000004: more decimals than EUR has, refused rather than rounded.
    expect(toMinorUnits(0.1 + 0.2, 'EUR').ok).toBe(false);
    expect(toMinorUnits(1.005, 'EUR').ok).toBe(false);
    expect(toMinorUnits('1.50', 'EUR')).toEqual({ ok: true, minor: 150 });
    expect(toMinorUnits('1.5', 'EUR')).toEqual({ ok: true, minor: 150 });
    expect(toMinorUnits('2', 'EUR')).toEqual({ ok: true, minor: 200 });
    expect(toMinorUnits('2.', 'EUR')).toEqual({ ok: true, minor: 200 });
    expect(toMinorUnits(' 7.25 ', 'USD')).toEqual({ ok: true, minor: 725 });
    expect(toMinorUnits('-3.10', 'EUR')).toEqual({ ok: true, minor: -310 });
    expect(toMinorUnits('1500', 'JPY')).toEqual({ ok: true, minor: 1500 });
    expect(toMinorUnits('1500.00', 'JPY')).toEqual({ ok: true, minor: 1500 });
    expect(toMinorUnits('1.234', 'BHD')).toEqual({ ok: true, minor: 1234 });
    expect(toMinorUnits('0.001', 'KWD')).toEqual({ ok: true, minor: 1 });
  });

  it('refuses more decimals than the currency has, with a message that says so', () => {
    expect(toMinorUnits('19.999', 'EUR')).toEqual({ ok: false, message: 'EUR has 2 decimals: 19.999 has more' });
    expect(toMinorUnits('10.5', 'JPY')).toEqual({
      ok: false,
      message: 'JPY has no minor unit: 10.5 must be a whole amount',
    });
    expect(toMinorUnits('1.2345', 'BHD').ok).toBe(false);
    expect(toMinorUnits('19.9900000', 'EUR')).toEqual({ ok: true, minor: 1999 });
    expect(toMinorUnits('19.9000001', 'EUR').ok).toBe(false);
  });

  // Took 2 s at 80,000 zeros before (the time grew with the square of their number); a cell of an orders file may
  // have a million characters.
  it('reads an amount in linear time on hostile input: a long run of zeros that does not end it', () => {
    const ms = cpuMs(() => {
      expect(toMinorUnits(`1.${'0'.repeat(200_000)}1`, 'EUR').ok).toBe(false);
      expect(toMinorUnits(`1.${'0'.repeat(200_000)}`, 'EUR')).toEqual({ ok: true, minor: 100 });
    });
    expect(ms).toBeLessThan(3000);
  });

  it('refuses what is not a plain decimal amount', () => {
    for (const bad of ['', 'abc', '1,50', '€5', '1e3', '1.2.3', '0x10', '.5', ' ', 'NaN'])
      expect(toMinorUnits(bad, 'EUR').ok, bad).toBe(false);
    expect(toMinorUnits(Number.NaN, 'EUR').ok).toBe(false);
    expect(toMinorUnits(Infinity, 'EUR').ok).toBe(false);
    expect(toMinorUnits(1e21, 'EUR').ok).toBe(false);
    expect(toMinorUnits('99999999999999999999', 'EUR')).toEqual({
      ok: false,
      message: '99999999999999999999 is more than the largest amount Rapport keeps (10000000000.00 EUR)',
    });
  });

  it('writes minor units back as decimals', () => {
    expect(fromMinorUnits(1999, 'EUR')).toBe('19.99');
    expect(fromMinorUnits(5, 'EUR')).toBe('0.05');
    expect(fromMinorUnits(0, 'EUR')).toBe('0.00');
    expect(fromMinorUnits(-5, 'EUR')).toBe('-0.05');
    expect(fromMinorUnits(1500, 'JPY')).toBe('1500');
    expect(fromMinorUnits(1234, 'BHD')).toBe('1.234');
  });

  it('reads back what it writes, for any amount and currency', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.constantFrom('EUR', 'JPY', 'BHD', 'USD', 'CLF'),
        (minor, currency) => {
          const r = toMinorUnits(fromMinorUnits(minor, currency), currency);
          return r.ok && r.minor === minor;
        },
      ),
    );
  });

  it('names the field of a bad or negative amount', () => {
    const problems: FieldProblem[] = [];
    expect(readMoney('1.999', 'EUR', 'lines[2].unitPrice', problems)).toBeNull();
    expect(readMoney('-1', 'EUR', 'discount', problems)).toBeNull();
    expect(readMoney('0', 'EUR', 'amount', problems, { allowZero: false })).toBeNull();
    expect(readMoney('0', 'EUR', 'tax', problems)).toBe(0);
    expect(problems).toEqual([
      { field: 'lines[2].unitPrice', message: 'EUR has 2 decimals: 1.999 has more' },
      { field: 'discount', message: 'must not be negative' },
      { field: 'amount', message: 'must be more than zero' },
    ]);
  });
});

describe('order amounts', () => {
  const none = { discount: 0, tax: 0, shipping: 0 };

  it('sums the lines and adds tax and shipping, takes off the discount', () => {
    const r = computeOrderAmounts(
      {
        lines: [
          { quantity: 2, unitPrice: 1999 },
          { quantity: 1, unitPrice: 500, amount: 450 },
        ],
        discount: 300,
        tax: 200,
        shipping: 495,
      },
      'EUR',
    );
    expect(r).toEqual({
      ok: true,
      amounts: { lineAmounts: [3998, 450], subtotal: 4448, discount: 300, tax: 200, shipping: 495, total: 4843 },
    });
  });

  it('takes a subtotal or a total when there are no lines', () => {
    expect(computeOrderAmounts({ lines: [], subtotal: 1000, ...none, shipping: 100 }, 'EUR')).toMatchObject({
      ok: true,
      amounts: { subtotal: 1000, total: 1100 },
    });
    expect(computeOrderAmounts({ lines: [], total: 1100, ...none, tax: 100 }, 'EUR')).toMatchObject({
      ok: true,
      amounts: { subtotal: 1000, total: 1100 },
    });
    expect(computeOrderAmounts({ lines: [], ...none }, 'EUR')).toEqual({
      ok: false,
      problems: [{ field: 'lines', message: 'an order needs lines, a subtotal or a total' }],
    });
  });

  it('refuses a subtotal or total that does not add up, saying what it should be', () => {
    expect(computeOrderAmounts({ lines: [{ quantity: 3, unitPrice: 100 }], subtotal: 200, ...none }, 'EUR')).toEqual({
      ok: false,
      problems: [{ field: 'subtotal', message: '2.00 EUR is not the sum of the lines (3.00 EUR)' }],
    });
    expect(
      computeOrderAmounts({ lines: [{ quantity: 1, unitPrice: 1000 }], total: 1000, ...none, tax: 190 }, 'EUR'),
    ).toEqual({
      ok: false,
      problems: [{ field: 'total', message: '10.00 EUR is not subtotal − discount + tax + shipping (11.90 EUR)' }],
    });
  });

  it('refuses a discount larger than the order', () => {
    const r = computeOrderAmounts({ lines: [{ quantity: 1, unitPrice: 1000 }], ...none, discount: 1500 }, 'EUR');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.field).toBe('discount');
  });

  it('refuses amounts beyond the largest one kept, so that sums of amounts stay exact', () => {
    // 10^12 minor units (10,000,000,000.00 EUR) is the largest amount; the next cent is refused.
    expect(maxMinorUnits).toBe(1e12);
    expect(toMinorUnits('10000000000.00', 'EUR')).toEqual({ ok: true, minor: 1e12 });
    expect(toMinorUnits('10000000000.01', 'EUR').ok).toBe(false);
    expect(toMinorUnits(1e12 + 1, 'JPY').ok).toBe(false);
    // What an amount up to 2^53 let through before: a few of them summed past 2^53 and lost cents.
    expect(toMinorUnits('90071992547409.91', 'EUR').ok).toBe(false);
    const at = (input: Partial<Parameters<typeof computeOrderAmounts>[0]>) => {
      const r = computeOrderAmounts({ lines: [], ...none, ...input }, 'EUR');
      return r.ok ? [] : r.problems.map((p) => p.field);
    };
    expect(at({ lines: [{ quantity: 3, unitPrice: 4e11 }] })).toEqual(['lines[0].amount']);
    expect(
      at({
        lines: [
          { quantity: 1, unitPrice: 6e11 },
          { quantity: 1, unitPrice: 6e11 },
        ],
      }),
    ).toEqual(['subtotal']);
    expect(at({ subtotal: 9e11, tax: 2e11 })).toEqual(['total']);
    expect(at({ subtotal: 1e12 })).toEqual([]);
    // The largest orders still add up exactly as JavaScript numbers: 9,000 of them are below 2^53.
    expect(Number.isSafeInteger(9000 * maxMinorUnits)).toBe(true);
  });

  it('keeps total = subtotal − discount + tax + shipping for any lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ quantity: fc.integer({ min: 1, max: 50 }), unitPrice: fc.integer({ min: 0, max: 1e6 }) })),
        fc.integer({ min: 0, max: 1e5 }),
        fc.integer({ min: 0, max: 1e5 }),
        (lines, tax, shipping) => {
          const r = computeOrderAmounts(
            { lines, discount: 0, tax, shipping, subtotal: lines.length ? undefined : 0 },
            'EUR',
          );
          if (!r.ok) return false;
          const sum = lines.reduce((a, l) => a + l.quantity * l.unitPrice, 0);
          return r.amounts.subtotal === sum && r.amounts.total === sum + tax + shipping;
        },
      ),
    );
  });
});

describe('refunds and status', () => {
  const paid = { status: 'paid' as const, total: 10000, refunded: 0, currency: 'EUR' };

  it('accumulates partial refunds until the order is refunded in full', () => {
    const first = applyRefund(paid, 2500);
    expect(first).toEqual({ ok: true, refunded: 2500, status: 'partially_refunded' });
    const second = applyRefund({ ...paid, status: 'partially_refunded', refunded: 2500 }, 7500);
    expect(second).toEqual({ ok: true, refunded: 10000, status: 'refunded' });
  });

  it('refuses more than what is left, naming what is left', () => {
    expect(applyRefund({ ...paid, status: 'partially_refunded', refunded: 9000 }, 1001)).toEqual({
      ok: false,
      code: 'conflict',
      message: 'A refund of 10.01 EUR is more than what is left to refund (10.00 EUR of 100.00 EUR)',
    });
    expect(applyRefund({ ...paid, status: 'refunded', refunded: 10000 }, 1)).toMatchObject({
      ok: false,
      message: 'The order is already refunded in full',
    });
  });

  it('refuses refunds of unpaid and canceled orders, and of nothing', () => {
    expect(applyRefund({ ...paid, status: 'placed' }, 100)).toMatchObject({ ok: false, code: 'conflict' });
    expect(applyRefund({ ...paid, status: 'canceled' }, 100)).toMatchObject({ ok: false, code: 'conflict' });
    expect(applyRefund(paid, 0)).toMatchObject({ ok: false, code: 'validation_failed' });
  });

  it('never refunds more than the total, whatever the sequence of refunds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.array(fc.integer({ min: 1, max: 1e6 })), (total, amounts) => {
        let o = { status: 'paid' as 'paid' | 'partially_refunded' | 'refunded', total, refunded: 0, currency: 'EUR' };
        for (const a of amounts) {
          const r = applyRefund(o, a);
          if (r.ok) o = { ...o, refunded: r.refunded, status: r.status };
          if (o.refunded > total) return false;
          if (o.status !== statusAfterRefunds(total, o.refunded)) return false;
        }
        return true;
      }),
    );
  });

  it('derives the status from the refunded amount', () => {
    expect(statusAfterRefunds(100, 0)).toBe('paid');
    expect(statusAfterRefunds(100, 1)).toBe('partially_refunded');
    expect(statusAfterRefunds(100, 100)).toBe('refunded');
  });

  it('allows placed → paid | canceled only; refunded orders stay as they are when written as paid', () => {
    expect(orderStatusChange('placed', 'paid')).toEqual({ ok: true, changed: true });
    expect(orderStatusChange('placed', 'canceled')).toEqual({ ok: true, changed: true });
    expect(orderStatusChange('paid', 'paid')).toEqual({ ok: true, changed: false });
    expect(orderStatusChange('partially_refunded', 'paid')).toEqual({ ok: true, changed: false });
    expect(orderStatusChange('refunded', 'paid')).toEqual({ ok: true, changed: false });
    expect(orderStatusChange('paid', 'canceled')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/refund/),
    });
    expect(orderStatusChange('paid', 'placed').ok).toBe(false);
    expect(orderStatusChange('canceled', 'paid').ok).toBe(false);
    expect(orderStatusChange('refunded', 'placed').ok).toBe(false);
  });
});

describe('moments', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  it('takes real dates from 1900 up to a day ahead', () => {
    expect(momentProblem(new Date('2025-06-01T00:00:00Z'), now)).toBeNull();
    expect(momentProblem(new Date('2026-03-02T11:00:00Z'), now)).toBeNull();
    expect(momentProblem(new Date('2026-03-03T00:00:00Z'), now)).toBe('must not be in the future');
    expect(momentProblem(new Date('1899-12-31T00:00:00Z'), now)).toBe('must be after 1900');
    expect(momentProblem(new Date('nope'), now)).toBe('is not a valid date');
  });
});
