import type { RealtimeBus, RealtimeEvent, RealtimeListener } from './bus.ts';

/**
 * This instance's sockets, by workspace: one bus subscription for the process, each event handed to the sockets of
 * its workspace only (each socket then keeps what concerns it: its conversation, its tickets).
 */
export class RealtimeHub {
  private readonly byWorkspace = new Map<string, Set<RealtimeListener>>();
  private subscribed: Promise<() => void> | null = null;

  constructor(readonly bus: RealtimeBus) {}

  /** Resolves once events flow to this instance (LISTEN is in place on PostgreSQL). */
  async ready(): Promise<void> {
    this.subscribed ??= this.bus.subscribe((e) => this.dispatch(e));
    const attempt = this.subscribed;
    try {
      await attempt;
    } catch (err) {
      if (this.subscribed === attempt) this.subscribed = null;
      throw err;
    }
  }

  /** Adds a socket's listener for one workspace; returns its removal. */
  add(workspaceId: string, fn: RealtimeListener): () => void {
    let set = this.byWorkspace.get(workspaceId);
    if (!set) this.byWorkspace.set(workspaceId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (!set.size) this.byWorkspace.delete(workspaceId);
    };
  }

  private dispatch(e: RealtimeEvent) {
    for (const fn of this.byWorkspace.get(e.workspaceId) ?? []) {
      try {
        fn(e);
      } catch {
        // One socket's failure is its own.
      }
    }
  }

  async close(): Promise<void> {
    const s = this.subscribed;
    this.subscribed = null;
    this.byWorkspace.clear();
    if (s) (await s.catch(() => () => undefined))();
  }
}

/** A token bucket: `capacity` at once, refilled at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private at = Date.now();

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
  ) {
    this.tokens = capacity;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
