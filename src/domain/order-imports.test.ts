import { describe, expect, it } from 'vitest';
import {
  buildOrder,
  checkOrderMapping,
  parseOrderDate,
  parseOrderStatus,
  suggestOrderMapping,
  transformOrderRow,
  type OrderGroupRow,
  type OrderRowRecord,
} from './order-imports.ts';
import { checkMapping, importTargets, suggestMapping } from './imports.ts';
import { cpuMs } from '../../test/cpu.ts';

const iso = (raw: string, tz = 'UTC') => {
  const r = parseOrderDate(raw, tz);
  return r.ok ? r.date.toISOString() : `error: ${r.message}`;
};

describe('order dates', () => {
  it('reads the common formats', () => {
    expect(iso('2024-03-05')).toBe('2024-03-05T00:00:00.000Z');
    expect(iso('20240305')).toBe('2024-03-05T00:00:00.000Z');
    expect(iso('2024/03/05')).toBe('2024-03-05T00:00:00.000Z');
    expect(iso('2024-03-05 14:12:09 +0100')).toBe('2024-03-05T13:12:09.000Z');
    expect(iso('2024-03-05T14:12:09.250Z')).toBe('2024-03-05T14:12:09.250Z');
    expect(iso('2024-03-05T14:12:09-05:00')).toBe('2024-03-05T19:12:09.000Z');
    expect(iso('2024-03-05 14:12 UTC')).toBe('2024-03-05T14:12:00.000Z');
    expect(iso('05.03.2024')).toBe('2024-03-05T00:00:00.000Z');
    expect(iso('5 Mar 2024')).toBe('2024-03-05T00:00:00.000Z');
    expect(iso('March 5, 2024 2:30 pm')).toBe('2024-03-05T14:30:00.000Z');
    expect(iso('25/12/2023')).toBe('2023-12-25T00:00:00.000Z');
    expect(iso('12/25/2023')).toBe('2023-12-25T00:00:00.000Z');
  });

  it("reads a time without a zone as the workspace's local time", () => {
    expect(iso('2024-07-01 09:00', 'Europe/Lisbon')).toBe('2024-07-01T08:00:00.000Z');
    expect(iso('2024-01-15', 'America/New_York')).toBe('2024-01-15T05:00:00.000Z');
    // An explicit zone wins over the workspace's.
    expect(iso('2024-07-01 09:00 +02:00', 'Europe/Lisbon')).toBe('2024-07-01T07:00:00.000Z');
  });

  it('refuses what it cannot read, saying why', () => {
    expect(iso('03/04/2024')).toBe(
      'error: "03/04/2024" could be 3 April or March 4: write the date as 2024-04-03 or 2024-03-04',
    );
    expect(iso('2024-02-30')).toBe('error: "2024-02-30" is not a date that exists');
    expect(iso('2024-03-05 25:00')).toBe('error: "2024-03-05 25:00" has a time that does not exist');
    expect(iso('yesterday')).toMatch(/^error: "yesterday" is not a date; write it like 2024-03-05/);
    expect(iso('24-03-05')).toMatch(/is not a date/);
  });

  it('reads am and pm with or without a space, before a zone or not', () => {
    expect(iso('2024-03-05 2:30pm')).toBe('2024-03-05T14:30:00.000Z');
    expect(iso('2024-03-05 2:30  PM  +01:00')).toBe('2024-03-05T13:30:00.000Z');
    expect(iso('2024-03-05 2:30  +01:00')).toBe('2024-03-05T01:30:00.000Z');
    expect(iso('2024-03-05 2:30 pm pm')).toMatch(/is not a date/);
  });

  // Took 7 s at 80,000 spaces before (the time grew with the square of their number); a cell of an orders file may have
  // a million characters.
  it.each([
    ['a time, spaces and a letter', `2024-03-05 14:30${' '.repeat(200_000)}x`],
    ['a time with seconds, spaces and a letter', `2024-03-05 14:30:09.5${' '.repeat(200_000)}x`],
    ['another date format, a time, spaces and a letter', `March 5, 2024 2:30${' '.repeat(200_000)}x`],
  ])('reads a date in linear time on hostile input: %s', (_name, raw) => {
    const ms = cpuMs(() => {
      expect(parseOrderDate(raw, 'UTC').ok).toBe(false);
    });
    expect(ms).toBeLessThan(3000);
  });
});

describe('order statuses', () => {
  it('reads the words shops use', () => {
    expect(parseOrderStatus('Paid')).toBe('paid');
    expect(parseOrderStatus('partially_refunded')).toBe('partially_refunded');
    expect(parseOrderStatus('Partially refunded')).toBe('partially_refunded');
    expect(parseOrderStatus('cancelled')).toBe('canceled');
    expect(parseOrderStatus('pending')).toBe('placed');
    expect(parseOrderStatus('completed')).toBe('paid');
    expect(parseOrderStatus('wc-on-hold')).toBe(null);
    expect(parseOrderStatus('shipped')).toBe(null);
  });
});

describe('orders mapping', () => {
  it('suggests targets for Shopify-like and WooCommerce-like headers', () => {
    expect(
      suggestOrderMapping([
        'Name',
        'Email',
        'Financial Status',
        'Paid at',
        'Currency',
        'Subtotal',
        'Shipping',
        'Taxes',
        'Total',
        'Discount Amount',
        'Created at',
        'Lineitem quantity',
        'Lineitem name',
        'Lineitem price',
        'Lineitem sku',
        'Billing Name',
        'Refunded Amount',
        'Id',
      ]),
    ).toEqual({
      Name: 'externalId',
      Email: 'customer.email',
      'Financial Status': 'status',
      'Paid at': null,
      Currency: 'currency',
      Subtotal: null,
      Shipping: 'shipping',
      Taxes: 'tax',
      Total: 'total',
      'Discount Amount': 'discount',
      'Created at': 'placedAt',
      'Lineitem quantity': 'line.quantity',
      'Lineitem name': 'line.name',
      'Lineitem price': 'line.unitPrice',
      'Lineitem sku': 'line.sku',
      'Billing Name': 'customer.name',
      'Refunded Amount': 'refunded',
      Id: null,
    });
    // "Order ID" is the better order id than a later "Name" (which then means nothing for an order).
    expect(
      suggestMapping(
        ['Name', 'Order ID', 'Customer ID', 'Order Date', 'Order Total', 'Order Status', 'SKU', 'Qty', 'Price'],
        'order',
        [],
      ),
    ).toEqual({
      Name: null,
      'Order ID': 'externalId',
      'Customer ID': 'customer.externalId',
      'Order Date': 'placedAt',
      'Order Total': 'total',
      'Order Status': 'status',
      SKU: 'line.sku',
      Qty: 'line.quantity',
      Price: 'line.unitPrice',
    });
  });

  it('says which columns an order needs', () => {
    const headers = ['Order', 'Total'];
    expect(
      checkMapping({ Order: 'externalId', Total: 'total' }, headers, 'order', 'externalId', []).map((p) => p.message),
    ).toEqual(["no column gives the customer's e-mail or customer id: an order needs one of them"]);
    expect(checkMapping({ Order: 'emails', Total: null }, headers, 'order', 'email', []).map((p) => p.field)).toEqual([
      'Order',
      'mapping',
      'mapping',
      'mapping',
      'matchOn',
    ]);
    expect(checkOrderMapping(new Set(['externalId', 'customer.email', 'line.unitPrice']), 'externalId')).toEqual([]);
    expect(importTargets('order', [])).toContain('line.unitPrice');
  });
});

const columns = [
  'externalId',
  'customer.email',
  'customer.externalId',
  'placedAt',
  'status',
  'currency',
  'total',
  'line.sku',
  'line.name',
  'line.quantity',
  'line.unitPrice',
  'refunded',
  'discount',
  'tax',
  'shipping',
].map((target, index) => ({ index, target }));

type Cells = Partial<Record<(typeof columns)[number]['target'], string>>;
function row(c: Cells): string[] {
  return columns.map((col) => c[col.target] ?? '');
}
function read(c: Cells): OrderRowRecord {
  const r = transformOrderRow(row(c), columns, { timeZone: 'UTC', now: new Date('2025-01-01T00:00:00Z') });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.record;
}
const noProducts = { defaultCurrency: 'USD', product: () => undefined };
const group = (...cells: Cells[]): OrderGroupRow[] => cells.map((c, i) => ({ rowNumber: i + 1, rec: read(c) }));
const problemsOf = (r: ReturnType<typeof buildOrder>) =>
  r.ok ? [] : [...r.problems].flatMap(([n, ps]) => ps.map((p) => `${n} ${p.field}: ${p.message}`));

describe('an order from its rows', () => {
  it('reports every problem of a row', () => {
    const r = transformOrderRow(
      row({
        externalId: '',
        'customer.email': 'nope',
        placedAt: '2030-01-01',
        status: 'shipped',
        'line.quantity': '0',
      }),
      columns,
      { timeZone: 'UTC', now: new Date('2025-01-01T00:00:00Z') },
    );
    expect(r.ok ? [] : r.problems.map((p) => p.field)).toEqual([
      'customer.email',
      'placedAt',
      'status',
      'line.quantity',
      'externalId',
    ]);
  });

  it('joins lines, takes order cells from the first row that has them, and checks the total', () => {
    const r = buildOrder(
      group(
        {
          externalId: '#1',
          'customer.email': 'a@x.example',
          currency: 'EUR',
          total: '35.00',
          shipping: '5',
          'line.name': 'Socks',
          'line.quantity': '2',
          'line.unitPrice': '10',
        },
        { externalId: '#1', 'line.name': 'Hat', 'line.unitPrice': '10.00' },
      ),
      noProducts,
    );
    expect(r.ok && r.order).toMatchObject({
      currency: 'EUR',
      subtotal: 3000,
      shipping: 500,
      total: 3500,
      status: undefined,
      lines: [
        { name: 'Socks', quantity: 2, unitPrice: 1000, amount: 2000 },
        { name: 'Hat', quantity: 1, unitPrice: 1000, amount: 1000 },
      ],
    });
    const wrong = buildOrder(
      group(
        { externalId: '#1', 'customer.email': 'a@x.example', total: '25.00', 'line.name': 'A', 'line.unitPrice': '10' },
        { externalId: '#1', 'customer.email': 'b@x.example', 'line.name': 'B', 'line.unitPrice': '10' },
      ),
      noProducts,
    );
    expect(problemsOf(wrong)).toEqual([
      '2 customer.email: "b@x.example" differs from row 1 of this order ("a@x.example")',
    ]);
    const sum = buildOrder(
      group({
        externalId: '#1',
        'customer.email': 'a@x.example',
        total: '25.00',
        'line.name': 'A',
        'line.unitPrice': '10',
      }),
      noProducts,
    );
    expect(problemsOf(sum)).toEqual(['1 total: 25.00 USD is not subtotal − discount + tax + shipping (10.00 USD)']);
  });

  it('refuses bad amounts, too many decimals and a missing customer', () => {
    expect(
      problemsOf(buildOrder(group({ externalId: '#1', 'customer.email': 'a@x.example', total: '12,50' }), noProducts)),
    ).toEqual(['1 total: "12,50" is not an amount like 19.99']);
    expect(
      problemsOf(
        buildOrder(
          group({ externalId: '#1', 'customer.externalId': 'c1', currency: 'JPY', total: '100.5' }),
          noProducts,
        ),
      ),
    ).toEqual(['1 total: JPY has no minor unit: 100.5 must be a whole amount']);
    expect(problemsOf(buildOrder(group({ externalId: '#1', total: '10.001' }), noProducts))).toEqual([
      '1 customer: an order needs its customer: an e-mail or a customer id (neither is on any row of this order)',
      '1 total: USD has 2 decimals: 10.001 has more',
    ]);
    expect(problemsOf(buildOrder(group({ externalId: '#1', 'customer.externalId': 'c1' }), noProducts))).toEqual([
      '1 total: an order needs a total, or lines with unit prices',
    ]);
  });

  it('prices the only line from the total (the unit price rounded, the amount exact)', () => {
    const r = buildOrder(
      group({ externalId: '#1', 'customer.externalId': 'c1', total: '35.00', 'line.name': 'CD', 'line.quantity': '3' }),
      noProducts,
    );
    expect(r.ok && r.order.lines).toEqual([
      { productId: null, sku: null, name: 'CD', quantity: 3, unitPrice: 1167, amount: 3500 },
    ]);
    expect(r.ok && r.order.total).toBe(3500);
    const two = buildOrder(
      group(
        { externalId: '#1', 'customer.externalId': 'c1', total: '35.00', 'line.name': 'A' },
        { externalId: '#1', 'line.name': 'B', 'line.unitPrice': '5' },
      ),
      noProducts,
    );
    expect(problemsOf(two)).toEqual(['1 line.unitPrice: a line needs a unit price when the order has several lines']);
  });

  it('names and prices a line from the catalogue by sku, in the order currency only', () => {
    const catalogue = {
      defaultCurrency: 'EUR',
      product: (sku: string) =>
        sku === 'HAT' ? { id: 'p1', sku: 'HAT', name: 'Wool hat', price: 1500, currency: 'EUR' } : undefined,
    };
    const r = buildOrder(
      group({ externalId: '#1', 'customer.externalId': 'c1', 'line.sku': 'HAT', 'line.quantity': '2' }),
      catalogue,
    );
    expect(r.ok && r.order).toMatchObject({
      currency: 'EUR',
      total: 3000,
      lines: [{ productId: 'p1', sku: 'HAT', name: 'Wool hat', quantity: 2, unitPrice: 1500, amount: 3000 }],
    });
    const usd = buildOrder(
      group({ externalId: '#1', 'customer.externalId': 'c1', currency: 'USD', 'line.sku': 'HAT' }),
      catalogue,
    );
    expect(problemsOf(usd)).toEqual(['1 line.unitPrice: no unit price, and "HAT" is not a product priced in USD']);
  });

  it('reads refunds: an amount, or all of it for a refunded status, agreeing with the status', () => {
    const base = { externalId: '#1', 'customer.externalId': 'c1', total: '20.00' };
    const part = buildOrder(group({ ...base, status: 'partially refunded', refunded: '5' }), noProducts);
    expect(part.ok && [part.order.status, part.order.refunded]).toEqual(['paid', 500]);
    const all = buildOrder(group({ ...base, status: 'refunded' }), noProducts);
    expect(all.ok && [all.order.status, all.order.refunded]).toEqual(['paid', 2000]);
    const byAmount = buildOrder(group({ ...base, refunded: '20' }), noProducts);
    expect(byAmount.ok && [byAmount.order.status, byAmount.order.refunded]).toEqual(['paid', 2000]);
    expect(problemsOf(buildOrder(group({ ...base, status: 'partially_refunded' }), noProducts))).toEqual([
      '1 status: a partially refunded order needs the refunded amount',
    ]);
    expect(problemsOf(buildOrder(group({ ...base, status: 'refunded', refunded: '5' }), noProducts))).toEqual([
      '1 status: is refunded, but 5.00 USD of 20.00 USD is refunded',
    ]);
    expect(problemsOf(buildOrder(group({ ...base, refunded: '25' }), noProducts))).toEqual([
      "1 refunded: 25.00 USD is more than the order's total (20.00 USD)",
    ]);
    expect(problemsOf(buildOrder(group({ ...base, status: 'canceled', refunded: '5' }), noProducts))).toEqual([
      '1 refunded: a canceled order was not paid, so nothing of it can be refunded (5.00 USD)',
    ]);
  });
});
