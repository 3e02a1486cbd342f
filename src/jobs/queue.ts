import os from 'node:os';
import { CronExpressionParser } from 'cron-parser';
import { and, eq, sql } from 'drizzle-orm';
import type { ZodType } from 'zod';
import type { Db, DbOrTx } from '../db/client.ts';
import { newId } from '../db/ids.ts';
import { jobSchedules, jobs } from '../db/schema/index.ts';

export type JobContext = {
  db: Db;
  jobId: string;
  workspaceId: string;
  attempt: number;
};

/** A job: a name, the shape of its payload, and an idempotent handler (delivery is at least once). */
export type JobDefinition<P = unknown> = {
  name: string;
  payload: ZodType<P>;
  handler: (payload: P, ctx: JobContext) => Promise<void>;
  maxAttempts?: number;
  /** Exponential backoff: base * 2^(attempt-1), capped at max. */
  backoff?: { baseMs: number; maxMs: number };
};

/** Any job definition, whatever its payload type (what the runner holds). */
export type AnyJobDefinition = Omit<JobDefinition, 'payload' | 'handler'> & {
  payload: ZodType<unknown>;
  handler: (payload: never, ctx: JobContext) => Promise<void>;
};

export function defineJob<P>(def: JobDefinition<P>): JobDefinition<P> {
  return def;
}

export type EnqueueOptions = {
  runAt?: Date;
  singletonKey?: string;
  maxAttempts?: number;
};

export type JobRow = typeof jobs.$inferSelect;

const defaultBackoff = { baseMs: 5_000, maxMs: 6 * 60 * 60 * 1000 };

export function backoffDelayMs(attempt: number, backoff = defaultBackoff): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Adds a job. Pass the transaction of the change that causes it, and the job exists only if the change commits.
 * Returns null when a job with the same singleton key is already queued or running.
 */
export async function enqueueJob(
  tx: DbOrTx,
  workspaceId: string,
  name: string,
  payload: unknown,
  opts: EnqueueOptions = {},
): Promise<string | null> {
  const id = newId();
  const rows = await tx
    .insert(jobs)
    .values({
      workspaceId,
      id,
      name,
      payload: payload ?? {},
      runAt: opts.runAt ?? new Date(),
      singletonKey: opts.singletonKey ?? null,
      maxAttempts: opts.maxAttempts ?? 5,
    })
    .onConflictDoNothing()
    .returning({ id: jobs.id });
  return rows[0]?.id ?? null;
}

export function nextCronRun(cron: string, timezone: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { currentDate: after, tz: timezone }).next().toDate();
}

/** Creates or replaces a recurring job. The cron expression is checked here so a bad one never gets stored. */
export async function scheduleJob(
  db: DbOrTx,
  workspaceId: string,
  name: string,
  cron: string,
  payload: unknown,
  timezone = 'UTC',
): Promise<Date> {
  const nextRunAt = nextCronRun(cron, timezone, new Date());
  await db
    .insert(jobSchedules)
    .values({ workspaceId, name, cron, timezone, payload: payload ?? {}, nextRunAt })
    .onConflictDoUpdate({
      target: [jobSchedules.workspaceId, jobSchedules.name],
      set: { cron, timezone, payload: payload ?? {}, nextRunAt },
    });
  return nextRunAt;
}

export async function unscheduleJob(db: DbOrTx, workspaceId: string, name: string): Promise<void> {
  await db.delete(jobSchedules).where(and(eq(jobSchedules.workspaceId, workspaceId), eq(jobSchedules.name, name)));
}

export type RunnerOptions = {
  pollMs?: number;
  batchSize?: number;
  /** How long a claimed job is ours; a job whose worker died is taken again after this. */
  lockMs?: number;
  workerId?: string;
  onError?: (job: JobRow, err: unknown) => void;
};

/**
 * Polls the jobs table. Several runners (processes or servers) can share one database: claims use
 * FOR UPDATE SKIP LOCKED, and a job left running by a dead process is claimed again when its lock expires.
 */
export class JobRunner {
  private readonly defs = new Map<string, AnyJobDefinition>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly lockMs: number;
  readonly workerId: string;

  constructor(
    private readonly db: Db,
    definitions: ReadonlyArray<AnyJobDefinition>,
    private readonly opts: RunnerOptions = {},
  ) {
    for (const d of definitions) this.defs.set(d.name, d);
    this.pollMs = opts.pollMs ?? 500;
    this.batchSize = opts.batchSize ?? 4;
    this.lockMs = opts.lockMs ?? 5 * 60_000;
    this.workerId = opts.workerId ?? `${os.hostname()}:${process.pid}:${newId().slice(-6)}`;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop();
  }

  /** Finishes the jobs in hand, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Ask for a poll now (after an enqueue in this process). */
  nudge(): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.loop();
  }

  private loop(): void {
    this.running = this.tick()
      .then(() => undefined)
      .catch(() => undefined)
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(() => this.loop(), this.pollMs);
      });
  }

  /** One round: enqueue due schedules, then run due jobs until none is left. Returns how many jobs ran. */
  async tick(): Promise<number> {
    await this.enqueueDueSchedules();
    let total = 0;
    for (;;) {
      const claimed = await this.claim();
      if (!claimed.length) return total;
      await Promise.all(claimed.map((j) => this.runOne(j)));
      total += claimed.length;
      if (this.stopped) return total;
    }
  }

  private async enqueueDueSchedules(): Promise<void> {
    await this.db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(jobSchedules)
        .where(sql`${jobSchedules.nextRunAt} <= now()`)
        .for('update', { skipLocked: true });
      for (const s of due) {
        // The singleton key makes a schedule fire once per slot, even if two runners see it.
        await enqueueJob(tx, s.workspaceId, s.name, s.payload, { singletonKey: `cron:${s.nextRunAt.toISOString()}` });
        await tx
          .update(jobSchedules)
          .set({ lastRunAt: s.nextRunAt, nextRunAt: nextCronRun(s.cron, s.timezone, new Date()) })
          .where(and(eq(jobSchedules.workspaceId, s.workspaceId), eq(jobSchedules.name, s.name)));
      }
    });
  }

  private async claim(): Promise<JobRow[]> {
    const lockedUntil = new Date(Date.now() + this.lockMs);
    const rows = await this.db.execute(sql`
      update ${jobs} set state = 'running', attempts = attempts + 1, locked_by = ${this.workerId},
        locked_until = ${lockedUntil.toISOString()}::timestamptz
      where (workspace_id, id) in (
        select workspace_id, id from ${jobs}
        where (state = 'queued' and run_at <= now()) or (state = 'running' and locked_until < now())
        order by run_at
        limit ${this.batchSize}
        for update skip locked)
      returning workspace_id, id, name, payload, attempts, max_attempts`);
    const list = (rows as unknown as { rows: Array<Record<string, unknown>> }).rows;
    return list.map((r) => ({
      workspaceId: String(r.workspace_id),
      id: String(r.id),
      name: String(r.name),
      payload: r.payload,
      attempts: Number(r.attempts),
      maxAttempts: Number(r.max_attempts),
    })) as JobRow[];
  }

  private async finish(job: JobRow, set: Partial<JobRow>): Promise<void> {
    await this.db
      .update(jobs)
      .set({ lockedBy: null, lockedUntil: null, ...set })
      .where(and(eq(jobs.workspaceId, job.workspaceId), eq(jobs.id, job.id), eq(jobs.lockedBy, this.workerId)));
  }

  private async runOne(job: JobRow): Promise<void> {
    const def = this.defs.get(job.name);
    if (!def) {
      await this.finish(job, {
        state: 'failed',
        lastError: `no job is defined with the name "${job.name}"`,
        finishedAt: new Date(),
      });
      return;
    }
    const parsed = def.payload.safeParse(job.payload);
    if (!parsed.success) {
      // A payload that does not fit will not fit on the next try either.
      await this.finish(job, {
        state: 'failed',
        lastError: `invalid payload: ${parsed.error.message}`,
        finishedAt: new Date(),
      });
      return;
    }
    try {
      await def.handler(parsed.data as never, {
        db: this.db,
        jobId: job.id,
        workspaceId: job.workspaceId,
        attempt: job.attempts,
      });
      await this.finish(job, { state: 'succeeded', lastError: null, finishedAt: new Date() });
    } catch (err) {
      this.opts.onError?.(job, err);
      const message = err instanceof Error ? err.message : String(err);
      const maxAttempts = def.maxAttempts ?? job.maxAttempts;
      if (job.attempts >= maxAttempts) {
        await this.finish(job, { state: 'failed', lastError: message, finishedAt: new Date() });
      } else {
        const delay = backoffDelayMs(job.attempts, def.backoff);
        await this.finish(job, { state: 'queued', lastError: message, runAt: new Date(Date.now() + delay) });
      }
    }
  }
}
