import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { requireActor } from '../http/auth.ts';
import { errorResponses, isoDate } from '../http/schemas.ts';
import { assertCan } from '../modules/auth/access.ts';
import { listEvents, type EventRow } from './events.ts';

export const eventSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    type: z.string(),
    subjectType: z.string(),
    subjectId: z.string(),
    actorType: z.string(),
    actorId: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    occurredAt: isoDate,
  })
  .meta({ id: 'Event' });

export function presentEvent(e: EventRow): z.infer<typeof eventSchema> {
  return {
    id: e.id,
    seq: e.seq,
    type: e.type,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    actorType: e.actorType,
    actorId: e.actorId,
    payload: e.payload,
    occurredAt: e.occurredAt.toISOString(),
  };
}

/**
 * A page of events, newest first: the caller asked for limit + 1 rows, so one more means there is a next page,
 * which starts before the last shown seq.
 */
export function eventPage(rows: EventRow[], limit: number) {
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  return { data: kept.map(presentEvent), page: { nextBefore: rows.length > limit && last ? last.seq : null, limit } };
}

export const eventsRoutes =
  (db: Db): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/events',
      {
        schema: {
          tags: ['Events'],
          summary: 'The event log of the workspace, newest first',
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            before: z.coerce.number().int().min(1).optional().describe('page.nextBefore of the previous page'),
            type: z.string().max(100).optional().describe('An event type, or a prefix like "user.*"'),
            subject_type: z.string().max(50).optional(),
            subject_id: z.string().max(100).optional(),
          }),
          response: {
            200: z.object({
              data: z.array(eventSchema),
              page: z.object({ nextBefore: z.number().int().nullable(), limit: z.number().int() }),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const actor = requireActor(req);
        assertCan(actor, 'events:read');
        const q = req.query;
        const rows = await listEvents(db, actor.workspaceId, {
          limit: q.limit + 1,
          beforeSeq: q.before,
          type: q.type,
          subjectType: q.subject_type,
          subjectId: q.subject_id,
        });
        return eventPage(rows, q.limit);
      },
    );
  };
