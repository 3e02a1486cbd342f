import { z } from 'zod';
import { companySchema } from '../companies/companies.schemas.ts';
import { personSchema } from '../people/people.schemas.ts';

export const duplicateReasonSchema = z.object({
  kind: z.enum(['email', 'phone', 'domain', 'name']),
  value: z.string().optional(),
  similarity: z.number().optional(),
  companyId: z.string().optional(),
});

export const duplicatesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional().describe('Pairs per page, 1 to 200 (default 50)'),
  cursor: z.string().max(200).optional().describe('The page.nextCursor of the previous page'),
  minScore: z.coerce.number().min(0).max(1).optional().describe('Only pairs at least this likely (0 to 1)'),
});

export const personDuplicatesQuery = duplicatesQuery.extend({
  personId: z.uuid().optional().describe('Only the likely duplicates of this person'),
});

export const companyDuplicatesQuery = duplicatesQuery.extend({
  companyId: z.uuid().optional().describe('Only the likely duplicates of this company'),
});

const page = z.object({
  nextCursor: z.string().nullable().describe('More candidates follow; a page may hold fewer pairs than the limit'),
  limit: z.number().int(),
});

export const personDuplicatePage = z.object({
  data: z.array(
    z.object({ a: personSchema, b: personSchema, score: z.number(), reasons: z.array(duplicateReasonSchema) }),
  ),
  page,
});

export const companyDuplicatePage = z.object({
  data: z.array(
    z.object({ a: companySchema, b: companySchema, score: z.number(), reasons: z.array(duplicateReasonSchema) }),
  ),
  page,
});

export const dismissBody = z.object({
  ids: z
    .array(z.uuid({ message: 'must be a UUID' }))
    .length(2)
    .describe('The two records that are not the same'),
});

const choice = z.enum(['this', 'other', 'both']);

export const mergeBody = z.object({
  otherId: z.uuid({ message: 'must be a UUID' }).describe('The record merged into this one, then deleted'),
  fields: z
    .record(z.string().max(100), choice)
    .optional()
    .describe(
      'Per field (built-in names like firstName, or custom field keys): "this" or "other"; lists (emails, phones, tags) also "both". Default: this record\'s value, blanks filled from the other, lists unioned.',
    ),
});

export type MergeInput = z.infer<typeof mergeBody>;

/** Opaque cursor of a pairs page: the last (a, b) pair looked at. */
export function encodePairCursor(c: { a: string; b: string }): string {
  return Buffer.from(`${c.a}|${c.b}`).toString('base64url');
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodePairCursor(s: string | undefined): { a: string; b: string } | null | 'invalid' {
  if (!s) return null;
  const [a, b, ...rest] = Buffer.from(s, 'base64url').toString('utf8').split('|');
  if (!a || !b || rest.length || !uuidPattern.test(a) || !uuidPattern.test(b)) return 'invalid';
  return { a, b };
}
