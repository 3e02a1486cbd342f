/**
 * The metrics on a real transaction log: CDNOW (Fader, Hardie & Lee 2005), read from the workplace's shared data
 * (never copied into the repository; see ../shared/data/cdnow/SOURCE.md for the published figures checked here).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeCohorts } from './cohorts.ts';
import {
  computeActiveCustomers,
  computeChurnRate,
  computeHistoricalClv,
  computeOrderCount,
  computeRepeatPurchaseRate,
  computeRetentionRate,
  computeRevenue,
  computeTenure,
  type OrderFact,
  type Period,
} from './metrics.ts';
import { computeRfm, summarizeRfm } from './rfm.ts';

const file = path.resolve(import.meta.dirname, '../../../shared/data/cdnow/CDNOW_master.txt');
const hasData = fs.existsSync(file);
// Outside CI a checkout without the shared data skips with a reason; in CI (CI=true) the absence fails the run.
const inCi = process.env.CI === 'true';
if (!hasData && !inCi) console.warn(`CDNOW tests skipped: ${file} not found`);

type Line = { customerId: string; yyyymmdd: string; cents: number };

/** Whitespace-separated, header line, CRLF: customer_id date number_of_cds dollar_value ("29.33"). */
function readLines(): Line[] {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  expect(lines[0]!.trim().split(/\s+/)).toEqual(['customer_id', 'date', 'number_of_cds', 'dollar_value']);
  const out: Line[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const [customerId, yyyymmdd, , dollars] = line.trim().split(/\s+/);
    const m = /^(\d+)\.(\d\d)$/.exec(dollars!);
    if (!m) throw new Error(`unexpected amount "${dollars}"`);
    out.push({ customerId: customerId!, yyyymmdd: yyyymmdd!, cents: Number(m[1]) * 100 + Number(m[2]) });
  }
  return out;
}

const toOrder = (l: Line): OrderFact => ({
  personId: l.customerId,
  placedAt: new Date(`${l.yyyymmdd.slice(0, 4)}-${l.yyyymmdd.slice(4, 6)}-${l.yyyymmdd.slice(6, 8)}T00:00:00Z`),
  amountMinor: l.cents,
  status: 'paid',
});

const fmt = (x: number | null, digits = 4) => (x === null ? 'null' : x.toFixed(digits));

describe.skipIf(!hasData && !inCi)('CDNOW master log (23,570 customers, 1997-01-01 – 1998-06-30)', () => {
  const lines = hasData ? readLines() : [];
  const orders = lines.map(toOrder);
  const whole: Period = { from: new Date('1997-01-01T00:00:00Z'), to: new Date('1998-07-01T00:00:00Z') };

  it('has the published size and total', () => {
    expect(hasData, `the CDNOW master log at ${file}`).toBe(true);
    const revenue = computeRevenue(orders, whole).value;
    const transactions = computeOrderCount(orders, whole).value;
    const customers = computeActiveCustomers(orders, whole).value;
    console.log(
      `CDNOW: ${customers} customers, ${transactions} transactions, revenue $${(revenue / 100).toFixed(2)} ` +
        `(${revenue} cents)`,
    );
    expect(customers).toBe(23_570);
    expect(transactions).toBe(69_659);
    expect(revenue).toBe(250_031_563);
  });

  it('whole-history repeat purchase rate = customers with >= 2 transactions / all customers', () => {
    // The second computation: straight from the text lines, a Map of transaction counts per customer id.
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l.customerId, (counts.get(l.customerId) ?? 0) + 1);
    let repeaters = 0;
    for (const n of counts.values()) if (n >= 2) repeaters++;

    const rate = computeRepeatPurchaseRate(orders, 'all_time');
    console.log(`CDNOW repeat purchase rate: ${rate.numerator} / ${rate.denominator} = ${fmt(rate.value, 6)}`);
    expect(counts.size).toBe(23_570);
    expect(rate.denominator).toBe(counts.size);
    expect(rate.numerator).toBe(repeaters);
    expect(rate.value).toBe(repeaters / counts.size);
    expect(computeRepeatPurchaseRate(orders, whole)).toEqual(rate); // every order lies in the whole span
  });

  it('cohorts: the three acquisition months of Q1 1997 hold every customer, and offset 0 retains them all', () => {
    const c = computeCohorts(orders, { to: whole.to });
    console.log(`CDNOW cohorts ${c.cohorts.join(', ')}: sizes ${c.sizes.join(', ')}; ${c.offsets} months`);
    for (const [i, row] of c.retention.entries()) {
      console.log(`  ${c.cohorts[i]}: ${row.map((x) => (x === null ? '   -' : (100 * x).toFixed(1))).join(' ')}`);
    }
    expect(c.cohorts).toEqual(['1997-01', '1997-02', '1997-03']);
    expect(c.sizes.reduce((a, b) => a + b, 0)).toBe(23_570);
    expect(c.offsets).toBe(18);
    expect(c.retention.map((row) => row[0])).toEqual([1, 1, 1]);
    // The January cohort is observed for 18 months (offsets 0–17); March's only for 16: offsets 16 and 17 would be
    // July and August 1998, after the log ends.
    expect(c.customers[0]!.every((x) => x !== null)).toBe(true);
    expect(c.customers[2]![15]).not.toBeNull();
    expect(c.customers[2]!.slice(16)).toEqual([null, null]);
    let revenue = 0;
    for (const row of c.revenueMinor) for (const x of row) revenue += x ?? 0;
    expect(revenue).toBe(250_031_563);
  });

  it('prints the other metrics on the log', () => {
    const h2 = { from: new Date('1998-01-01T00:00:00Z'), to: new Date('1998-07-01T00:00:00Z') };
    const retention = computeRetentionRate(orders, h2);
    const churn = computeChurnRate(orders, h2);
    const clv = computeHistoricalClv(orders, whole.to);
    const tenure = computeTenure(orders, h2);
    const rfm = summarizeRfm(computeRfm(orders, whole.to));
    console.log(
      [
        `CDNOW 1998 H1 (vs the 181 days before): retention ${retention.numerator}/${retention.denominator} = ${fmt(retention.value)}`,
        `churn (90 days) ${churn.numerator}/${churn.denominator} = ${fmt(churn.value)} (returned ${churn.returned})`,
        `historical CLV at 1998-07-01 $${fmt(clv.value === null ? null : clv.value / 100, 2)}`,
        `tenure of 1998 H1 customers ${fmt(tenure.value, 1)} days`,
        `RFM segments at 1998-07-01 ${JSON.stringify(rfm.segments)}`,
        `RFM customers per cell (rows R5..R1, columns F1..F5):`,
        ...[4, 3, 2, 1, 0].map((r) => `  R${r + 1}: ${rfm.cells[r]!.map((n) => String(n).padStart(6)).join('')}`),
      ].join('\n'),
    );
    // previousPeriod(h2) is the 181 days before 1998-01-01: 1997-07-04 onwards. Counted again from the text lines:
    const before = new Set(
      lines.filter((l) => l.yyyymmdd >= '19970704' && l.yyyymmdd < '19980101').map((l) => l.customerId),
    );
    const after = new Set(lines.filter((l) => l.yyyymmdd >= '19980101').map((l) => l.customerId));
    expect(retention.denominator).toBe(before.size);
    expect(retention.numerator).toBe([...before].filter((id) => after.has(id)).length);
    expect(clv.numerator).toBe(250_031_563);
    expect(clv.denominator).toBe(23_570);
    expect(rfm.customers).toBe(23_570);
    expect(Object.values(rfm.segments).reduce((a, b) => a + b, 0)).toBe(23_570);
  });
});
