import { z } from 'zod';

export const bulkSelection = z
  .object({
    ids: z
      .array(z.uuid({ message: 'must be a UUID' }))
      .min(1)
      .max(10_000)
      .optional()
      .describe('These records'),
    filter: z
      .union([z.string().max(1000), z.array(z.string().max(1000)).max(50)])
      .optional()
      .describe('Every record the list would show with these filters (field:op:value)'),
    q: z.string().max(200).optional().describe('… and this search text'),
    all: z.literal(true).optional().describe('Every record (when there is no filter)'),
  })
  .refine((s) => Boolean(s.ids) !== Boolean(s.filter !== undefined || s.q !== undefined || s.all), {
    message: 'give either ids, or a filter/q (or all: true)',
  })
  // An empty filter list or a blank q narrows nothing: acting on every record takes `all: true`, said on purpose.
  .refine((s) => s.ids || s.all || narrows(s), {
    message: 'the filter and q are empty, which would select every record: send all: true to mean that',
    path: ['all'],
  });

function narrows(s: { filter?: string | string[] | undefined; q?: string | undefined }): boolean {
  const filters = s.filter === undefined ? [] : [s.filter].flat();
  return filters.some((f) => f.trim() !== '') || Boolean(s.q?.trim());
}

const base = {
  selection: bulkSelection,
  value: z.string().max(200).nullish().describe('The tag, the owner user id (null: no owner) or the stage'),
  reason: z.string().trim().max(500).optional().describe('Why (for set_stage: kept in the stage history)'),
};

export const peopleBulkBody = z.object({
  ...base,
  action: z.enum(['tag', 'untag', 'set_owner', 'set_stage', 'delete']),
});

export const companiesBulkBody = z.object({
  ...base,
  action: z.enum(['tag', 'untag', 'set_owner', 'delete']),
});

export type BulkSelection = z.infer<typeof bulkSelection>;
export type BulkAction = z.infer<typeof peopleBulkBody>['action'];
export type BulkInput = {
  selection: BulkSelection;
  action: BulkAction;
  value?: string | null | undefined;
  reason?: string | undefined;
};

export const bulkResult = z.object({
  status: z.enum(['done', 'queued']),
  jobId: z.string().nullable().describe('For large selections: follow GET /api/v1/jobs/{id}'),
  matched: z.number().int().describe('How many records the selection holds (when it was counted)'),
  changed: z.number().int().describe('How many were changed (0 while queued)'),
  unchanged: z.number().int().describe('Already as asked (e.g. had the tag)'),
});

export type BulkProgress = { total: number; done: number; changed: number; unchanged: number };
