import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cellText,
  crossValidate,
  describeColumns,
  ModelInputError,
  modelDrivers,
  parseChurnModel,
  parseNumber,
  prepareTable,
  scoreWithReasons,
  seededRandom,
  stratifiedFolds,
  trainChurnModel,
  type CellValue,
  type ChurnModel,
  type ModelTable,
  mostFoldsFor,
  rowsNeededForFolds,
} from './churn-model.ts';
import { sigmoid } from './logistic-regression.ts';
import { cpuMs } from '../../test/cpu.ts';

const columns = ['customer_id', 'plan', 'tenure', 'monthly', 'tickets', 'region', 'note', 'churned'];

/**
 * Customers from a known logistic model: the basic plan and tickets raise the risk, tenure and the enterprise plan
 * lower it, a blank monthly charge raises it; region is constant and note is free text (both must be left out).
 */
function syntheticTable(n: number, seed: number, labels: 'model' | 'noise' = 'model'): ModelTable {
  const random = seededRandom(seed);
  const rows: CellValue[][] = [];
  for (let i = 0; i < n; i++) {
    const u = random();
    const plan = u < 0.5 ? 'basic' : u < 0.8 ? 'pro' : 'enterprise';
    const tenure = 1 + Math.floor(random() * 72);
    const monthlyBlank = random() < 0.08;
    const monthly = monthlyBlank ? '' : (20 + random() * 80).toFixed(2);
    const tickets = Math.floor(random() * 6);
    const z =
      -0.5 +
      (plan === 'basic' ? 1.2 : plan === 'enterprise' ? -0.8 : 0) -
      0.05 * (tenure - 36) +
      0.5 * (tickets - 2.5) +
      (monthlyBlank ? 1.5 : 0);
    const churned = labels === 'model' ? random() < sigmoid(z) : random() < 0.3;
    rows.push([`c-${i}`, plan, tenure, monthly, String(tickets), 'EU', `note ${i}`, churned ? 'yes' : 'no']);
  }
  return { columns, rows };
}

describe('cells', () => {
  it('reads blanks, numbers and text', () => {
    expect(cellText('  x ')).toBe('x');
    expect(cellText(' ')).toBe('');
    expect(cellText(null)).toBe('');
    expect(cellText(undefined)).toBe('');
    expect(cellText(Number.NaN)).toBe('');
    expect(cellText(2.5)).toBe('2.5');
    expect(cellText(true)).toBe('true');
    expect(parseNumber('-1.5e3')).toBe(-1500);
    expect(parseNumber('.5')).toBe(0.5);
    for (const bad of ['', '1,5', '0x10', 'Infinity', '12 months', 'NaN', '1.2.3', '.'])
      expect(parseNumber(bad)).toBeNull();
    expect(parseNumber('4.')).toBe(4);
  });

  // Took 7 s at 80,000 characters before (the time grew with the square of the length), 26 ms on each 5,000-character
  // custom value of a features table; a model file given to the CLI has no limit.
  it('reads a number in linear time on hostile input: a long run of digits and a letter', () => {
    const ms = cpuMs(() => {
      expect(parseNumber(`${'1'.repeat(200_000)}x`)).toBeNull();
    });
    expect(ms).toBeLessThan(3000);
  });
});

describe('preparing a table', () => {
  const table = syntheticTable(60, 1);

  it('finds the label, its positive value and the id column', () => {
    const p = prepareTable(table, { label: 'churned' });
    expect(p.label).toEqual({ column: 'churned', positive: 'yes', negatives: ['no'] });
    expect(p.idColumn).toBe('customer_id');
    expect(p.idDetected).toBe(true);
    expect(p.names).toEqual(['plan', 'tenure', 'monthly', 'tickets', 'region', 'note']);
    expect(p.outcomes.length).toBe(60);
    expect(prepareTable(table, { label: 'churned', id: null }).idColumn).toBeNull();
  });

  it('does not take a repeated column for the id, and skips rows without a label', () => {
    const rows = [
      ['a', '1', 'x', 'Yes'],
      ['a', '2', 'y', 'No'],
      ['b', '3', 'x', ''],
      ['c', '4', 'y', 'No'],
    ];
    const p = prepareTable({ columns: ['AccountId', 'n', 'c', 'Churn'], rows }, { label: 'Churn' });
    expect(p.idColumn).toBeNull();
    expect(p.skippedBlankLabels).toBe(1);
    expect([...p.outcomes]).toEqual([1, 0, 0]);
  });

  it('explains a missing label, an unknown positive value, an ambiguous label and a single class', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ModelInputError);
        return e as ModelInputError;
      }
      throw new Error('no error');
    };
    const missing = err(() => prepareTable(table, { label: 'Churn' }));
    expect(missing.code).toBe('label_missing');
    expect(missing.message).toMatch(/no column "Churn".*customer_id, plan/);
    expect(err(() => prepareTable(table, { label: 'churned', positive: 'Yes' })).message).toMatch(
      /No row has churned = "Yes" \(did you mean "yes"\?\)/,
    );
    expect(err(() => prepareTable(table, { label: 'plan' })).code).toBe('positive_ambiguous');
    // Three values but a positive named: that one against the rest.
    const planModel = prepareTable(table, { label: 'plan', positive: 'basic' });
    expect(planModel.label.negatives).toEqual(['enterprise', 'pro']);
    const one = err(() =>
      prepareTable(
        {
          columns: ['x', 'y'],
          rows: [
            ['1', 'yes'],
            ['2', 'yes'],
          ],
        },
        { label: 'y', positive: 'yes' },
      ),
    );
    expect(one.code).toBe('one_class');
    expect(err(() => prepareTable(table, { label: 'churned', id: 'nope' })).code).toBe('id_missing');
    expect(err(() => prepareTable(table, { label: 'churned', id: 'churned' })).message).toMatch(
      /both the label and the id/,
    );
  });

  it('infers numeric and categorical columns and leaves out constant and free-text ones', () => {
    const cols = describeColumns(prepareTable(table, { label: 'churned' }));
    expect(cols.map((c) => [c.name, c.kind])).toEqual([
      ['plan', 'categorical'],
      ['tenure', 'numeric'],
      ['monthly', 'numeric'],
      ['tickets', 'numeric'],
      ['region', 'ignored'],
      ['note', 'ignored'],
    ]);
    expect(cols[4]).toMatchObject({ reason: expect.stringMatching(/always "EU"/) });
    expect(cols[5]).toMatchObject({ reason: expect.stringMatching(/60 distinct values, more than 50/) });
  });
});

describe('stratified folds', () => {
  it('are seeded, balanced in size and in positives', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 10, maxLength: 300 }),
        fc.integer({ min: 2, max: 5 }),
        fc.nat(),
        (outcomes, k, seed) => {
          const positives = outcomes.filter((y) => y === 1).length;
          if (Math.min(positives, outcomes.length - positives) < k) {
            expect(() => stratifiedFolds(outcomes, k, seed)).toThrow(ModelInputError);
            return;
          }
          const folds = stratifiedFolds(outcomes, k, seed);
          expect([...stratifiedFolds(outcomes, k, seed)]).toEqual([...folds]);
          const sizes = new Array<number>(k).fill(0);
          const pos = new Array<number>(k).fill(0);
          folds.forEach((f, i) => {
            sizes[f]! += 1;
            pos[f]! += outcomes[i]!;
          });
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          expect(Math.max(...pos) - Math.min(...pos)).toBeLessThanOrEqual(1);
        },
      ),
    );
    const outcomes = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    expect([...stratifiedFolds(outcomes, 5, 1)]).not.toEqual([...stratifiedFolds(outcomes, 5, 2)]);
  });
});

describe('training and cross-validation', () => {
  const table = syntheticTable(1500, 11);
  const prepared = prepareTable(table, { label: 'churned' });
  const model = trainChurnModel(prepared, { now: new Date('2026-01-02T03:04:05Z'), durationMs: 12 });

  it('learns the generating directions and records the schema, the scaler and the metrics', () => {
    expect(model.training.converged).toBe(true);
    expect(model.training.maxAbsGradient).toBeLessThan(1e-8);
    expect(model.createdAt).toBe('2026-01-02T03:04:05.000Z');
    const byName = Object.fromEntries(model.columns.map((c) => [c.name, c]));
    const plan = byName.plan!;
    expect(plan.kind).toBe('categorical');
    if (plan.kind !== 'categorical') return;
    expect(plan.reference).toBe('basic'); // the most frequent level
    const coef = Object.fromEntries(plan.levels.map((l) => [l.value, l.coefficient]));
    expect(coef.basic).toBe(0);
    expect(coef.pro).toBeLessThan(0);
    expect(coef.enterprise).toBeLessThan(coef.pro!);
    const tenure = byName.tenure!;
    const monthly = byName.monthly!;
    const tickets = byName.tickets!;
    if (tenure.kind !== 'numeric' || monthly.kind !== 'numeric' || tickets.kind !== 'numeric') throw new Error();
    expect(tenure.coefficient).toBeLessThan(0);
    expect(tickets.coefficient).toBeGreaterThan(0);
    expect(tenure.blankCoefficient).toBeNull();
    expect(monthly.blankCount).toBeGreaterThan(0);
    expect(monthly.blankCoefficient).toBeGreaterThan(0.5);
    expect(Math.abs(monthly.coefficient)).toBeLessThan(0.3); // the charge itself plays no part
    expect(byName.region).toMatchObject({ kind: 'ignored' });
    const cv = model.training.crossValidation;
    expect(cv.foldAuc).toHaveLength(5);
    expect(cv.foldRows.reduce((s, n) => s + n, 0)).toBe(1500);
    expect(cv.meanAuc).toBeGreaterThan(0.75);
    expect(cv.brier).toBeLessThan(cv.brierBaseRate);
    expect(cv.reliability.reduce((s, b) => s + b.count, 0)).toBe(1500);
    // Generated swings: tenure 0.05 × SD 20.8 ≈ 1.04, tickets 0.5 × SD 1.7 ≈ 0.85, plan ≈ 0.8; monthly ≈ 0.4.
    const drivers = modelDrivers(model).map((d) => d.column);
    expect(drivers.slice(0, 2).sort()).toEqual(['tenure', 'tickets']);
    expect(drivers.at(-1)).toBe('monthly');
  });

  it('is deterministic for a seed', () => {
    const a = crossValidate(prepared, { seed: 3 });
    expect(crossValidate(prepared, { seed: 3 })).toEqual(a);
    expect(crossValidate(prepared, { seed: 4 }).foldAuc).not.toEqual(a.foldAuc);
  });

  it('finds nothing in labels that are noise (no test label leaks into training)', () => {
    const noise = prepareTable(syntheticTable(800, 5, 'noise'), { label: 'churned' });
    const cv = crossValidate(noise, { folds: 4, seed: 9 });
    expect(Math.abs(cv.meanAuc - 0.5)).toBeLessThan(0.07);
  });

  it('survives a round trip through its JSON file', () => {
    expect(parseChurnModel(JSON.stringify(model))).toEqual(model);
  });

  it('scores a customer: the average log-odds plus the contributions is the log-odds, as the coefficients say', () => {
    for (const i of [0, 1, 2, 3, 17, 99]) {
      const row = table.rows[i]!;
      const record = Object.fromEntries(columns.map((c, k) => [c, row[k]]));
      const s = scoreWithReasons(model, record);
      const sum = s.contributions.reduce((acc, r) => acc + r.contribution, s.averageLogOdds);
      expect(sum).toBeCloseTo(s.logOdds, 10);
      // The log-odds straight from the file's numbers.
      let z = model.intercept;
      for (const c of model.columns) {
        const text = String(record[c.name] ?? '').trim();
        if (c.kind === 'numeric') {
          if (text === '') z += c.blankCoefficient ?? 0;
          else z += (c.coefficient * (Number(text) - c.mean)) / c.sd;
        } else if (c.kind === 'categorical') z += c.levels.find((l) => l.value === text)?.coefficient ?? 0;
      }
      expect(s.logOdds).toBeCloseTo(z, 10);
      expect(s.probability).toBeCloseTo(sigmoid(model.calibration.slope * z + model.calibration.intercept), 12);
      for (const r of s.raising) expect(r.contribution).toBeGreaterThan(0);
      for (const r of s.lowering) expect(r.contribution).toBeLessThan(0);
    }
  });

  it('calls a blank value blank, gives an unseen level no weight and refuses text in a number column', () => {
    const base = { plan: 'pro', tenure: 36, monthly: 50, tickets: 2 };
    const blank = scoreWithReasons(model, { ...base, monthly: '' });
    const monthlyTerm = blank.contributions.find((r) => r.column === 'monthly')!;
    expect(monthlyTerm.text).toBe('monthly is blank');
    expect(monthlyTerm.contribution).toBeGreaterThan(0.5);
    expect(blank.raising[0]?.text).toBe('monthly is blank');
    const unseen = scoreWithReasons(model, { ...base, plan: 'platinum' });
    const planTerm = unseen.contributions.find((r) => r.column === 'plan')!;
    expect(planTerm.contribution).toBeCloseTo(0, 12);
    expect(planTerm.text).toBe('plan is platinum (not seen in training)');
    expect(() => scoreWithReasons(model, { ...base, tenure: 'twelve' })).toThrow(/"tenure" is "twelve", not a number/);
  });
});

/** A model written by hand, so the reasons and the probability can be checked on paper. */
function handModel(): ChurnModel {
  return {
    format: 'rapport-model',
    formatVersion: 1,
    kind: 'logistic-regression',
    createdAt: '2026-01-01T00:00:00.000Z',
    label: { column: 'Churn', positive: 'Yes', negatives: ['No'] },
    idColumn: 'customerID',
    l2: 1,
    intercept: -1,
    columns: [
      {
        name: 'Contract',
        kind: 'categorical',
        reference: 'Month-to-month',
        levels: [
          { value: 'Month-to-month', count: 50, coefficient: 0 },
          { value: 'Two year', count: 30, coefficient: -1.5 },
          { value: 'One year', count: 20, coefficient: -1 },
        ],
      },
      {
        name: 'tenure',
        kind: 'numeric',
        mean: 30,
        sd: 10,
        min: 0,
        max: 72,
        blankCount: 0,
        coefficient: -0.8,
        blankCoefficient: null,
      },
      {
        name: 'MonthlyCharges',
        kind: 'numeric',
        mean: 60,
        sd: 20,
        min: 18,
        max: 120,
        blankCount: 0,
        coefficient: 0.3,
        blankCoefficient: null,
      },
      {
        name: 'gender',
        kind: 'categorical',
        reference: 'Male',
        levels: [
          { value: 'Male', count: 50, coefficient: 0 },
          { value: 'Female', count: 50, coefficient: 0.01 },
        ],
      },
    ],
    calibration: { method: 'platt', slope: 0.9, intercept: 0.1 },
    training: {
      rows: 100,
      positives: 30,
      skippedBlankLabels: 0,
      iterations: 5,
      converged: true,
      maxAbsGradient: 1e-12,
      durationMs: 1,
      source: null,
      crossValidation: {
        folds: 5,
        seed: 1,
        rows: 100,
        foldAuc: [0.8, 0.8, 0.8, 0.8, 0.8],
        foldRows: [20, 20, 20, 20, 20],
        foldPositives: [6, 6, 6, 6, 6],
        meanAuc: 0.8,
        sdAuc: 0,
        pooledAuc: 0.8,
        brier: 0.15,
        brierUncalibrated: 0.15,
        brierBaseRate: 0.21,
        logLoss: 0.45,
        accuracy: 0.8,
        calibrationError: 0.02,
        reliability: [],
      },
    },
  };
}

describe('reasons in words', () => {
  it('orders the columns that raise the risk by how much, and says the values', () => {
    const s = scoreWithReasons(handModel(), {
      customerID: 'x',
      Contract: 'Month-to-month',
      tenure: '2',
      MonthlyCharges: '95.1',
      gender: 'Male',
    });
    // Contract: 0 − (0.3·−1.5 + 0.2·−1) = +0.65; tenure: −0.8·(2 − 30)/10 = +2.24;
    // MonthlyCharges: 0.3·(95.1 − 60)/20 = +0.5265; gender: 0 − 0.005 = −0.005 (below the floor: no reason).
    expect(s.raising.map((r) => r.text)).toEqual([
      'tenure is 2 (low; average 30)',
      'Contract is Month-to-month',
      'MonthlyCharges is 95.1 (high; average 60)',
    ]);
    expect(s.raising.map((r) => Number(r.contribution.toFixed(4)))).toEqual([2.24, 0.65, 0.5265]);
    expect(s.lowering).toEqual([]);
    // log-odds = −1 (intercept) + 0 (reference level) + 2.24 + 0.5265 + 0 (reference level) = 1.7665
    expect(s.logOdds).toBeCloseTo(1.7665, 12);
    expect(s.probability).toBeCloseTo(sigmoid(0.9 * 1.7665 + 0.1), 12);
    // The average customer: −1 + (−0.45 − 0.2) + 0 + 0 + 0.005
    expect(s.averageProbability).toBeCloseTo(sigmoid(0.9 * (-1 - 0.65 + 0.005) + 0.1), 12);
    expect(
      scoreWithReasons(handModel(), { Contract: 'Two year', tenure: 2, MonthlyCharges: 95.1 }, { limit: 1 }),
    ).toMatchObject({ raising: [{ column: 'tenure' }], lowering: [{ text: 'Contract is Two year' }] });
  });

  it('lists what lowers the risk of a safe customer', () => {
    const s = scoreWithReasons(handModel(), { Contract: 'Two year', tenure: 72, MonthlyCharges: 20, gender: 'Female' });
    expect(s.raising.map((r) => r.column)).toEqual([]);
    expect(s.lowering.map((r) => r.text)).toEqual([
      'tenure is 72 (high; average 30)',
      'Contract is Two year',
      'MonthlyCharges is 20 (low; average 60)',
    ]);
  });
});

describe('model files', () => {
  const message = (text: string) => {
    try {
      parseChurnModel(text);
    } catch (e) {
      expect(e).toBeInstanceOf(ModelInputError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  it('reads a valid file and explains a bad or foreign one', () => {
    const good = handModel();
    expect(parseChurnModel(JSON.stringify(good))).toEqual(good);
    expect(message('{"format": "rapport-model",')).toMatch(/not JSON/);
    expect(message('{"name": "left-pad", "version": "1.0.0"}')).toMatch(/not a Rapport model file/);
    expect(message(JSON.stringify({ ...good, formatVersion: 2 }))).toMatch(
      /format version 2; this Rapport reads version 1/,
    );
    expect(message(JSON.stringify({ ...good, kind: 'bg-nbd' }))).toMatch(/holds a "bg-nbd" model/);
    expect(message(JSON.stringify({ ...good, intercept: 'high' }))).toMatch(/damaged: intercept/);
    const noSd = { ...good, columns: good.columns.map((c) => (c.kind === 'numeric' ? { ...c, sd: 0 } : c)) };
    expect(message(JSON.stringify(noSd))).toMatch(/damaged: columns\.1\.sd: must be > 0/);
    const badReference = {
      ...good,
      columns: good.columns.map((c) => (c.kind === 'categorical' ? { ...c, reference: 'Two year' } : c)),
    };
    expect(message(JSON.stringify(badReference))).toMatch(/reference is not its first level/);
  });
});

describe('how many rows k folds need', () => {
  it('counts the inner folds: each training part keeps k rows of each class', () => {
    expect([2, 3, 4, 5, 11].map(rowsNeededForFolds)).toEqual([4, 5, 6, 7, 13]);
    expect([3, 4, 6, 7, 10].map(mostFoldsFor)).toEqual([null, 2, 4, 5, 8]);
    for (let k = 2; k <= 12; k++) {
      const m = rowsNeededForFolds(k);
      expect(m - Math.ceil(m / k)).toBeGreaterThanOrEqual(k);
      expect(m - 1 - Math.ceil((m - 1) / k)).toBeLessThan(k);
    }
  });
});
