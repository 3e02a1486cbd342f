import type { Db } from '../../db/client.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import type { JobRow } from '../../jobs/queue.ts';
import { assertCan } from '../auth/access.ts';
import { findJob } from './jobs.repository.ts';

export type JobsService = ReturnType<typeof createJobsService>;

/** Read-only: the state and progress of a workspace's background job (a bulk action, an import...). */
export function createJobsService(deps: { db: Db }) {
  const { db } = deps;
  return {
    async get(actor: Actor, id: string): Promise<JobRow> {
      assertCan(actor, 'workspace:read');
      const j = await findJob(db, actor.workspaceId, id);
      if (!j) throw AppError.notFound('Job', id);
      return j;
    },
  };
}
