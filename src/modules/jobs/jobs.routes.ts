import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, iso, isoDate } from '../../http/schemas.ts';
import type { JobRow } from '../../jobs/queue.ts';
import type { JobsService } from './jobs.service.ts';

export const jobSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
    attempts: z.number().int(),
    progress: z.record(z.string(), z.unknown()).nullable().describe('What it has done so far, e.g. { total, done }'),
    lastError: z.string().nullable(),
    createdAt: isoDate,
    finishedAt: isoDate.nullable(),
  })
  .meta({ id: 'Job' });

const states = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export function presentJob(j: JobRow): z.infer<typeof jobSchema> {
  return {
    id: j.id,
    name: j.name,
    state: states.find((s) => s === j.state) ?? 'queued',
    attempts: j.attempts,
    progress: j.progress ?? null,
    lastError: j.lastError,
    createdAt: j.createdAt.toISOString(),
    finishedAt: iso(j.finishedAt),
  };
}

export const jobsRoutes =
  (jobs: JobsService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/jobs/:id',
      {
        schema: {
          tags: ['Jobs'],
          summary: 'A background job of this workspace: its state and progress',
          params: idParam,
          response: { 200: jobSchema, ...errorResponses },
        },
      },
      async (req) => presentJob(await jobs.get(requireActor(req), req.params.id)),
    );
  };
