import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { nilWorkspaceId } from '../db/ids.ts';
import { purgeExpiredIdempotencyKeys } from '../http/idempotency.ts';
import { defineJob, scheduleJob, type AnyJobDefinition } from './queue.ts';
import { sql } from 'drizzle-orm';
import { fanOutCron, fanOutJobName, webhookJobs } from '../modules/webhooks/webhooks.delivery.ts';
import { importJob } from '../modules/imports/imports.job.ts';
import { bulkJob } from '../modules/bulk/bulk.job.ts';
import { deliverEmailJob } from '../modules/channels/email.outbound.ts';
import { imapJobs, imapScheduleJobName } from '../modules/channels/email.imap.ts';
import type { TicketsService } from '../modules/tickets/tickets.service.ts';
import { slaCheckJob } from '../modules/sla/sla.service.ts';
import { timeRulesJob } from '../modules/rules/time.job.ts';
import { rollupCron, rollupJob, rollupJobName } from '../modules/metrics/metrics.rollup.ts';
import { refitCron, refitJob } from '../modules/predictions/predictions.job.ts';

/** Housekeeping: expired idempotency records, old finished jobs, and long-expired sessions. */
export const housekeepingJob = defineJob({
  name: 'system.housekeeping',
  payload: z.object({}).passthrough(),
  handler: async (_p, { db }) => {
    await purgeExpiredIdempotencyKeys(db);
    await db.execute(
      sql`delete from jobs where state in ('succeeded', 'cancelled') and finished_at < now() - interval '7 days'`,
    );
    await db.execute(sql`delete from sessions where expires_at < now() - interval '30 days'`);
  },
});

/**
 * Every job. Pass the server's tickets service so mail polled from IMAP mailboxes is announced on its realtime bus
 * (open inboxes update at once); without it those jobs make their own.
 */
export function jobDefinitions(deps: { tickets?: TicketsService } = {}): AnyJobDefinition[] {
  return [
    housekeepingJob,
    importJob,
    bulkJob,
    deliverEmailJob,
    slaCheckJob,
    timeRulesJob,
    rollupJob() as AnyJobDefinition,
    refitJob as AnyJobDefinition,
    ...imapJobs(deps),
    ...webhookJobs(),
  ];
}

export const allJobs: ReadonlyArray<AnyJobDefinition> = jobDefinitions();

/** Recurring jobs every installation has. Idempotent: safe at every start. */
export async function ensureSystemSchedules(db: Db): Promise<void> {
  await scheduleJob(db, nilWorkspaceId, housekeepingJob.name, '17 * * * *', {});
  await scheduleJob(db, nilWorkspaceId, fanOutJobName, fanOutCron, {});
  await scheduleJob(db, nilWorkspaceId, slaCheckJob.name, '* * * * *', {});
  await scheduleJob(db, nilWorkspaceId, timeRulesJob.name, '* * * * *', {});
  await scheduleJob(db, nilWorkspaceId, imapScheduleJobName, '* * * * *', {});
  await scheduleJob(db, nilWorkspaceId, rollupJobName, rollupCron, {});
  await scheduleJob(db, nilWorkspaceId, refitJob.name, refitCron, {});
}
