import { z } from 'zod';
import { isoDate } from '../../http/schemas.ts';
import type { ViewRow } from './views.repository.ts';

export const viewEntity = z.enum(['person', 'company']);

export const viewQuerySchema = z.object({
  filter: z.array(z.string().max(1000)).max(50).default([]).describe('field:op:value, as in the list endpoints'),
  sort: z.string().max(100).optional().describe('A field name, "-" for descending'),
  q: z.string().max(200).optional().describe('Search text'),
  columns: z.array(z.string().max(100)).max(100).optional().describe('The columns shown, in order'),
});

export const viewSchema = z
  .object({
    id: z.string(),
    entity: viewEntity,
    name: z.string(),
    query: viewQuerySchema,
    ownerId: z.string().nullable(),
    shared: z.boolean(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'SavedView' });

export const viewInput = z.object({
  entity: viewEntity,
  name: z.string().trim().min(1).max(100),
  query: viewQuerySchema,
  shared: z.boolean().optional().describe('Seen by everyone in the workspace (default: only you)'),
});

export const viewPatch = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  query: viewQuerySchema.optional(),
  shared: z.boolean().optional(),
});

export type ViewInput = z.infer<typeof viewInput>;
export type ViewPatch = z.infer<typeof viewPatch>;

export function presentView(v: ViewRow): z.infer<typeof viewSchema> {
  return {
    id: v.id,
    entity: v.entity === 'company' ? 'company' : 'person',
    name: v.name,
    query: { filter: v.query.filter ?? [], sort: v.query.sort, q: v.query.q, columns: v.query.columns },
    ownerId: v.ownerId,
    shared: v.shared,
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
  };
}
