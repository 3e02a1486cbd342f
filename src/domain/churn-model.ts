/**
 * The churn-risk classifier: from a table of customers (any columns, one of them the label) to a saved model that
 * gives each customer a calibrated probability and the reasons behind it. Pure code; the CLI reads and writes files.
 *
 * Method, chosen a priori and the same for every data set (docs/models.md, "Churn risk"):
 * - Columns. The schema is inferred from the training rows: a column whose every non-blank value is a number is
 *   numeric, the rest categorical. Numeric columns are standardised (training mean and population SD); a blank is
 *   imputed with the mean and, when the column had blanks in training, flagged by an extra 0/1 "is blank" feature.
 *   Categorical columns are one-hot encoded against a reference level, the most frequent one (a blank is a level of
 *   its own). Left out, with the reason stored: columns with a single value, and categorical columns with more than
 *   `maxLevels` values (identifiers, free text). The label column and the id column are never features.
 * - Fit. L2-regularised logistic regression (logistic-regression.ts), λ = 1 by default: on standardised features
 *   this is scikit-learn's default C = 1 (its objective is C·Σloss + ½‖w‖²), the setting of the published
 *   baseline, and it is weak next to thousands of rows. It is not tuned on the data.
 * - Calibration. Platt scaling fitted on out-of-fold log-odds from a stratified k-fold inside the training rows.
 * - Validation. Stratified, seeded k-fold: each fold's model, including its schema, scaler and calibration, is built
 *   from the other folds only, then scores the held-out fold.
 * - Reasons. The model's log-odds are the log-odds of the average training customer plus one term per feature,
 *   wⱼ(xⱼ − x̄ⱼ). Summed per original column (all levels of a categorical column, a numeric value and its blank
 *   flag), these say how much each of the customer's values moves the risk away from the average customer's; the
 *   ones that move it up most are the reasons, written in words.
 */
import { z } from 'zod';
import { applyPlatt, fitLogisticRegression, fitPlatt, sigmoid, type PlattScaling } from './logistic-regression.ts';
import {
  accuracyAt,
  brierScore,
  expectedCalibrationError,
  logLoss,
  reliabilityTable,
  rocAuc,
  type ReliabilityBin,
} from './roc.ts';
import { seededRandom } from './random.ts';

/** A categorical column with more distinct values than this is left out (an identifier or free text, not a category). */
export const maxLevels = 50;
/** Features in the encoded design: the Newton step is O(rows × features²), so beyond this the fit would crawl. */
export const maxFeatures = 1000;
export const defaultL2 = 1;
export const defaultFolds = 5;
export const defaultSeed = 1;
export const modelFormat = 'rapport-model';
export const modelFormatVersion = 1;

/** A value as a CSV, a form or the database gives it; null, undefined and blank strings are "blank". */
export type CellValue = string | number | boolean | null | undefined;
export type ModelRecord = Readonly<Record<string, CellValue>>;
export type ModelTable = { columns: readonly string[]; rows: ReadonlyArray<ReadonlyArray<CellValue>> };

export type ModelInputErrorCode =
  | 'no_rows'
  | 'label_missing'
  | 'id_missing'
  | 'positive_missing'
  | 'positive_ambiguous'
  | 'one_class'
  | 'too_few_rows'
  | 'bad_folds'
  | 'no_features'
  | 'too_many_features'
  | 'bad_value'
  | 'bad_model_file';

/** Input the model cannot work with, said in words (the CLI prints it; the API would answer 400). */
export class ModelInputError extends Error {
  readonly code: ModelInputErrorCode;
  /** too_few_rows: the most folds the rows allow (null: not even 2). */
  readonly mostFolds: number | null;
  constructor(code: ModelInputErrorCode, message: string, opts: { mostFolds?: number | null } = {}) {
    super(message);
    this.name = 'ModelInputError';
    this.code = code;
    this.mostFolds = opts.mostFolds ?? null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The model file
// ---------------------------------------------------------------------------------------------------------------

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const numericColumnSchema = z.object({
  name: z.string(),
  kind: z.literal('numeric'),
  /** Training mean and population SD of the non-blank values (the scaler). */
  mean: finite,
  sd: finite.refine((v) => v > 0, 'must be > 0'),
  min: finite,
  max: finite,
  /** Training rows where the value was blank; with any, `blankCoefficient` is the weight of the "is blank" flag. */
  blankCount: z.number().int().nonnegative(),
  /** Weight of the standardised value (per training SD). */
  coefficient: finite,
  blankCoefficient: finite.nullable(),
});

const categoricalColumnSchema = z.object({
  name: z.string(),
  kind: z.literal('categorical'),
  /** The level every other is compared with (coefficient 0): the most frequent in training. */
  reference: z.string(),
  /** Most frequent first; "" is the blank level. */
  levels: z.array(z.object({ value: z.string(), count: z.number().int().positive(), coefficient: finite })).min(2),
});

const ignoredColumnSchema = z.object({ name: z.string(), kind: z.literal('ignored'), reason: z.string() });

const columnSchema = z.discriminatedUnion('kind', [numericColumnSchema, categoricalColumnSchema, ignoredColumnSchema]);

const reliabilityBinSchema = z.object({
  from: finite,
  to: finite,
  count: z.number().int().nonnegative(),
  meanPredicted: finite,
  observedRate: finite,
});

const crossValidationSchema = z.object({
  folds: z.number().int().min(2),
  seed: z.number().int(),
  rows: z.number().int().positive(),
  foldAuc: z.array(finite),
  foldRows: z.array(z.number().int().positive()),
  foldPositives: z.array(z.number().int().positive()),
  meanAuc: finite,
  /** Sample SD (n − 1) of the fold AUCs. */
  sdAuc: finite,
  /** AUC of all out-of-fold predictions together. */
  pooledAuc: finite,
  brier: finite,
  brierUncalibrated: finite,
  /** Brier score of always predicting the training base rate: the score to beat. */
  brierBaseRate: finite,
  logLoss: finite,
  accuracy: finite,
  calibrationError: finite,
  reliability: z.array(reliabilityBinSchema),
});

export const churnModelSchema = z.object({
  format: z.literal(modelFormat),
  formatVersion: z.literal(modelFormatVersion),
  kind: z.literal('logistic-regression'),
  createdAt: z.iso.datetime(),
  label: z.object({ column: z.string(), positive: z.string(), negatives: z.array(z.string()).min(1) }),
  idColumn: z.string().nullable(),
  l2: finite.refine((v) => v >= 0, 'must be ≥ 0'),
  intercept: finite,
  columns: z.array(columnSchema),
  calibration: z.object({
    method: z.literal('platt'),
    slope: finite.refine((v) => v >= 0, 'must be ≥ 0'),
    intercept: finite,
  }),
  training: z.object({
    rows: z.number().int().positive(),
    positives: z.number().int().positive(),
    skippedBlankLabels: z.number().int().nonnegative(),
    iterations: z.number().int().positive(),
    converged: z.boolean(),
    maxAbsGradient: finite,
    durationMs: finite,
    source: z.object({ file: z.string(), sha256: z.string() }).nullable(),
    crossValidation: crossValidationSchema,
  }),
});

export type ChurnModel = z.infer<typeof churnModelSchema>;
export type ModelColumn = z.infer<typeof columnSchema>;
export type NumericColumn = z.infer<typeof numericColumnSchema>;
export type CategoricalColumn = z.infer<typeof categoricalColumnSchema>;
export type CrossValidation = z.infer<typeof crossValidationSchema>;

/**
 * Reads a model file's text: a clear error for something that is not JSON, not a Rapport model, from a newer
 * Rapport, another kind of model, or damaged.
 */
export function parseChurnModel(text: string): ChurnModel {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ModelInputError('bad_model_file', 'This is not a model file: it is not JSON.');
  }
  if (typeof raw !== 'object' || raw === null || (raw as { format?: unknown }).format !== modelFormat)
    throw new ModelInputError('bad_model_file', `This is not a Rapport model file (no "format": "${modelFormat}").`);
  const version = (raw as { formatVersion?: unknown }).formatVersion;
  if (typeof version === 'number' && version > modelFormatVersion)
    throw new ModelInputError(
      'bad_model_file',
      `This model file has format version ${version}; this Rapport reads version ${modelFormatVersion}. Use a newer Rapport or train the model again.`,
    );
  const kind = (raw as { kind?: unknown }).kind;
  if (kind !== 'logistic-regression')
    throw new ModelInputError(
      'bad_model_file',
      `This model file holds a ${typeof kind === 'string' ? `"${kind}"` : 'different'} model, not the churn classifier (logistic-regression).`,
    );
  const parsed = churnModelSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
      .join('; ');
    throw new ModelInputError('bad_model_file', `The model file is damaged: ${problems}.`);
  }
  const model = parsed.data;
  for (const c of model.columns) {
    if (c.kind === 'numeric' && c.blankCount > 0 !== (c.blankCoefficient !== null))
      throw new ModelInputError(
        'bad_model_file',
        `The model file is damaged: column "${c.name}" has a blank flag without blanks or blanks without one.`,
      );
    if (c.kind === 'categorical') {
      const values = new Set(c.levels.map((l) => l.value));
      if (values.size !== c.levels.length || c.levels[0]?.value !== c.reference)
        throw new ModelInputError(
          'bad_model_file',
          `The model file is damaged: column "${c.name}" has repeated levels or its reference is not its first level.`,
        );
    }
  }
  return model;
}

// ---------------------------------------------------------------------------------------------------------------
// Values and the column schema
// ---------------------------------------------------------------------------------------------------------------

// `\d+(\.\d*)?`, not `\d+\.?\d*`: without the point, `\d+\d*` splits a run of digits every possible way before
// failing (a 5,000-character custom value of digits and a letter took 26 ms, 80,000 took 7 s).
const numberPattern = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The trimmed text of a cell; "" for blank. */
export function cellText(v: CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v.trim();
}

/** The number a non-blank cell holds, or null when it is not a plain decimal number. */
export function parseNumber(text: string): number | null {
  if (!numberPattern.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

type ColumnSpec =
  | Omit<NumericColumn, 'coefficient' | 'blankCoefficient'>
  | (Omit<CategoricalColumn, 'levels'> & { levels: Array<{ value: string; count: number }> })
  | z.infer<typeof ignoredColumnSchema>;

/** A row's trimmed cells and, parsed once, the number in each (NaN where blank or not a number). */
type ParsedRow = { cells: readonly string[]; numbers: Float64Array };

function parseRows(cells: readonly string[][]): ParsedRow[] {
  return cells.map((row) => ({ cells: row, numbers: Float64Array.from(row, (v) => parseNumber(v) ?? Number.NaN) }));
}

/** Infers each column's kind, scaler and levels from training rows. */
function inferColumns(names: readonly string[], rows: readonly ParsedRow[]): ColumnSpec[] {
  return names.map((name, c) => {
    let present = 0;
    let numeric = true;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const row of rows) {
      if (row.cells[c] === '') continue;
      present++;
      const x = row.numbers[c] as number;
      if (Number.isNaN(x)) {
        numeric = false;
        break;
      }
      sum += x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    if (present > 0 && numeric) {
      const mean = sum / present;
      let ss = 0;
      for (const row of rows) if (row.cells[c] !== '') ss += ((row.numbers[c] as number) - mean) ** 2;
      const sd = Math.sqrt(ss / present);
      if (!(sd > 0) || min === max)
        return { name, kind: 'ignored' as const, reason: `always ${formatNumber(min)} (nothing to learn from)` };
      return { name, kind: 'numeric' as const, mean, sd, min, max, blankCount: rows.length - present };
    }
    const counts = new Map<string, number>();
    for (const row of rows) {
      const v = row.cells[c] ?? '';
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    if (counts.size < 2)
      return { name, kind: 'ignored' as const, reason: `always "${rows[0]?.cells[c] ?? ''}" (nothing to learn from)` };
    if (counts.size > maxLevels)
      return {
        name,
        kind: 'ignored' as const,
        reason: `${counts.size} distinct values, more than ${maxLevels} (an identifier or free text, not a category)`,
      };
    const levels = [...counts.entries()]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return { name, kind: 'categorical' as const, reference: levels[0]!.value, levels };
  });
}

type Encoder = {
  featureCount: number;
  /** For each feature, the index of the column it comes from. */
  columnOfFeature: Int32Array;
  /** Encodes a row (cells aligned with `names`) into out[offset …]. */
  encode: (row: ParsedRow, out: Float64Array, offset: number) => void;
};

/** Numeric value → (x − mean)/sd [+ blank flag]; categorical → one 0/1 per non-reference level. */
function makeEncoder(specs: readonly ColumnSpec[]): Encoder {
  const columnOfFeature: number[] = [];
  type Slot =
    | { kind: 'numeric'; column: number; at: number; mean: number; sd: number; blankAt: number | null }
    | {
        kind: 'categorical';
        column: number;
        at: number;
        reference: string;
        index: Map<string, number>;
        shares: number[];
      };
  const slots: Slot[] = [];
  specs.forEach((s, column) => {
    if (s.kind === 'numeric') {
      const at = columnOfFeature.length;
      columnOfFeature.push(column);
      let blankAt: number | null = null;
      if (s.blankCount > 0) {
        blankAt = columnOfFeature.length;
        columnOfFeature.push(column);
      }
      slots.push({ kind: 'numeric', column, at, mean: s.mean, sd: s.sd, blankAt });
    } else if (s.kind === 'categorical') {
      const at = columnOfFeature.length;
      const index = new Map<string, number>();
      const total = s.levels.reduce((sum, l) => sum + l.count, 0);
      const shares: number[] = [];
      s.levels.slice(1).forEach((l, k) => {
        index.set(l.value, k);
        shares.push(l.count / total);
        columnOfFeature.push(column);
      });
      slots.push({ kind: 'categorical', column, at, reference: s.reference, index, shares });
    }
  });
  return {
    featureCount: columnOfFeature.length,
    columnOfFeature: Int32Array.from(columnOfFeature),
    encode(row, out, offset) {
      for (const slot of slots) {
        const text = row.cells[slot.column] ?? '';
        if (slot.kind === 'numeric') {
          if (text === '') {
            out[offset + slot.at] = 0;
            if (slot.blankAt !== null) out[offset + slot.blankAt] = 1;
            continue;
          }
          const x = row.numbers[slot.column] as number;
          if (Number.isNaN(x))
            throw new ModelInputError('bad_value', `"${specs[slot.column]!.name}" is "${text}", not a number`);
          out[offset + slot.at] = (x - slot.mean) / slot.sd;
          if (slot.blankAt !== null) out[offset + slot.blankAt] = 0;
          continue;
        }
        const k = slot.index.get(text);
        const isReference = text === slot.reference;
        for (let j = 0; j < slot.shares.length; j++) {
          // A level never seen in training counts as the average customer's mix of levels: it moves nothing.
          out[offset + slot.at + j] = k === undefined && !isReference ? (slot.shares[j] as number) : k === j ? 1 : 0;
        }
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Training data: label, id, cells
// ---------------------------------------------------------------------------------------------------------------

const knownPositives = new Set(['yes', 'y', 'true', 't', '1', 'churn', 'churned', 'positive', 'lost', 'left']);

/** A column that names customers: "id", "customer_id", "Customer ID", "customerID", "customerId". */
function looksLikeIdName(name: string): boolean {
  return /^(.*[_\s-])?id$/i.test(name) || /[a-z](ID|Id)$/.test(name);
}

export type PreparedTable = {
  label: { column: string; positive: string; negatives: string[] };
  idColumn: string | null;
  /** How the id column was chosen. */
  idDetected: boolean;
  /** The feature candidates: every column but the label and the id. */
  names: string[];
  /** Trimmed cells of the rows with a label, aligned with `names`. */
  cells: string[][];
  ids: string[] | null;
  outcomes: Uint8Array;
  skippedBlankLabels: number;
};

export type PrepareOptions = {
  label: string;
  /** The label value that counts as positive (churned); inferred when the label has two values such as No/Yes. */
  positive?: string | undefined;
  /** The id column; undefined: detected by its name and unique values; null: none. */
  id?: string | null | undefined;
};

/** Splits a table into features, label and ids, with clear errors for a missing label, id or class. */
export function prepareTable(table: ModelTable, opts: PrepareOptions): PreparedTable {
  const columns = table.columns;
  const labelAt = columns.indexOf(opts.label);
  if (labelAt < 0)
    throw new ModelInputError(
      'label_missing',
      `There is no column "${opts.label}" for the label. The columns are: ${columns.join(', ')}.`,
    );
  let idAt = -1;
  let idDetected = false;
  if (typeof opts.id === 'string') {
    if (opts.id === opts.label)
      throw new ModelInputError('id_missing', `"${opts.id}" cannot be both the label and the id column.`);
    idAt = columns.indexOf(opts.id);
    if (idAt < 0)
      throw new ModelInputError(
        'id_missing',
        `There is no column "${opts.id}" for the id. The columns are: ${columns.join(', ')}.`,
      );
  } else if (opts.id === undefined) {
    idAt = columns.findIndex((name, c) => {
      if (c === labelAt || !looksLikeIdName(name)) return false;
      const seen = new Set<string>();
      for (const row of table.rows) {
        const v = cellText(row[c]);
        if (v === '' || seen.has(v)) return false;
        seen.add(v);
      }
      return seen.size > 0;
    });
    idDetected = idAt >= 0;
  }

  const labels = table.rows.map((row) => cellText(row[labelAt]));
  const labelValues = [...new Set(labels.filter((v) => v !== ''))].sort();
  if (labelValues.length === 0)
    throw new ModelInputError('no_rows', `No row has a value in the label column "${opts.label}".`);
  let positive: string;
  if (opts.positive !== undefined) {
    positive = opts.positive.trim();
    if (!labelValues.includes(positive)) {
      const near = labelValues.find((v) => v.toLowerCase() === positive.toLowerCase());
      throw new ModelInputError(
        'positive_missing',
        `No row has ${opts.label} = "${positive}"${near ? ` (did you mean "${near}"?)` : ''}. Its values are: ${labelValues.slice(0, 20).join(', ')}.`,
      );
    }
  } else {
    const candidates = labelValues.filter((v) => knownPositives.has(v.toLowerCase()));
    if (labelValues.length !== 2 || candidates.length !== 1)
      throw new ModelInputError(
        'positive_ambiguous',
        `The label "${opts.label}" has the values ${labelValues.slice(0, 20).join(', ')}${labelValues.length > 20 ? ', …' : ''}: say which one is the positive class (the customers who churned).`,
      );
    positive = candidates[0]!;
  }
  const negatives = labelValues.filter((v) => v !== positive);
  if (negatives.length === 0)
    throw new ModelInputError(
      'one_class',
      `Every row has ${opts.label} = "${positive}": a classifier needs rows of both classes.`,
    );

  const names = columns.filter((_, c) => c !== labelAt && c !== idAt);
  const featureAt = columns.map((_, c) => c).filter((c) => c !== labelAt && c !== idAt);
  const cells: string[][] = [];
  const ids: string[] = [];
  const outcomes: number[] = [];
  let skippedBlankLabels = 0;
  table.rows.forEach((row, i) => {
    const label = labels[i] as string;
    if (label === '') {
      skippedBlankLabels++;
      return;
    }
    cells.push(featureAt.map((c) => cellText(row[c])));
    if (idAt >= 0) ids.push(cellText(row[idAt]));
    outcomes.push(label === positive ? 1 : 0);
  });
  return {
    label: { column: opts.label, positive, negatives },
    idColumn: idAt >= 0 ? (columns[idAt] as string) : null,
    idDetected,
    names,
    cells,
    ids: idAt >= 0 ? ids : null,
    outcomes: Uint8Array.from(outcomes),
    skippedBlankLabels,
  };
}

export type ColumnSummary =
  | { name: string; kind: 'numeric'; blankCount: number; mean: number }
  | { name: string; kind: 'categorical'; levels: number; reference: string }
  | { name: string; kind: 'ignored'; reason: string };

/** How the columns of all the prepared rows would be used (the schema a model trained on them gets). */
export function describeColumns(prepared: PreparedTable): ColumnSummary[] {
  return inferColumns(prepared.names, parseRows(prepared.cells)).map((s) =>
    s.kind === 'numeric'
      ? { name: s.name, kind: s.kind, blankCount: s.blankCount, mean: s.mean }
      : s.kind === 'categorical'
        ? { name: s.name, kind: s.kind, levels: s.levels.length, reference: s.reference }
        : s,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Folds
// ---------------------------------------------------------------------------------------------------------------

export { seededRandom };

/**
 * Stratified k-fold: each class is shuffled (seeded Fisher–Yates) and dealt to the folds in turn, the dealing
 * continuing from one class to the next, so every fold gets the same share of positives (±1 row) and sizes differ
 * by at most one. Returns the fold of every row.
 */
export function stratifiedFolds(outcomes: ArrayLike<number>, k: number, seed: number): Int32Array {
  const n = outcomes.length;
  if (!Number.isInteger(k) || k < 2) throw new ModelInputError('bad_folds', `The number of folds must be 2 or more.`);
  const byClass: number[][] = [[], []];
  for (let i = 0; i < n; i++) byClass[outcomes[i] === 1 ? 1 : 0]!.push(i);
  const smaller = Math.min(byClass[0]!.length, byClass[1]!.length);
  if (smaller < k)
    throw new ModelInputError(
      'too_few_rows',
      `${k} folds need at least ${k} rows of each class; the smaller class has ${smaller}.`,
    );
  const random = seededRandom(seed);
  const fold = new Int32Array(n);
  let next = 0;
  for (const members of byClass) {
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j] as number, members[i] as number];
    }
    for (const row of members) {
      fold[row] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}

// ---------------------------------------------------------------------------------------------------------------
// Fitting
// ---------------------------------------------------------------------------------------------------------------

type FittedPipeline = {
  specs: ColumnSpec[];
  encoder: Encoder;
  intercept: number;
  weights: Float64Array;
  iterations: number;
  converged: boolean;
  maxAbsGradient: number;
};

function pick<T>(items: readonly T[], rows: readonly number[]): T[] {
  return rows.map((r) => items[r] as T);
}

/** Schema, scaler and coefficients from these rows only. */
function fitPipeline(
  names: readonly string[],
  rows: readonly ParsedRow[],
  outcomes: ArrayLike<number>,
  l2: number,
): FittedPipeline {
  const specs = inferColumns(names, rows);
  const encoder = makeEncoder(specs);
  if (encoder.featureCount === 0)
    throw new ModelInputError(
      'no_features',
      `No column can be used as a feature (${specs.map((s) => (s.kind === 'ignored' ? `${s.name}: ${s.reason}` : s.name)).join('; ') || 'there are no other columns'}).`,
    );
  if (encoder.featureCount > maxFeatures)
    throw new ModelInputError(
      'too_many_features',
      `The columns make ${encoder.featureCount} features (numbers, and one per category level); at most ${maxFeatures} are supported.`,
    );
  const values = new Float64Array(rows.length * encoder.featureCount);
  rows.forEach((row, i) => encoder.encode(row, values, i * encoder.featureCount));
  const fit = fitLogisticRegression({ rows: rows.length, cols: encoder.featureCount, values }, outcomes, { l2 });
  return {
    specs,
    encoder,
    intercept: fit.intercept,
    weights: fit.weights,
    iterations: fit.iterations,
    converged: fit.converged,
    maxAbsGradient: fit.maxAbsGradient,
  };
}

function logOddsOf(p: FittedPipeline, row: ParsedRow, buffer: Float64Array): number {
  p.encoder.encode(row, buffer, 0);
  let z = p.intercept;
  for (let j = 0; j < buffer.length; j++) z += (buffer[j] as number) * (p.weights[j] as number);
  return z;
}

/** Out-of-fold log-odds for every row: each fold scored by a pipeline fitted on the other folds. */
function outOfFoldLogOdds(
  names: readonly string[],
  rows: readonly ParsedRow[],
  outcomes: Uint8Array,
  folds: Int32Array,
  k: number,
  l2: number,
): Float64Array {
  const scores = new Float64Array(rows.length);
  for (let f = 0; f < k; f++) {
    const trainRows: number[] = [];
    const testRows: number[] = [];
    for (let i = 0; i < rows.length; i++) (folds[i] === f ? testRows : trainRows).push(i);
    const p = fitPipeline(
      names,
      pick(rows, trainRows),
      Uint8Array.from(trainRows, (r) => outcomes[r] as number),
      l2,
    );
    const buffer = new Float64Array(p.encoder.featureCount);
    for (const i of testRows) scores[i] = logOddsOf(p, rows[i] as ParsedRow, buffer);
  }
  return scores;
}

/**
 * The rows of each class that k-fold cross-validation of the method needs: each fold's model is calibrated on k inner
 * folds of its own training part, which holds all but at most ⌈m/k⌉ of a class's m rows, so m − ⌈m/k⌉ ≥ k.
 */
export function rowsNeededForFolds(k: number): number {
  let m = k;
  while (m - Math.ceil(m / k) < k) m++;
  return m;
}

/** The most folds a class of `rows` rows allows (null when not even 2 folds do). */
export function mostFoldsFor(rows: number): number | null {
  let most: number | null = null;
  for (let k = 2; rowsNeededForFolds(k) <= rows; k++) most = k;
  return most;
}

/** Refuses, with the real counts, folds the classes are too small for (the inner folds included). */
function checkFoldsFit(prepared: PreparedTable, k: number): void {
  if (!Number.isInteger(k) || k < 2) throw new ModelInputError('bad_folds', `The number of folds must be 2 or more.`);
  const positives = prepared.outcomes.reduce((s, y) => s + y, 0);
  const negatives = prepared.outcomes.length - positives;
  const smaller = Math.min(positives, negatives);
  const need = rowsNeededForFolds(k);
  if (smaller >= need) return;
  const { column, positive, negatives: others } = prepared.label;
  const which = positives <= negatives ? `${column} = ${positive}` : `${column} = ${others.join(' or ')}`;
  const most = mostFoldsFor(smaller);
  throw new ModelInputError(
    'too_few_rows',
    `${k} folds need at least ${need} rows of each class (each fold's model is calibrated on ${k} folds of its own training rows); the smaller class, ${which}, has ${smaller}. ` +
      (most ? `${smaller} rows allow at most ${most} folds.` : `Even 2 folds need ${rowsNeededForFolds(2)}.`),
    { mostFolds: most },
  );
}

type CalibratedPipeline = FittedPipeline & { calibration: PlattScaling };

/** The pipeline on all these rows, calibrated by Platt scaling on out-of-fold log-odds from k folds of them. */
function fitCalibratedPipeline(
  names: readonly string[],
  rows: readonly ParsedRow[],
  outcomes: Uint8Array,
  k: number,
  seed: number,
  l2: number,
): CalibratedPipeline {
  const folds = stratifiedFolds(outcomes, k, seed);
  const oof = outOfFoldLogOdds(names, rows, outcomes, folds, k, l2);
  const calibration = fitPlatt(oof, outcomes);
  return { ...fitPipeline(names, rows, outcomes, l2), calibration };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

export type EvaluateOptions = { folds?: number; seed?: number; l2?: number };

/**
 * Stratified k-fold cross-validation of the whole method (schema, scaler, fit and calibration built inside each
 * training part; the calibration's own folds are inside that part too). Reports each fold's AUC, their mean and
 * sample SD, the pooled out-of-fold AUC, and the Brier score, log loss, accuracy at 0.5 and reliability table of the
 * calibrated out-of-fold probabilities.
 */
export function crossValidate(prepared: PreparedTable, opts: EvaluateOptions = {}): CrossValidation {
  const k = opts.folds ?? defaultFolds;
  const seed = opts.seed ?? defaultSeed;
  const l2 = opts.l2 ?? defaultL2;
  const { names, outcomes } = prepared;
  checkFoldsFit(prepared, k);
  const rows = parseRows(prepared.cells);
  const folds = stratifiedFolds(outcomes, k, seed);
  const probabilities = new Float64Array(rows.length);
  const uncalibrated = new Float64Array(rows.length);
  const foldAuc: number[] = [];
  const foldRows: number[] = [];
  const foldPositives: number[] = [];
  for (let f = 0; f < k; f++) {
    const trainRows: number[] = [];
    const testRows: number[] = [];
    for (let i = 0; i < rows.length; i++) (folds[i] === f ? testRows : trainRows).push(i);
    const trainOutcomes = Uint8Array.from(trainRows, (r) => outcomes[r] as number);
    // The inner folds get their own seed, derived from the outer one, so no two splits coincide by accident.
    const p = fitCalibratedPipeline(names, pick(rows, trainRows), trainOutcomes, k, seed * 31 + f + 1, l2);
    const buffer = new Float64Array(p.encoder.featureCount);
    const testScores: number[] = [];
    const testOutcomes: number[] = [];
    for (const i of testRows) {
      const z = logOddsOf(p, rows[i] as ParsedRow, buffer);
      probabilities[i] = applyPlatt(p.calibration, z);
      uncalibrated[i] = sigmoid(z);
      testScores.push(probabilities[i] as number);
      testOutcomes.push(outcomes[i] as number);
    }
    foldAuc.push(rocAuc(testScores, testOutcomes) as number);
    foldRows.push(testRows.length);
    foldPositives.push(testOutcomes.reduce((sum, y) => sum + y, 0));
  }
  const positives = outcomes.reduce((s, y) => s + y, 0);
  const baseRate = positives / outcomes.length;
  const reliability: ReliabilityBin[] = reliabilityTable(probabilities, outcomes, 10);
  return {
    folds: k,
    seed,
    rows: rows.length,
    foldAuc,
    foldRows,
    foldPositives,
    meanAuc: mean(foldAuc),
    sdAuc: sampleSd(foldAuc),
    pooledAuc: rocAuc(probabilities, outcomes) as number,
    brier: brierScore(probabilities, outcomes),
    brierUncalibrated: brierScore(uncalibrated, outcomes),
    brierBaseRate: baseRate * (1 - baseRate),
    logLoss: logLoss(probabilities, outcomes),
    accuracy: accuracyAt(probabilities, outcomes, 0.5),
    calibrationError: expectedCalibrationError(reliability),
    reliability,
  };
}

export type TrainOptions = EvaluateOptions & {
  now?: Date;
  source?: { file: string; sha256: string } | null;
  /** Wall-clock time of the training, measured by the caller (the domain keeps no clock). */
  durationMs?: number;
};

/**
 * Trains the model on every row (calibrated on out-of-fold log-odds) and records the cross-validated metrics of
 * the same method as the training metrics.
 */
export function trainChurnModel(prepared: PreparedTable, opts: TrainOptions = {}): ChurnModel {
  const k = opts.folds ?? defaultFolds;
  const seed = opts.seed ?? defaultSeed;
  const l2 = opts.l2 ?? defaultL2;
  const crossValidation = crossValidate(prepared, { folds: k, seed, l2 });
  const p = fitCalibratedPipeline(prepared.names, parseRows(prepared.cells), prepared.outcomes, k, seed, l2);
  const weightsOf = (column: number) => {
    const out: number[] = [];
    for (let j = 0; j < p.encoder.featureCount; j++)
      if (p.encoder.columnOfFeature[j] === column) out.push(p.weights[j] as number);
    return out;
  };
  const columns: ModelColumn[] = p.specs.map((s, c) => {
    if (s.kind === 'ignored') return s;
    const w = weightsOf(c);
    if (s.kind === 'numeric')
      return { ...s, coefficient: w[0] as number, blankCoefficient: s.blankCount > 0 ? (w[1] as number) : null };
    return { ...s, levels: s.levels.map((l, i) => ({ ...l, coefficient: i === 0 ? 0 : (w[i - 1] as number) })) };
  });
  const positives = prepared.outcomes.reduce((s, y) => s + y, 0);
  return {
    format: modelFormat,
    formatVersion: modelFormatVersion,
    kind: 'logistic-regression',
    createdAt: (opts.now ?? new Date()).toISOString(),
    label: prepared.label,
    idColumn: prepared.idColumn,
    l2,
    intercept: p.intercept,
    columns,
    calibration: { method: 'platt', slope: p.calibration.slope, intercept: p.calibration.intercept },
    training: {
      rows: prepared.cells.length,
      positives,
      skippedBlankLabels: prepared.skippedBlankLabels,
      iterations: p.iterations,
      converged: p.converged,
      maxAbsGradient: p.maxAbsGradient,
      durationMs: opts.durationMs ?? 0,
      source: opts.source ?? null,
      crossValidation,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring and reasons
// ---------------------------------------------------------------------------------------------------------------

export type Reason = {
  column: string;
  /** The customer's value as given ("" when blank). */
  value: string;
  /** How far this column moves the customer's log-odds from the average customer's (+ raises the risk). */
  contribution: number;
  /** The value in words: "Contract is Month-to-month", "tenure is 2 (low; average 32.4)". */
  text: string;
};

export type ScoredCustomer = {
  /** Calibrated probability of the positive class (churn). */
  probability: number;
  /** The model's log-odds before calibration. */
  logOdds: number;
  /** Calibrated probability of the average training customer (every feature at its training mean). */
  averageProbability: number;
  /** The average customer's log-odds; it plus every contribution is `logOdds`. */
  averageLogOdds: number;
  /** Every used column's contribution, in the model's column order (for a chart of them all). */
  contributions: Reason[];
  /** The columns that raise this customer's risk above the average customer's, most first. */
  raising: Reason[];
  /** The columns that lower it, most first. */
  lowering: Reason[];
};

/** 2 decimals under 10, 1 under 1,000, whole numbers above; no trailing zeros. */
export function formatNumber(x: number): string {
  const abs = Math.abs(x);
  const digits = abs >= 1000 ? 0 : abs >= 10 ? 1 : 2;
  return String(Number(x.toFixed(digits)));
}

/** Contributions smaller than this (log-odds) are noise, not reasons. */
const reasonFloor = 0.01;

/**
 * The calibrated probability of one customer and the reasons for it. The record holds the customer's values by
 * column name (extra keys are ignored; a missing key is a blank). Throws ModelInputError for a numeric column
 * holding something that is not a number.
 */
export function scoreWithReasons(
  model: ChurnModel,
  record: ModelRecord,
  opts: { limit?: number } = {},
): ScoredCustomer {
  const limit = opts.limit ?? 3;
  let logOdds = model.intercept;
  let averageLogOdds = model.intercept;
  const terms: Reason[] = [];
  for (const c of model.columns) {
    if (c.kind === 'ignored') continue;
    const text = cellText(record[c.name]);
    if (c.kind === 'numeric') {
      const total = model.training.rows;
      const blankShare = c.blankCount / total;
      const blankWeight = c.blankCoefficient ?? 0;
      // The average customer: standardised value 0 (the mean), blank flag at the training share of blanks.
      averageLogOdds += blankWeight * blankShare;
      let z = 0;
      let blank = 0;
      if (text === '') blank = c.blankCount > 0 ? 1 : blankShare;
      else {
        const x = parseNumber(text);
        if (x === null) throw new ModelInputError('bad_value', `"${c.name}" is "${text}", not a number`);
        z = (x - c.mean) / c.sd;
      }
      const contribution = c.coefficient * z + blankWeight * (blank - blankShare);
      logOdds += c.coefficient * z + blankWeight * blank;
      const words =
        text === ''
          ? `${c.name} is blank`
          : `${c.name} is ${text} (${z >= 0 ? 'high' : 'low'}; average ${formatNumber(c.mean)})`;
      terms.push({ column: c.name, value: text, contribution, text: words });
      continue;
    }
    const total = c.levels.reduce((s, l) => s + l.count, 0);
    let averageTerm = 0;
    for (const l of c.levels) averageTerm += (l.count / total) * l.coefficient;
    averageLogOdds += averageTerm;
    const level = c.levels.find((l) => l.value === text);
    // An unseen level scores as the average mix of levels: it neither raises nor lowers the risk.
    const term = level ? level.coefficient : averageTerm;
    logOdds += term;
    terms.push({
      column: c.name,
      value: text,
      contribution: term - averageTerm,
      text: text === '' ? `${c.name} is blank` : `${c.name} is ${text}${level ? '' : ' (not seen in training)'}`,
    });
  }
  const calibration = model.calibration;
  const raising = terms
    .filter((t) => t.contribution >= reasonFloor)
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, limit);
  const lowering = terms
    .filter((t) => t.contribution <= -reasonFloor)
    .sort((a, b) => a.contribution - b.contribution)
    .slice(0, limit);
  return {
    probability: applyPlatt(calibration, logOdds),
    logOdds,
    averageProbability: applyPlatt(calibration, averageLogOdds),
    averageLogOdds,
    contributions: terms,
    raising,
    lowering,
  };
}

export type Driver = {
  column: string;
  /** SD of the column's contribution to the log-odds over the training customers: how much it typically moves risk. */
  swing: number;
  /** In words: which values raise the risk and which lower it. */
  text: string;
};

/** The columns that move the risk most across customers, largest swing first. */
export function modelDrivers(model: ChurnModel): Driver[] {
  const total = model.training.rows;
  const out: Driver[] = [];
  for (const c of model.columns) {
    if (c.kind === 'ignored') continue;
    if (c.kind === 'numeric') {
      // Over all rows: z has mean 0 and variance (1 − s); the blank flag variance s(1 − s); they never overlap.
      const s = c.blankCount / total;
      const blankWeight = c.blankCoefficient ?? 0;
      const swing = Math.sqrt(c.coefficient ** 2 * (1 - s) + blankWeight ** 2 * s * (1 - s));
      const direction = c.coefficient >= 0 ? 'raises' : 'lowers';
      out.push({ column: c.name, swing, text: `a higher ${c.name} ${direction} the risk` });
      continue;
    }
    const levelTotal = c.levels.reduce((sum, l) => sum + l.count, 0);
    const avg = c.levels.reduce((sum, l) => sum + (l.count / levelTotal) * l.coefficient, 0);
    const swing = Math.sqrt(c.levels.reduce((sum, l) => sum + (l.count / levelTotal) * (l.coefficient - avg) ** 2, 0));
    const sorted = [...c.levels].sort((a, b) => b.coefficient - a.coefficient);
    const name = (v: string) => (v === '' ? 'blank' : v);
    out.push({
      column: c.name,
      swing,
      text: `${name(sorted[0]!.value)} raises the risk most, ${name(sorted[sorted.length - 1]!.value)} lowers it most`,
    });
  }
  return out.sort((a, b) => b.swing - a.swing);
}
