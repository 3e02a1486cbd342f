import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Database } from '../db/client.ts';
import type { ImportEntity, ImportMatchOn } from '../db/schema/index.ts';
import { systemActor } from '../domain/permissions.ts';
import type { Services } from '../services.ts';
import { findResumableImport, listImportRows, type ImportRow } from '../modules/imports/imports.repository.ts';
import { defaultBatchSize, runImport } from '../modules/imports/imports.service.ts';
import type { WorkspaceRow } from '../modules/workspaces/workspaces.repository.ts';

type Deps = {
  withDb: <T>(fn: (database: Database, services: Services) => Promise<T>) => Promise<T>;
  pickWorkspace: (database: Database, slug: string | undefined) => Promise<WorkspaceRow>;
  fail: (message: string) => Error;
};

type ImportOptions = { workspace?: string; match?: ImportMatchOn; dryRun?: boolean; map?: string; batchSize?: string };

async function sha256Of(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** "E-mail=emails,Given=firstName,Notes=" → { "E-mail": "emails", Given: "firstName", Notes: null }. */
export function parseMapOption(raw: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const pair of raw.split(',')) {
    if (!pair.trim()) continue;
    const at = pair.lastIndexOf('=');
    if (at <= 0) throw new Error(`--map: "${pair}" is not Header=field`);
    out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim() || null;
  }
  return out;
}

function summary(imp: ImportRow): string {
  const verb = imp.mode === 'dry_run' ? 'Dry run (nothing changed)' : 'Imported';
  return `${verb}: ${imp.processedRows} of ${imp.totalRows} rows — ${imp.created} created, ${imp.updated} updated, ${imp.unchanged} unchanged, ${imp.rejected} rejected`;
}

/** `rapport import people|companies <file>` and `rapport export people|companies`. */
export function addImportCommands(program: Command, deps: Deps): void {
  const imp = program
    .command('import')
    .description('Import people or companies from a CSV file (resumes after a crash)');
  for (const [name, entity] of [
    ['people', 'person'],
    ['companies', 'company'],
  ] as const) {
    imp
      .command(name)
      .description(`Import ${name} from a CSV file: column mapping from the headers, upsert, a row report`)
      .argument('<file>', 'the CSV file (UTF-8; Latin-1 is detected and converted)')
      .option('--workspace <slug>', 'workspace slug (needed when there are several)')
      .addOption(
        new Option('--match <key>', 'upsert key: update the record with the same key instead of creating one').choices(
          entity === 'person' ? ['email', 'externalId', 'none'] : ['domain', 'externalId', 'none'],
        ),
      )
      .option('--dry-run', 'report what would be created, updated or rejected, and change nothing')
      .option('--map <pairs>', 'override the suggested mapping: "Header=field,Other=" (empty field: ignore column)')
      .addOption(new Option('--batch-size <n>', 'rows per transaction').default(String(defaultBatchSize)).hideHelp())
      .action(async (file: string, o: ImportOptions) => {
        if (!fs.existsSync(file)) throw deps.fail(`No file ${file}`);
        await deps.withDb(async (d, s) => {
          const w = await deps.pickWorkspace(d, o.workspace);
          const actor = systemActor(w.id);
          const mode = o.dryRun ? 'dry_run' : 'run';
          const sha256 = await sha256Of(file);
          let row = await findResumableImport(d.db, w.id, { sha256, entity, matchOn: o.match, mode });
          if (row) {
            console.error(`Resuming import ${row.id} at row ${row.processedRows + 1} of ${row.totalRows}`);
          } else {
            let desc = await s.imports.upload(actor, {
              entity: entity as ImportEntity,
              matchOn: o.match,
              fileName: path.basename(file),
              stream: fs.createReadStream(file),
            });
            for (const w of desc.row.warnings) console.error(`warning: ${w}`);
            if (desc.row.problems.length)
              throw deps.fail(
                `The file cannot be imported:\n${desc.row.problems.map((p) => `  ${p.message}`).join('\n')}`,
              );
            if (o.map) desc = await s.imports.update(actor, desc.row.id, { mapping: parseMapOption(o.map) });
            console.error('Columns:');
            for (const h of desc.row.headers) console.error(`  ${h} → ${desc.row.mapping[h] ?? '(ignored)'}`);
            console.error(`Matching on: ${desc.row.matchOn}`);
            if (desc.mappingProblems.length)
              throw deps.fail(
                `The mapping is not complete (fix it with --map "Header=field"):\n${desc.mappingProblems.map((p) => `  ${p.message}`).join('\n')}`,
              );
            row = (await s.imports.start(actor, desc.row.id, mode)).row;
          }
          const bar = new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: `${mode === 'run' ? 'Importing' : 'Dry run'} |{bar}| {percentage}% | {value}/{total} rows | {created} created, {updated} updated, {rejected} rejected`,
              hideCursor: true,
              // Not a terminal (a log, a pipe): still a line a second, so long imports show they are alive.
              noTTYOutput: true,
              notTTYSchedule: 1000,
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
              batchSize: Number(o.batchSize) || defaultBatchSize,
              finalAttempt: true,
              onProgress: (p) =>
                bar.update(p.processedRows, { created: p.created, updated: p.updated, rejected: p.rejected }),
            });
          } finally {
            bar.stop();
          }
          const final = (await s.imports.get(actor, row.id)).row;
          if (final.status === 'failed') throw deps.fail(`The import failed: ${final.lastError ?? 'unknown error'}`);
          console.log(summary(final));
          if (final.rejected) {
            const rejected = await listImportRows(d.db, w.id, final.id, { mode, action: 'reject', limit: 10 });
            console.log('Rejected rows:');
            for (const r of rejected) console.log(`  row ${r.rowNumber} (line ${r.line}): ${r.summary}`);
            if (final.rejected > rejected.length)
              console.log(`  … all of them: GET /api/v1/imports/${final.id}/rows?mode=${mode}&action=rejected`);
          }
          console.log(`Import id: ${final.id}`);
        });
      });
  }

  const exp = program.command('export').description('Export people or companies (any filter) as CSV or JSON');
  for (const name of ['people', 'companies'] as const) {
    exp
      .command(name)
      .description(`Export ${name} matching the filters, streamed`)
      .option('--workspace <slug>', 'workspace slug (needed when there are several)')
      .option(
        '--filter <field:op:value>',
        'a filter like the API list (repeatable), e.g. tag:eq:vip',
        (v: string, prev: string[]) => [...prev, v],
        [] as string[],
      )
      .option('--sort <field>', 'sort field, "-field" for descending')
      .option('--q <text>', 'search text')
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
          await deps.withDb(async (d, s) => {
            const w = await deps.pickWorkspace(d, o.workspace);
            const params = { filter: o.filter, sort: o.sort, q: o.q };
            const stream =
              name === 'people'
                ? await s.exports.people(systemActor(w.id), params, o.format)
                : await s.exports.companies(systemActor(w.id), params, o.format);
            if (o.out) {
              await pipeline(stream, fs.createWriteStream(o.out));
              console.error(`Wrote ${o.out}`);
            } else await pipeline(stream, process.stdout, { end: false });
          });
        },
      );
  }
}
