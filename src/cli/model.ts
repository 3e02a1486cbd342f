/**
 * `rapport model train | evaluate | explain`: the churn-risk classifier on any CSV with a label column
 * (src/domain/churn-model.ts; the model card is docs/models.md). No database: files in, a model file out.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  crossValidate,
  defaultFolds,
  defaultL2,
  defaultSeed,
  describeColumns,
  formatNumber,
  modelDrivers,
  ModelInputError,
  parseChurnModel,
  prepareTable,
  scoreWithReasons,
  trainChurnModel,
  type ChurnModel,
  type ColumnSummary,
  type CrossValidation,
  type PreparedTable,
  type ScoredCustomer,
} from '../domain/churn-model.ts';
import { csvLine, unescapeCsvFormula } from '../domain/csv-cells.ts';
import { analyseFile, readRecords } from '../modules/imports/csv-file.ts';

type Deps = { fail: (message: string) => Error };

export type CsvTable = { columns: string[]; rows: string[][]; lines: number[] };

/**
 * A table as the CSV Rapport writes (`rapport model features`): cells escaped against spreadsheet formulas like every
 * export (csv-cells.ts), CRLF line ends. `readCsvTable` takes the escape off again.
 */
export function tableCsv(table: { columns: readonly string[]; rows: readonly (readonly string[])[] }): string {
  return [table.columns, ...table.rows].map(csvLine).join('');
}

/** Reads a whole CSV (UTF-8, or Latin-1/UTF-16 detected; , ; or tab): a clear error with the line for a bad one. */
export async function readCsvTable(file: string, fail: Deps['fail']): Promise<CsvTable> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw fail(`No file ${file}`);
  }
  if (!stat.isFile()) throw fail(`${file} is not a file`);
  let analysis: Awaited<ReturnType<typeof analyseFile>>;
  try {
    analysis = await analyseFile(file);
  } catch (err) {
    throw fail(`Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const problem = analysis.problems[0];
  if (problem) throw fail(`${file}: ${problem.message}`);
  const columns = analysis.headers;
  const rows: string[][] = [];
  const lines: number[] = [];
  let header = true;
  for await (const record of readRecords(file, analysis.encoding, analysis.delimiter)) {
    if (header) {
      header = false;
      continue;
    }
    if (record.values.length !== columns.length)
      throw fail(
        `${file}, line ${record.line}: ${record.values.length} fields, but the header has ${columns.length} (${columns.join(', ')}).`,
      );
    // A cell exported with a leading quote against formulas (`'=SUM(1)`, `'+351…`) reads as it was before, as imports do.
    rows.push(record.values.map((v) => (v.charCodeAt(0) === 39 ? unescapeCsvFormula(v) : v)));
    lines.push(record.line);
  }
  return { columns, rows, lines };
}

/** Why a file cannot be written at `file` when its folder is missing, as every --out says it. */
export function missingFolderMessage(file: string): string {
  return `Cannot write ${file}: the folder ${path.dirname(path.resolve(file))} does not exist (create it first)`;
}

/** Why an --out file cannot be written (its folder missing, or it is a folder), or null: checked before any work. */
export function outFileProblem(file: string): string | null {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) return missingFolderMessage(file);
  if (!fs.statSync(dir).isDirectory()) return `Cannot write ${file}: ${dir} is a file, not a folder`;
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) return `${file} is a folder, not a file`;
  return null;
}

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function integerOption(min: number, what: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be a whole number ≥ ${min}.`);
    return n;
  };
}

function penaltyOption(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('The L2 penalty must be a number ≥ 0.');
  return n;
}

/** Domain errors become CLI errors (message only, exit code 1); a missing positive class gets the option's name. */
async function explained<T>(fail: Deps['fail'], fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ModelInputError) {
      const hint =
        err.code === 'positive_ambiguous'
          ? ' Name it with --positive <value>.'
          : err.code === 'too_few_rows'
            ? err.mostFolds
              ? ` Use --folds ${err.mostFolds}, or add rows of the smaller class.`
              : ' Add rows of the smaller class.'
            : '';
      throw fail(err.message + hint);
    }
    throw err;
  }
}

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;
const thousands = (n: number) => n.toLocaleString('en-US');

function describeData(file: string, prepared: PreparedTable, columns: ColumnSummary[]): string[] {
  const positives = prepared.outcomes.reduce((s, y) => s + y, 0);
  const rows = prepared.outcomes.length;
  const out = [
    `${path.basename(file)}: ${thousands(rows)} rows, ${thousands(positives)} positive (${prepared.label.column} = "${prepared.label.positive}", ${pct(positives / rows)})${prepared.skippedBlankLabels ? `; ${prepared.skippedBlankLabels} rows without a label left out` : ''}`,
    `Id column: ${prepared.idColumn ? `${prepared.idColumn}${prepared.idDetected ? ' (detected; --no-id to use none)' : ''}` : 'none'}`,
  ];
  const numeric = columns.filter((c) => c.kind === 'numeric');
  const categorical = columns.filter((c) => c.kind === 'categorical');
  const ignored = columns.filter((c) => c.kind === 'ignored');
  out.push(
    `Numeric (${numeric.length}): ${numeric.map((c) => `${c.name}${c.blankCount ? ` [${c.blankCount} blank]` : ''}`).join(', ') || 'none'}`,
  );
  out.push(
    `Categorical (${categorical.length}): ${categorical.map((c) => `${c.name} [${c.levels}]`).join(', ') || 'none'}`,
  );
  for (const c of ignored) out.push(`Left out: ${c.name}: ${c.reason}`);
  return out;
}

function printCrossValidation(cv: CrossValidation, l2: number): void {
  console.log(
    `\nMethod: L2-regularised logistic regression (λ = ${l2}), Platt calibration on out-of-fold log-odds; ${cv.folds}-fold stratified cross-validation, seed ${cv.seed}`,
  );
  console.log('\nFold  Rows   Positives  ROC AUC');
  cv.foldAuc.forEach((auc, f) =>
    console.log(
      `${String(f + 1).padEnd(4)}  ${String(cv.foldRows[f]).padEnd(5)}  ${String(cv.foldPositives[f]).padEnd(9)}  ${auc.toFixed(4)}`,
    ),
  );
  console.log(
    `\nROC AUC: ${cv.meanAuc.toFixed(4)} ± ${cv.sdAuc.toFixed(4)} (mean ± SD over ${cv.folds} folds); all out-of-fold predictions together: ${cv.pooledAuc.toFixed(4)}`,
  );
  console.log(
    `Brier score: ${cv.brier.toFixed(4)} (before calibration ${cv.brierUncalibrated.toFixed(4)}; always the base rate ${cv.brierBaseRate.toFixed(4)})`,
  );
  console.log(
    `Log loss: ${cv.logLoss.toFixed(4)}; accuracy at p ≥ 0.5: ${pct(cv.accuracy)}; expected calibration error: ${cv.calibrationError.toFixed(4)}`,
  );
  console.log('\nReliability of the out-of-fold probabilities:');
  console.log('Predicted  Customers  Mean predicted  Observed');
  for (const b of cv.reliability)
    console.log(
      `${`${b.from.toFixed(1)}–${b.to.toFixed(1)}`.padEnd(9)}  ${String(b.count).padEnd(9)}  ${pct(b.meanPredicted).padEnd(14)}  ${pct(b.observedRate)}`,
    );
}

function printScored(label: string, scored: ScoredCustomer, model: ChurnModel): void {
  const target = `${model.label.column} = ${model.label.positive}`;
  console.log(
    `${label}: P(${target}) = ${pct(scored.probability)} (a customer with average values: ${pct(scored.averageProbability)})`,
  );
  const list = (title: string, reasons: ScoredCustomer['raising']) => {
    if (!reasons.length) return;
    console.log(`  ${title}`);
    for (const r of reasons)
      console.log(`    ${r.text} (${r.contribution >= 0 ? '+' : '−'}${Math.abs(r.contribution).toFixed(2)} log-odds)`);
  };
  if (!scored.raising.length) console.log('  Nothing raises the risk above the average customer’s.');
  list('Raising the risk:', scored.raising);
  list('Lowering the risk:', scored.lowering);
}

function defaultModelPath(label: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const safeLabel = label.replace(/[^A-Za-z0-9_-]+/g, '_') || 'label';
  return `${safeLabel}-model-${stamp}.json`;
}

type DataOptions = { label: string; positive?: string; id?: string | false; folds: number; seed: number; l2: number };

async function prepareFromFile(file: string, o: DataOptions, fail: Deps['fail']) {
  const table = await readCsvTable(file, fail);
  // Commander's --no-id sets id to false: no id column at all.
  const id = o.id === false ? null : o.id;
  const prepared = await explained(fail, () => prepareTable(table, { label: o.label, positive: o.positive, id }));
  return { table, prepared };
}

/** `rapport model …` */
export function addModelCommands(program: Command, deps: Deps): Command {
  const model = program
    .command('model')
    .description('The churn-risk classifier: train on a CSV with a label column, cross-validate, explain a customer');

  const dataOptions = (cmd: Command) =>
    cmd
      .argument('<csv>', 'a CSV file with a header row: one row per customer, one column the label')
      .requiredOption('--label <column>', 'the label column (e.g. Churn)')
      .option('--positive <value>', 'the label value of the positive class (inferred for Yes/No, true/false, 1/0)')
      .option('--id <column>', 'the column naming customers (default: detected: a unique column named like "id")')
      .option('--no-id', 'no id column (every other column but the label is a feature candidate)')
      .option('--folds <n>', 'folds of the cross-validation', integerOption(2, 'The number of folds'), defaultFolds)
      .option('--seed <n>', 'seed of the fold assignment', integerOption(0, 'The seed'), defaultSeed)
      .option('--l2 <lambda>', 'L2 penalty on the standardised weights', penaltyOption, defaultL2);

  dataOptions(
    model
      .command('evaluate')
      .description(
        'Cross-validate the method on a CSV: per-fold ROC AUC, mean ± SD, Brier score and the reliability table',
      ),
  ).action(async (file: string, o: DataOptions) => {
    const t0 = performance.now();
    const { prepared } = await prepareFromFile(file, o, deps.fail);
    for (const line of describeData(file, prepared, describeColumns(prepared))) console.log(line);
    const cv = await explained(deps.fail, () => crossValidate(prepared, { folds: o.folds, seed: o.seed, l2: o.l2 }));
    printCrossValidation(cv, o.l2);
    console.log(`\nDone in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });

  dataOptions(
    model
      .command('train')
      .description(
        'Train the classifier on a CSV and write the model file (with the cross-validated metrics of the method)',
      ),
  )
    .option('--out <file>', 'where to write the model (default: <label>-model-<UTC time>.json here)')
    .action(async (file: string, o: DataOptions & { out?: string }) => {
      const t0 = performance.now();
      // A missing folder is refused, as by every --out (export, model features), before the training.
      const outProblem = o.out === undefined ? null : outFileProblem(o.out);
      if (outProblem) throw deps.fail(outProblem);
      const { prepared } = await prepareFromFile(file, o, deps.fail);
      for (const line of describeData(file, prepared, describeColumns(prepared))) console.log(line);
      const sha256 = sha256File(file);
      const now = new Date();
      const trained = await explained(deps.fail, () =>
        trainChurnModel(prepared, {
          folds: o.folds,
          seed: o.seed,
          l2: o.l2,
          now,
          source: { file: path.basename(file), sha256 },
        }),
      );
      const durationMs = Math.round(performance.now() - t0);
      const result: ChurnModel = { ...trained, training: { ...trained.training, durationMs } };
      printCrossValidation(result.training.crossValidation, result.l2);
      const features = result.columns.reduce(
        (n, c) =>
          n +
          (c.kind === 'numeric'
            ? c.blankCoefficient === null
              ? 1
              : 2
            : c.kind === 'categorical'
              ? c.levels.length - 1
              : 0),
        0,
      );
      console.log(
        `\nModel on all ${thousands(result.training.rows)} rows: ${features} features; Newton ${result.training.converged ? 'converged' : 'did NOT converge'} in ${result.training.iterations} iterations (largest gradient ${result.training.maxAbsGradient.toExponential(1)}); calibration p = σ(${formatNumber(result.calibration.slope)} × log-odds ${result.calibration.intercept >= 0 ? '+' : '−'} ${Math.abs(result.calibration.intercept).toFixed(3)})`,
      );
      console.log('What moves the risk most (typical swing in log-odds across customers):');
      for (const d of modelDrivers(result).slice(0, 8)) console.log(`  ${d.column} (${d.swing.toFixed(2)}): ${d.text}`);
      const out = o.out ?? defaultModelPath(result.label.column, now);
      fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
      console.log(
        `\nTrained in ${(durationMs / 1000).toFixed(1)} s. Wrote ${out} (${result.format} version ${result.formatVersion}).`,
      );
    });

  model
    .command('explain')
    .description("Score customers with a model file: each one's probability and the reasons for it")
    .argument('<model-file>', 'a model written by `rapport model train`')
    .argument('<csv>', "a CSV with the model's columns (the label is not needed)")
    .option('--id <value>', "the customer to explain (a value of the model's id column)")
    .option(
      '--row <n>',
      'the customer on this data row (1 = the first row after the header)',
      integerOption(1, 'The row'),
    )
    .option(
      '--limit <n>',
      'without --id or --row: how many of the riskiest customers to show',
      integerOption(1, 'The limit'),
      10,
    )
    .option('--reasons <n>', 'reasons to show each way', integerOption(1, 'The number of reasons'), 3)
    .action(
      async (modelFile: string, file: string, o: { id?: string; row?: number; limit: number; reasons: number }) => {
        let text: string;
        try {
          text = fs.readFileSync(modelFile, 'utf8');
        } catch {
          throw deps.fail(`No model file ${modelFile}`);
        }
        const m = await explained(deps.fail, () => parseChurnModel(text));
        const table = await readCsvTable(file, deps.fail);
        const needed = m.columns.filter((c) => c.kind !== 'ignored').map((c) => c.name);
        const missing = needed.filter((name) => !table.columns.includes(name));
        if (missing.length)
          throw deps.fail(`${file} lacks the model's column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`);
        const idAt = m.idColumn ? table.columns.indexOf(m.idColumn) : -1;
        const record = (i: number) => Object.fromEntries(table.columns.map((c, k) => [c, table.rows[i]?.[k]]));
        const nameOf = (i: number) =>
          `${idAt >= 0 ? `${m.idColumn} ${table.rows[i]?.[idAt]}` : `Row ${i + 1}`} (line ${table.lines[i]})`;
        const score = (i: number) =>
          explained(deps.fail, () => {
            try {
              return scoreWithReasons(m, record(i), { limit: o.reasons });
            } catch (err) {
              if (err instanceof ModelInputError)
                throw new ModelInputError(err.code, `Line ${table.lines[i]}: ${err.message}.`);
              throw err;
            }
          });

        let picked: number[];
        if (o.id !== undefined) {
          if (!m.idColumn) throw deps.fail('The model has no id column: pick the customer with --row <n>.');
          if (idAt < 0) throw deps.fail(`${file} has no column ${m.idColumn} (the model's id column).`);
          picked = table.rows.flatMap((r, i) => (r[idAt]?.trim() === o.id?.trim() ? [i] : []));
          if (!picked.length) throw deps.fail(`No row of ${file} has ${m.idColumn} = "${o.id}".`);
        } else if (o.row !== undefined) {
          if (o.row > table.rows.length) throw deps.fail(`${file} has ${table.rows.length} data rows, not ${o.row}.`);
          picked = [o.row - 1];
        } else {
          const all = await Promise.all(table.rows.map(async (_, i) => ({ i, p: (await score(i)).probability })));
          picked = all
            .sort((a, b) => b.p - a.p || a.i - b.i)
            .slice(0, o.limit)
            .map((x) => x.i);
          console.log(`The ${picked.length} riskiest of ${thousands(table.rows.length)} customers:\n`);
        }
        for (const i of picked) printScored(nameOf(i), await score(i), m);
      },
    );
  return model;
}
