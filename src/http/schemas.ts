import { z } from 'zod';

/** Shared pieces of the API contract. The console imports these too, so keep this file free of server code. */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown(),
    }),
  })
  .meta({ id: 'Error' });

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional().describe('Page size, 1 to 200 (default 50)'),
  cursor: z.string().max(500).optional().describe('The page.nextCursor of the previous page'),
  sort: z.string().max(100).optional().describe('A field name, prefixed with "-" for descending'),
  filter: z
    .union([z.string().max(1000), z.array(z.string().max(1000)).max(50)])
    .optional()
    .describe('field:op:value, repeatable; ops: eq ne lt lte gt gte in contains exists (in takes a|b|c)'),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    page: z.object({ nextCursor: z.string().nullable(), limit: z.number().int() }),
  });
}

export const idParam = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

export const isoDate = z.string().describe('ISO 8601 date-time');

export function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

/** Common error responses, for the OpenAPI document. */
export const errorResponses = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  404: errorBody,
  409: errorBody,
  422: errorBody,
  429: errorBody,
};

/** For routes that answer 204 with no body. */
export const noContentResponses = { 204: z.null().describe('Done; no content'), ...errorResponses };
