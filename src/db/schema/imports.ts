import { msNow } from './columns.ts';
import { foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { workspaces } from './workspaces.ts';

export type ImportEntity = 'person' | 'company' | 'order';
export type ImportMatchOn = 'email' | 'externalId' | 'domain' | 'none';
/** ready → dry_running → dry_run_done → importing → done; invalid files never leave `invalid`. */
export type ImportStatus = 'invalid' | 'ready' | 'dry_running' | 'dry_run_done' | 'importing' | 'done' | 'failed';
export type ImportMode = 'dry_run' | 'run';
export type ImportFileProblem = { code: string; message: string; line?: number | null; column?: string | null };

/**
 * A CSV import of people, companies or orders. The uploaded file stays on disk (`file_path`); `processed_rows` is the
 * checkpoint, advanced in the same transaction as each batch it covers, so a restarted run resumes exactly there.
 */
export const imports = pgTable(
  'imports',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    entity: text('entity').$type<ImportEntity>().notNull(),
    status: text('status').$type<ImportStatus>().notNull(),
    /** The phase the counts below describe: the last dry run or the real run. */
    mode: text('mode').$type<ImportMode>(),
    fileName: text('file_name').notNull(),
    filePath: text('file_path').notNull(),
    fileSize: integer('file_size').notNull(),
    fileSha256: text('file_sha256').notNull(),
    /** utf-8, or what a non-UTF-8 file was read as (windows-1252, utf-16le). */
    encoding: text('encoding').notNull(),
    /** The field separator found in the header line: , ; or a tab. */
    delimiter: text('delimiter').notNull().default(','),
    headers: text('headers').array().notNull(),
    /** Header → target field (null: ignored). */
    mapping: jsonb('mapping').$type<Record<string, string | null>>().notNull(),
    matchOn: text('match_on').$type<ImportMatchOn>().notNull(),
    /** Notes about the file a user should know (e.g. it was transcoded). */
    warnings: jsonb('warnings').$type<string[]>().notNull().default([]),
    /** Why the file cannot be imported (bad quoting, an over-long line...). */
    problems: jsonb('problems').$type<ImportFileProblem[]>().notNull().default([]),
    totalRows: integer('total_rows').notNull().default(0),
    processedRows: integer('processed_rows').notNull().default(0),
    created: integer('created').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    unchanged: integer('unchanged').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    lastError: text('last_error'),
    /** Who started it: the events of the run are theirs. */
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(msNow),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    index('imports_created_idx').on(t.workspaceId, t.createdAt),
  ],
);

/**
 * The row-by-row report: every row of a dry run (what would happen and why), and the rejected rows of a real run.
 */
export const importRows = pgTable(
  'import_rows',
  {
    workspaceId: uuid('workspace_id').notNull(),
    importId: uuid('import_id').notNull(),
    mode: text('mode').$type<ImportMode>().notNull(),
    /** 1 = the first data row after the header. */
    rowNumber: integer('row_number').notNull(),
    /** The file line the row ends on. */
    line: integer('line').notNull(),
    action: text('action').$type<'create' | 'update' | 'unchanged' | 'reject'>().notNull(),
    /** The matched or created record. */
    recordId: uuid('record_id'),
    /** The upsert key the row matched on (an email or external id), to find rows created earlier in a dry run. */
    matchKeys: text('match_keys').array(),
    summary: text('summary').notNull(),
    /** problems (rejected) or changes (updated) or notes. */
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.importId, t.mode, t.rowNumber] }),
    foreignKey({ columns: [t.workspaceId, t.importId], foreignColumns: [imports.workspaceId, imports.id] }).onDelete(
      'cascade',
    ),
    index('import_rows_action_idx').on(t.workspaceId, t.importId, t.mode, t.action, t.rowNumber),
    index('import_rows_keys_idx').using('gin', t.matchKeys),
  ],
);
