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
  /** How many jobs run at once (the pool's slots). Default 4. */
  concurrency?: number;
  /** Former name of `concurrency`. */
  batchSize?: number;
  /**
   * The most slots the jobs of one name may hold at once, so that one kind of job (webhook deliveries to an endpoint
   * that never answers, a mailbox that does not respond) cannot take every slot. A number applies to every name; a
   * record sets it per name (names not listed get the default). Default: half the slots, rounded up.
   */
  maxPerName?: number | Readonly<Record<string, number>>;
  /** How long a claimed job is ours; a job whose worker died is taken again after this. */
  lockMs?: number;
  workerId?: string;
  onError?: (job: JobRow, err: unknown) => void;
};

/**
 * Polls the jobs table. Several runners (processes or servers) can share one database: claims use
 * FOR UPDATE SKIP LOCKED, and a job left running by a dead process is claimed again when its lock expires.
 *
 * The runner is a continuous pool: up to `concurrency` jobs are in flight, and a slot that frees is filled at once
 * (no waiting for the slowest job of a batch), with at most `maxPerName` slots held by the jobs of one name.
 */
export class JobRunner {
  private readonly defs = new Map<string, AnyJobDefinition>();
  /** Jobs in flight, by `workspace_id:id`; each promise never rejects. */
  private readonly inFlight = new Map<string, { name: string; done: Promise<void> }>();
  private looping: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  /** A wake-up that came while the loop was busy: its next pause ends at once. */
  private wokenEarly = false;
  /** Claims are made one at a time, so the counts per name they rely on are exact. */
  private claiming: Promise<unknown> = Promise.resolve();
  private stopped = true;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly defaultPerName: number;
  private readonly perName: Readonly<Record<string, number>>;
  private readonly lockMs: number;
  readonly workerId: string;

  constructor(
    private readonly db: Db,
    definitions: ReadonlyArray<AnyJobDefinition>,
    private readonly opts: RunnerOptions = {},
  ) {
    for (const d of definitions) this.defs.set(d.name, d);
    this.pollMs = opts.pollMs ?? 500;
    this.concurrency = Math.max(1, opts.concurrency ?? opts.batchSize ?? 4);
    const half = Math.ceil(this.concurrency / 2);
    this.defaultPerName = Math.max(1, typeof opts.maxPerName === 'number' ? opts.maxPerName : half);
    this.perName = typeof opts.maxPerName === 'object' ? opts.maxPerName : {};
    this.lockMs = opts.lockMs ?? 5 * 60_000;
    this.workerId = opts.workerId ?? `${os.hostname()}:${process.pid}:${newId().slice(-6)}`;
  }

  /** How many jobs are running now in this runner. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.looping = this.loop();
  }

  /** Claims nothing more, waits for the jobs in hand to finish, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.looping;
    this.looping = null;
    await this.settled();
  }

  /** Ask for a poll now (after an enqueue in this process). */
  nudge(): void {
    if (!this.stopped) this.wake();
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    if (w) w();
    else this.wokenEarly = true;
  }

  /** Resolves after `ms`, or sooner when a job finishes, a nudge comes or the runner stops. */
  private pause(ms: number): Promise<void> {
    if (this.wokenEarly) {
      this.wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight.values()].map((j) => j.done));
  }

  private async loop(): Promise<void> {
    let schedulesAt = 0;
    while (!this.stopped) {
      try {
        // Schedules are looked at once per poll interval, not at every job's end.
        if (Date.now() - schedulesAt >= this.pollMs) {
          schedulesAt = Date.now();
          await this.enqueueDueSchedules();
        }
        await this.fill();
      } catch {
        // A failed poll (database restarting...) is retried at the next one.
      }
      if (this.stopped) break;
      await this.pause(this.pollMs);
    }
  }

  /**
   * One round: enqueue due schedules, then run due jobs until none is left and none is running (slots are refilled
   * as they free). Returns how many jobs this round started.
   */
  async tick(): Promise<number> {
    await this.enqueueDueSchedules();
    let total = 0;
    for (;;) {
      if (!this.stopped || !this.looping) total += await this.fill();
      if (!this.inFlight.size) return total;
      await Promise.race([...this.inFlight.values()].map((j) => j.done));
    }
  }

  /** Claims due jobs into the free slots and starts them. Returns how many were started. */
  private fill(): Promise<number> {
    const run = this.claiming.then(async () => {
      let started = 0;
      for (;;) {
        const free = this.concurrency - this.inFlight.size;
        if (free <= 0) return started;
        const claimed = await this.claim(free);
        if (!claimed.length) return started;
        for (const job of claimed) this.launch(job);
        started += claimed.length;
      }
    });
    this.claiming = run.catch(() => undefined);
    return run;
  }

  private launch(job: JobRow): void {
    const key = `${job.workspaceId}:${job.id}`;
    const done = this.runOne(job)
      .catch((err: unknown) => {
        // Recording the outcome failed (the database went away): the lock expires and the job is claimed again.
        this.opts.onError?.(job, err);
      })
      .finally(() => {
        this.inFlight.delete(key);
        this.wake();
      });
    this.inFlight.set(key, { name: job.name, done });
  }

  private limitOf(name: string): number {
    return Math.max(1, this.perName[name] ?? this.defaultPerName);
  }

  /** Slots each name may still take: names at their limit are left out of the claim, the others capped. */
  private remainingByName(): { full: string[]; remaining: Record<string, number> } {
    const held = new Map<string, number>();
    for (const j of this.inFlight.values()) held.set(j.name, (held.get(j.name) ?? 0) + 1);
    const full: string[] = [];
    const remaining: Record<string, number> = {};
    for (const name of new Set([...held.keys(), ...Object.keys(this.perName)])) {
      const left = this.limitOf(name) - (held.get(name) ?? 0);
      if (left <= 0) full.push(name);
      else remaining[name] = left;
    }
    return { full, remaining };
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

  /** When this runner last claimed a job of each (name, workspace), as `name workspaceId` → ms: the last minute's. */
  private readonly served = new Map<string, number>();

  private recentlyServed(): Record<string, number> {
    const since = Date.now() - 60_000;
    // Oldest first (a Map keeps insertion order, and a claim re-inserts what it serves): drop what is too old, and
    // keep at most 5,000 pairs.
    for (const [key, at] of this.served) {
      if (at >= since && this.served.size <= 5_000) break;
      this.served.delete(key);
    }
    return Object.fromEntries(this.served);
  }

  /**
   * Claims up to `limit` due jobs. Workspaces take turns within each job name: the oldest due job of every
   * (name, workspace) comes before the second of any, and among first turns the pair this runner served longest ago
   * (or not in the last minute) goes first, so one workspace's backlog (a million webhook deliveries after an import)
   * does not hold up another's jobs of that name until it drains; within a workspace, oldest first. A job whose
   * runner died (its lock expired) is taken in the first turn. Several runners each keep their own turns.
   */
  private async claim(limit: number): Promise<JobRow[]> {
    const lockedUntil = new Date(Date.now() + this.lockMs);
    const { full, remaining } = this.remainingByName();
    const fullNames = sql`(select jsonb_array_elements_text(${JSON.stringify(full)}::jsonb))`;
    const served = sql`coalesce((${JSON.stringify(this.recentlyServed())}::jsonb ->> (c.name || ' ' || c.workspace_id))::float8, 0)`;
    // More candidates than slots: some may be locked by another runner (skipped) or over their name's cap.
    const pick = Math.max(16, limit * 4);
    // The (name, workspace) pairs with queued jobs, found by skipping through jobs_queued_turns_idx one pair at a
    // time (a loose index scan: as many probes as pairs, however long the queues); each pair's oldest due jobs are
    // numbered (its turns); candidates are taken turn by turn, then locked. FOR UPDATE cannot sit beside a window
    // function, so the per-name cap is applied to the locked rows in the next step; rows locked but not taken are
    // released when the statement commits.
    const rows = await this.db.execute(sql`
      with recursive pairs as (
        (select name, workspace_id from ${jobs} where state = 'queued' order by name, workspace_id limit 1)
        union all
        select nx.name, nx.workspace_id from pairs p cross join lateral (
          select j.name, j.workspace_id from ${jobs} j
          where j.state = 'queued' and (j.name, j.workspace_id) > (p.name, p.workspace_id)
          order by j.name, j.workspace_id limit 1) nx),
      candidates as (
        select c.workspace_id, c.id, p.name, c.turn, c.run_at from pairs p cross join lateral (
          select j.workspace_id, j.id, j.run_at, row_number() over (order by j.run_at, j.id) as turn from ${jobs} j
          where j.state = 'queued' and j.name = p.name and j.workspace_id = p.workspace_id and j.run_at <= now()
          order by j.run_at, j.id limit ${pick}) c
        where p.name not in ${fullNames}
        union all
        (select workspace_id, id, name, 1 as turn, run_at from ${jobs}
          where state = 'running' and locked_until < now() and name not in ${fullNames}
          order by run_at limit ${pick})),
      chosen as (
        select c.workspace_id, c.id, row_number() over (order by c.turn, ${served}, c.run_at, c.id) as turn
        from candidates c order by turn limit ${pick}),
      due as (
        select j.workspace_id, j.id, j.name, j.run_at, c.turn from ${jobs} j join chosen c using (workspace_id, id)
        where (j.state = 'queued' and j.run_at <= now()) or (j.state = 'running' and j.locked_until < now())
        for update of j skip locked),
      capped as (
        select workspace_id, id from (
          select workspace_id, id, name, turn, run_at,
            row_number() over (partition by name order by turn, run_at, id) as n
          from due) d
        where n <= coalesce((${JSON.stringify(remaining)}::jsonb ->> name)::int, ${this.defaultPerName})
        order by turn, run_at, id
        limit ${limit})
      update ${jobs} set state = 'running', attempts = attempts + 1, locked_by = ${this.workerId},
        locked_until = ${lockedUntil.toISOString()}::timestamptz
      where (workspace_id, id) in (select workspace_id, id from capped)
      returning workspace_id, id, name, payload, attempts, max_attempts, run_at`);
    const list = (rows as unknown as { rows: Array<Record<string, unknown>> }).rows;
    const now = Date.now();
    for (const r of list) {
      const key = `${String(r.name)} ${String(r.workspace_id)}`;
      this.served.delete(key);
      this.served.set(key, now);
    }
    return list
      .map((r) => ({
        workspaceId: String(r.workspace_id),
        id: String(r.id),
        name: String(r.name),
        payload: r.payload,
        attempts: Number(r.attempts),
        maxAttempts: Number(r.max_attempts),
        runAt: r.run_at instanceof Date ? r.run_at : new Date(String(r.run_at)),
      }))
      .sort((a, b) => a.runAt.getTime() - b.runAt.getTime()) as JobRow[];
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
