import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { jobs } from '../../db/schema/index.ts';
import type { JobRow } from '../../jobs/queue.ts';

export async function findJob(db: DbOrTx, workspaceId: string, id: string): Promise<JobRow | null> {
  const [r] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.workspaceId, workspaceId), eq(jobs.id, id)));
  return r ?? null;
}

/** What a running job has done so far; read by GET /api/v1/jobs/{id}. */
export async function setJobProgress(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  progress: Record<string, unknown>,
): Promise<void> {
  await db
    .update(jobs)
    .set({ progress })
    .where(and(eq(jobs.workspaceId, workspaceId), eq(jobs.id, id)));
}
