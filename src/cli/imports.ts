import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { CommanderError, Option } from 'commander';
import type { Database } from '../db/client.ts';
import type { ImportEntity, ImportMatchOn, ImportMode } from '../db/schema/index.ts';
import { systemActor } from '../domain/permissions.ts';
import { AppError, isAppError } from '../errors.ts';
import type { Services } from '../services.ts';
import { columnsOfFields, reportCsv } from '../modules/imports/import-report.ts';
import {
  findResumableImport,
  listImportRows,
  type ImportRow,
  type ImportRowRow,
} from '../modules/imports/imports.repository.ts';
import { defaultBatchSize, runImport } from '../modules/imports/imports.service.ts';
import type { WorkspaceRow } from '../modules/workspaces/workspaces.repository.ts';
import { outFileProblem } from './model.ts';

type Deps = {
  withDb: <T>(fn: (database: Database, services: Services) => Promise<T>) => Promise<T>;
  pickWorkspace: (database: Database, slug: string | undefined) => Promise<WorkspaceRow>;
  fail: (message: string) => Error;
};

type ImportOptions = {
  workspace?: string;
  match?: ImportMatchOn;
  dryRun?: boolean;
  map?: string;
  report?: string;
  batchSize?: string;
  progressEvery?: string;
};

async function sha256Of(stream: Readable): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** "E-mail=emails,Given=firstName,Notes=" → { "E-mail": "emails", Given: "firstName", Notes: null }. */
export function parseMapOption(raw: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const pair of raw.split(',')) {
    if (!pair.trim()) continue;
    const at = pair.lastIndexOf('=');
    if (at <= 0) throw new AppError('validation_failed', `--map: "${pair}" is not Header=field`);
    out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim() || null;
  }
  return out;
}

function summary(imp: ImportRow): string {
  const verb = imp.mode === 'dry_run' ? 'Dry run (nothing changed)' : 'Imported';
  // An orders import counts orders (an order may take several rows: its lines).
  const what = imp.entity === 'order' ? ' orders' : '';
  return `${verb}: ${imp.processedRows} of ${imp.totalRows} rows — ${imp.created}${what} created, ${imp.updated} updated, ${imp.unchanged} unchanged, ${imp.rejected} rejected`;
}

export type FileImport = {
  entity: ImportEntity;
  /** The file as the pipeline reads it (CSV), opened once to hash it and once to upload it. */
  open: () => Readable;
  fileName: string;
  match?: ImportMatchOn | undefined;
  dryRun?: boolean | undefined;
  /** Overrides of the suggested mapping. */
  mapping?: Record<string, string | null> | undefined;
  batchSize?: number | undefined;
  /** Milliseconds between progress lines when standard error is not a terminal (a log, a pipe); 1,000 unless set. */
  progressEvery?: number | undefined;
  /** Where the progress bar goes (standard error). */
  progress?: NodeJS.WritableStream | undefined;
  /** Where the column list and notes go (standard error). */
  log?: (line: string) => void;
};

/**
 * Imports a file through the pipeline the API and the console use (upload, mapping, run in checkpointed batches)
 * with a progress bar; an unfinished import of the same content and options is resumed instead of started again.
 * Returns the finished import; a failed one throws.
 */
export async function importThroughPipeline(
  d: Database,
  s: Services,
  w: WorkspaceRow,
  o: FileImport,
  fail: (message: string) => Error,
): Promise<ImportRow> {
  const log = o.log ?? ((line: string) => console.error(line));
  const actor = systemActor(w.id);
  const mode = o.dryRun ? 'dry_run' : 'run';
  const sha256 = await sha256Of(o.open());
  let row = await findResumableImport(d.db, w.id, { sha256, entity: o.entity, matchOn: o.match, mode });
  if (row) {
    log(`Resuming import ${row.id} at row ${row.processedRows + 1} of ${row.totalRows}`);
  } else {
    let desc = await s.imports
      .upload(actor, { entity: o.entity, matchOn: o.match, fileName: o.fileName, stream: o.open() })
      .catch((err: unknown) => {
        // A file refused outright (not text at all) is a message, not a stack trace.
        throw isAppError(err) && err.status < 500 ? fail(`The file cannot be imported: ${err.message}`) : err;
      });
    for (const w of desc.row.warnings) log(`warning: ${w}`);
    if (desc.row.problems.length)
      throw fail(`The file cannot be imported:\n${desc.row.problems.map((p) => `  ${p.message}`).join('\n')}`);
    if (o.mapping) desc = await s.imports.update(actor, desc.row.id, { mapping: o.mapping });
    log('Columns:');
    for (const h of desc.row.headers) log(`  ${h} → ${desc.row.mapping[h] ?? '(ignored)'}`);
    log(`Matching on: ${desc.row.matchOn}`);
    if (desc.mappingProblems.length)
      throw fail(
        `The mapping is not complete (fix it with --map "Header=field"):\n${desc.mappingProblems.map((p) => `  ${p.message}`).join('\n')}`,
      );
    row = (await s.imports.start(actor, desc.row.id, mode)).row;
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: o.progress ?? process.stderr,
      format: `${mode === 'run' ? 'Importing' : 'Dry run'} |{bar}| {percentage}% | {value}/{total} rows | {created} created, {updated} updated, {rejected} rejected`,
      hideCursor: true,
      // Not a terminal (a log, a pipe): still a line a second, so long imports show they are alive.
      noTTYOutput: true,
      notTTYSchedule: o.progressEvery ?? 1000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(row.totalRows, row.processedRows, {
    created: row.created,
    updated: row.updated,
    rejected: row.rejected,
  });
  try {
    await runImport(d.db, w.id, row.id, {
      batchSize: o.batchSize ?? defaultBatchSize,
      finalAttempt: true,
      onProgress: (p) => bar.update(p.processedRows, { created: p.created, updated: p.updated, rejected: p.rejected }),
    });
  } finally {
    bar.stop();
  }
  const final = (await s.imports.get(actor, row.id)).row;
  if (final.status === 'failed') throw fail(`The import failed: ${final.lastError ?? 'unknown error'}`);
  // Never a summary of a run that stopped half-way as if it had finished.
  if (final.status !== 'done' && final.status !== 'dry_run_done')
    throw fail(`The import stopped (${final.status.replace('_', ' ')}): ${final.lastError ?? 'unknown error'}`);
  return final;
}

const actionWords: Record<ImportRowRow['action'], string> = {
  create: 'created',
  update: 'updated',
  unchanged: 'unchanged',
  reject: 'rejected',
};

/**
 * One row of the report as a line: its row and line in the file, what the import did (or would do) with it, and why —
 * the reasons of a rejected row (naming the file's columns), else the record, what changes and any note.
 */
function reportRowLine(r: ImportRowRow, columnsOfField: ReadonlyMap<string, readonly string[]>): string {
  const d = (r.details ?? {}) as Record<string, unknown>;
  const why: string[] = [];
  if (r.action !== 'reject') {
    // A changed field by the file's column that gives it, as the reasons of a rejected row name it.
    const changes = [
      ...(d.changes && typeof d.changes === 'object' ? Object.keys(d.changes) : []),
      ...(d.stage && typeof d.stage === 'object' ? ['stage'] : []),
      ...(d.consent && typeof d.consent === 'object'
        ? Object.keys(d.consent).map((k) => `consent.${k.replace(':', '.')}`)
        : []),
    ];
    const named = changes.map((k) => columnsOfField.get(k)?.join(' / ') ?? k);
    if (named.length) why.push(`changes ${named.join(', ')}`);
    if (d.matchedByName === true) why.push('found by its name: it had no domain');
    if (typeof d.note === 'string') why.push(d.note);
    if (typeof d.company === 'string') why.push(`${d.newCompany === true ? 'new company' : 'company'} ${d.company}`);
  }
  return `  row ${r.rowNumber} (line ${r.line}): ${actionWords[r.action]} — ${r.summary}${why.length ? ` (${why.join('; ')})` : ''}`;
}

/** Standard output, waiting when it is full (a pipe to a slow reader): the rows are written a page at a time. */
async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** Report rows read from the database at a time: the memory a dry run's listing of a large file takes. */
const reportPage = 1000;

/** Every row of the report, a line each in file order, read from the database a page at a time. */
async function printEveryRow(d: Database, w: WorkspaceRow, final: ImportRow, mode: ImportMode): Promise<void> {
  const columnsOfField = columnsOfFields(
    final.headers.flatMap((h, index) => {
      const target = final.mapping[h];
      return target ? [{ index, target }] : [];
    }),
    final.headers,
  );
  let after: number | undefined;
  for (;;) {
    const page = await listImportRows(d.db, w.id, final.id, { mode, after, limit: reportPage });
    if (!page.length) return;
    await writeOut(page.map((r) => `${reportRowLine(r, columnsOfField)}\n`).join(''));
    after = page[page.length - 1]?.rowNumber;
    if (page.length < reportPage) return;
  }
}

/**
 * The result of a finished import on standard output: its summary, then every row of a dry run (or, for a run or
 * with a report file, the first rejected rows); with `reportFile`, the whole row report written there as CSV — the
 * API's `GET /imports/{id}/rows.csv`, streamed from the database.
 */
export async function printImportResult(
  d: Database,
  w: WorkspaceRow,
  final: ImportRow,
  opts: { reportFile?: string | undefined } = {},
): Promise<void> {
  const mode = final.mode ?? 'run';
  console.log(summary(final));
  if (mode === 'dry_run' && !opts.reportFile) {
    console.log('Rows:');
    await printEveryRow(d, w, final, mode);
  } else if (final.rejected) {
    const rejected = await listImportRows(d.db, w.id, final.id, { mode, action: 'reject', limit: 10 });
    console.log('Rejected rows:');
    for (const r of rejected) console.log(`  row ${r.rowNumber} (line ${r.line}): ${r.summary}`);
    if (final.rejected > rejected.length)
      console.log(
        opts.reportFile
          ? `  … all of them in ${opts.reportFile}`
          : `  … all of them: --report <file>, or GET /api/v1/imports/${final.id}/rows?mode=${mode}&action=rejected`,
      );
  }
  console.log(`Import id: ${final.id}`);
  if (opts.reportFile) {
    await pipeline(reportCsv(d.db, w.id, final.id, { mode }), fs.createWriteStream(opts.reportFile));
    console.error(`Wrote the row report to ${opts.reportFile}`);
  }
}

/**
 * The exit code of an import that finished with rejected rows (a dry run that would reject some, too): the other
 * rows are in, but a script must be able to notice. 0: every row fine; 1: an error (nothing or not all was done).
 */
export const rejectedRowsExitCode = 2;

const exitCodesHelp = `
Exit codes:
  0  the import finished and every row was imported (a dry run: would be)
  1  an error: the file, the options or the database (the message says which)
  2  the import finished, but rejected rows (listed in the output and the row report)`;

const matchChoices: Record<ImportEntity, ImportMatchOn[]> = {
  person: ['email', 'externalId', 'none'],
  company: ['domain', 'externalId', 'none'],
  order: ['externalId'],
};

/** `rapport import people|companies|orders <file>` and `rapport export people|companies`. */
export function addImportCommands(program: Command, deps: Deps): void {
  const imp = program
    .command('import')
    .description('Import people, companies or orders from a CSV file (resumes after a crash)');
  for (const [name, entity] of [
    ['people', 'person'],
    ['companies', 'company'],
    ['orders', 'order'],
  ] as const) {
    imp
      .command(name)
      .description(
        entity === 'order'
          ? 'Import orders from a CSV file: rows sharing an order id are its lines; upsert by order id, customers found or created, a row report'
          : `Import ${name} from a CSV file: column mapping from the headers, upsert, a row report`,
      )
      .argument('<file>', 'the CSV file (UTF-8; Latin-1 is detected and converted)')
      .option('--workspace <slug>', 'workspace slug (needed when there are several)')
      .addOption(
        new Option('--match <key>', 'upsert key: update the record with the same key instead of creating one').choices(
          matchChoices[entity],
        ),
      )
      .option('--dry-run', 'report what would be created, updated or rejected, and change nothing')
      .option('--map <pairs>', 'override the suggested mapping: "Header=field,Other=" (empty field: ignore column)')
      .option(
        '--report <file>',
        "write the row-by-row report as CSV (row, line, action, recordId, summary, details), as the API's rows.csv",
      )
      .addOption(new Option('--batch-size <n>', 'rows per transaction').default(String(defaultBatchSize)).hideHelp())
      .addOption(new Option('--progress-every <ms>', 'progress line interval when not a terminal').hideHelp())
      .addHelpText('after', exitCodesHelp)
      .action(async (file: string, o: ImportOptions) => {
        if (!fs.existsSync(file)) throw deps.fail(`No file ${file}`);
        if (!fs.statSync(file).isFile()) throw deps.fail(`${file} is a folder, not a file`);
        // Checked before the import runs: a report that cannot be written is not found out at the end.
        const reportProblem = o.report === undefined ? null : outFileProblem(o.report);
        if (reportProblem) throw deps.fail(reportProblem);
        await deps.withDb(async (d, s) => {
          const w = await deps.pickWorkspace(d, o.workspace);
          const final = await importThroughPipeline(
            d,
            s,
            w,
            {
              entity,
              open: () => fs.createReadStream(file),
              fileName: path.basename(file),
              match: o.match,
              dryRun: o.dryRun,
              mapping: o.map ? parseMapOption(o.map) : undefined,
              batchSize: Number(o.batchSize) || defaultBatchSize,
              progressEvery: Number(o.progressEvery) > 0 ? Number(o.progressEvery) : undefined,
            },
            deps.fail,
          );
          await printImportResult(d, w, final, { reportFile: o.report });
          // Through the CLI's exit codes (runCli): nothing more is printed, the summary said it.
          if (final.rejected > 0)
            throw new CommanderError(rejectedRowsExitCode, 'rapport.rejectedRows', `${final.rejected} rows rejected`);
        });
      });
  }

  const exp = program.command('export').description('Export people, companies or orders (any filter) as CSV or JSON');
  for (const name of ['people', 'companies', 'orders'] as const) {
    exp
      .command(name)
      .description(
        name === 'orders'
          ? 'Export orders matching the filters, streamed (CSV: a row per line, as `rapport import orders` reads it)'
          : `Export ${name} matching the filters, streamed`,
      )
      .option('--workspace <slug>', 'workspace slug (needed when there are several)')
      .option(
        '--filter <field:op:value>',
        `a filter like the API list (repeatable), e.g. ${name === 'orders' ? 'status:in:paid|refunded' : 'tag:eq:vip'}`,
        (v: string, prev: string[]) => [...prev, v],
        [] as string[],
      )
      .option('--sort <field>', 'sort field, "-field" for descending')
      .addOption(new Option('--q <text>', 'search text').hideHelp(name === 'orders'))
      .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
      .option('--out <file>', 'write to a file instead of standard output')
      .action(
        async (o: {
          workspace?: string;
          filter: string[];
          sort?: string;
          q?: string;
          format: 'csv' | 'json';
          out?: string;
        }) => {
          if (name === 'orders' && o.q !== undefined)
            throw deps.fail('--q: orders are not searched by text; use --filter (e.g. external_id:eq:1001)');
          await deps.withDb(async (d, s) => {
            const w = await deps.pickWorkspace(d, o.workspace);
            const params = { filter: o.filter, sort: o.sort, q: o.q };
            const actor = systemActor(w.id);
            const stream =
              name === 'people'
                ? await s.exports.people(actor, params, o.format)
                : name === 'companies'
                  ? await s.exports.companies(actor, params, o.format)
                  : await s.exports.orders(actor, { filter: o.filter, sort: o.sort }, o.format);
            if (o.out) {
              await pipeline(stream, fs.createWriteStream(o.out));
              console.error(`Wrote ${o.out}`);
            } else await pipeline(stream, process.stdout, { end: false });
          });
        },
      );
  }
}
