import { z } from 'zod';
import { iso, isoDate } from '../../http/schemas.ts';
import type { ImportDescription } from './imports.service.ts';
import type { ImportRowRow } from './imports.repository.ts';

export const importEntity = z
  .enum(['person', 'company', 'order'])
  .describe('What the rows are: people, companies, or orders (rows sharing an order id are the lines of one order)');
export const importMatchOn = z
  .enum(['email', 'externalId', 'domain', 'none'])
  .describe(
    'The upsert key: people match on email or externalId, companies on domain or externalId, orders on externalId (their order id); none always creates',
  );
export const importRowAction = z.enum(['create', 'update', 'unchanged', 'reject']);

export const uploadQuery = z.object({
  entity: importEntity.default('person'),
  matchOn: importMatchOn
    .optional()
    .describe('Default: email for people (domain for companies) when such a column exists; externalId for orders'),
  fileName: z.string().trim().max(255).optional().describe('For a raw text/csv body: the name to show'),
});

export const problemSchema = z.object({ field: z.string(), message: z.string() });

export const importSchema = z
  .object({
    id: z.string(),
    entity: importEntity,
    status: z
      .enum(['invalid', 'ready', 'dry_running', 'dry_run_done', 'importing', 'done', 'failed'])
      .describe(
        'invalid: the file cannot be read (see problems); ready → dry_running → dry_run_done → importing → done',
      ),
    mode: z.enum(['dry_run', 'run']).nullable().describe('What the progress counts describe'),
    fileName: z.string(),
    fileSize: z.number().int(),
    encoding: z.string(),
    delimiter: z.string(),
    headers: z.array(z.string()),
    mapping: z.record(z.string(), z.string().nullable()).describe('Column header → field (null: ignored)'),
    matchOn: importMatchOn,
    fields: z.array(z.string()).describe('Every field a column can be mapped to'),
    warnings: z.array(z.string()),
    problems: z
      .array(
        z.object({
          code: z.string(),
          message: z.string(),
          line: z.number().int().nullable().optional(),
          column: z.string().nullable().optional(),
        }),
      )
      .describe('Why the file cannot be imported'),
    mappingProblems: z.array(problemSchema).describe('What must change in the mapping before a run'),
    progress: z.object({
      totalRows: z.number().int(),
      processedRows: z.number().int(),
      percent: z.number(),
      created: z.number().int(),
      updated: z.number().int(),
      unchanged: z.number().int(),
      rejected: z.number().int(),
    }),
    lastError: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
    startedAt: isoDate.nullable(),
    finishedAt: isoDate.nullable(),
  })
  .meta({ id: 'Import' });

export type ImportDto = z.infer<typeof importSchema>;

export function presentImport(d: ImportDescription): ImportDto {
  const r = d.row;
  return {
    id: r.id,
    entity: r.entity,
    status: r.status,
    mode: r.mode ?? null,
    fileName: r.fileName,
    fileSize: r.fileSize,
    encoding: r.encoding,
    delimiter: r.delimiter,
    headers: r.headers,
    mapping: r.mapping,
    matchOn: r.matchOn,
    fields: d.fields,
    warnings: r.warnings,
    problems: r.problems,
    mappingProblems: d.mappingProblems,
    progress: {
      totalRows: r.totalRows,
      processedRows: r.processedRows,
      percent: r.totalRows ? Math.min(100, Math.round((r.processedRows / r.totalRows) * 1000) / 10) : 0,
      created: r.created,
      updated: r.updated,
      unchanged: r.unchanged,
      rejected: r.rejected,
    },
    lastError: r.lastError,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
  };
}

export const importPatch = z.object({
  mapping: z
    .record(z.string().max(500), z.string().max(100).nullable())
    .optional()
    .describe('Column header → field, or null to ignore the column; merged into the current mapping'),
  matchOn: importMatchOn.optional(),
});

export const importRowSchema = z
  .object({
    row: z.number().int().describe('1 = the first row after the header'),
    line: z
      .number()
      .int()
      .describe('The line of the file the row starts on (as an editor numbers them; a quoted cell may span lines)'),
    action: importRowAction,
    recordId: z.string().nullable(),
    summary: z.string(),
    details: z.record(z.string(), z.unknown()).describe('problems (rejected), changes (updated), notes'),
  })
  .meta({ id: 'ImportRow' });

export function presentImportRow(r: ImportRowRow): z.infer<typeof importRowSchema> {
  return {
    row: r.rowNumber,
    line: r.line,
    action: r.action,
    recordId: r.recordId,
    summary: r.summary,
    details: r.details,
  };
}

export const importRowsQuery = z.object({
  mode: z.enum(['dry_run', 'run']).optional().describe('Default: the last phase (dry run or real run)'),
  action: z
    .enum(['create', 'update', 'unchanged', 'reject', 'rejected', 'created', 'updated'])
    .optional()
    .transform((a) => (a === 'rejected' ? 'reject' : a === 'created' ? 'create' : a === 'updated' ? 'update' : a)),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.coerce.number().int().min(0).optional().describe('page.nextCursor of the previous page'),
});

export const importRowsCsvQuery = importRowsQuery.omit({ limit: true, cursor: true });

export const exportQuery = z.object({
  format: z.enum(['csv', 'json']).default('csv'),
  sort: z.string().max(100).optional().describe('A field name, prefixed with "-" for descending'),
  filter: z
    .union([z.string().max(1000), z.array(z.string().max(1000)).max(50)])
    .optional()
    .describe('field:op:value, repeatable (the same as the list)'),
  q: z.string().max(200).optional().describe('Search text (typos tolerated)'),
});
