import { defineJob } from '../../jobs/queue.ts';
import { createCompaniesService } from '../companies/companies.service.ts';
import { setJobProgress } from '../jobs/jobs.repository.ts';
import { createPeopleService } from '../people/people.service.ts';
import { actorFromJson, bulkJobName, bulkJobPayload, createBulkService } from './bulk.service.ts';

/**
 * A large bulk action. Safe to run again after a crash: each batch commits with its events, and records already
 * changed are skipped (they have the tag, the owner, the stage; deleted ones no longer match).
 */
export const bulkJob = defineJob({
  name: bulkJobName,
  payload: bulkJobPayload,
  maxAttempts: 3,
  handler: async (p, { db, jobId, workspaceId }) => {
    const bulk = createBulkService({
      db,
      people: createPeopleService({ db }),
      companies: createCompaniesService({ db }),
    });
    const actor = actorFromJson(p.actor);
    if (actor.workspaceId !== workspaceId) throw new Error('bulk job actor belongs to another workspace');
    const result = await bulk.execute(
      actor,
      p.entity,
      p.input,
      (progress) => setJobProgress(db, workspaceId, jobId, progress),
      p.total,
    );
    await setJobProgress(db, workspaceId, jobId, { ...result, total: result.done });
  },
});
