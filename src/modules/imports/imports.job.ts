import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';
import { importJobName, runImport } from './imports.service.ts';

const maxAttempts = 10;

/** Runs a queued import or dry run; a retry (or a restart) resumes at the import's checkpoint. */
export const importJob = defineJob({
  name: importJobName,
  payload: z.object({ importId: z.uuid() }),
  maxAttempts,
  backoff: { baseMs: 2_000, maxMs: 5 * 60_000 },
  handler: async (p, ctx) =>
    runImport(ctx.db, ctx.workspaceId, p.importId, { finalAttempt: ctx.attempt >= maxAttempts }),
});
