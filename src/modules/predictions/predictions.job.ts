/**
 * The refit job: brings the metric roll-ups up to date, then fits and scores the purchase models of one workspace
 * (the job's), or — run by the daily schedule under the nil workspace — of every workspace with customers; then
 * rescores churn risk with the workspace's churn model, if it has one, and applies the lifecycle stage rules.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf } from '../../db/client.ts';
import { nilWorkspaceId } from '../../db/ids.ts';
import { defineJob } from '../../jobs/queue.ts';
import { processMetricEvents } from '../metrics/metrics.rollup.ts';
import { SafeSeqTracker } from '../webhooks/webhooks.delivery.ts';
import { refitJobName } from './predictions.job-name.ts';
import { refitPurchaseModels } from './predictions.service.ts';
import { rescoreChurn } from './churn.service.ts';
import { applyStageRules } from './stage-rules.ts';

/** Daily at 03:40 UTC. */
export const refitCron = '40 3 * * *';

export const refitJob = defineJob({
  name: refitJobName,
  payload: z.object({}).passthrough(),
  maxAttempts: 3,
  backoff: { baseMs: 60_000, maxMs: 15 * 60_000 },
  handler: async (_p, ctx) => {
    await processMetricEvents(ctx.db, new SafeSeqTracker());
    const ids =
      ctx.workspaceId === nilWorkspaceId
        ? rowsOf<{ workspace_id: string }>(
            await ctx.db.execute(
              sql`select workspace_id from metric_customers union select workspace_id from prediction_models where kind = 'churn'`,
            ),
          ).map((r) => r.workspace_id)
        : [ctx.workspaceId];
    for (const id of ids) {
      await refitPurchaseModels(ctx.db, id);
      await rescoreChurn(ctx.db, id);
      await applyStageRules(ctx.db, id);
    }
  },
});
