/**
 * One read shared by the callers that ask for the same key while it is being made, without serving anything older
 * than the caller: a caller that arrives while a read of its key runs waits for the next read, which starts when the
 * running one ends and is shared by everyone who arrived meanwhile. So each caller gets a result read after it asked
 * (as if it had read itself), and under load a key is read at most twice at a time instead of once per caller.
 * Nothing is kept once a read ends. For aggregates many users ask for at once (the inbox's queue counts).
 */
export function sharedReads<T>(read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const by = sharedReadsBy<T>();
  return (key) => by(key, () => read(key));
}

/**
 * The same sharing when the read comes with the call: callers with the same key must ask for the same read (e.g. the
 * key is the statement's text and parameters), so whichever caller's `read` runs answers them all.
 */
export function sharedReadsBy<T>(): (key: string, read: () => Promise<T>) => Promise<T> {
  const running = new Map<string, Promise<T>>();
  const next = new Map<string, Promise<T>>();
  const start = (key: string, read: () => Promise<T>): Promise<T> => {
    const p = read();
    running.set(key, p);
    const done = () => {
      if (running.get(key) === p) running.delete(key);
    };
    p.then(done, done);
    return p;
  };
  return (key, read) => {
    const current = running.get(key);
    if (!current) return start(key, read);
    const queued = next.get(key);
    if (queued) return queued;
    const p = current.then(
      () => undefined,
      () => undefined,
    );
    const mine = p.then(() => {
      next.delete(key);
      return start(key, read);
    });
    next.set(key, mine);
    return mine;
  };
}

/**
 * Shared reads (above) whose results are also reused for `ttlMs` after they were read, when `keep` says so (a found
 * channel, not an unknown address): for lookups asked for nearly every request whose answer rarely changes, where
 * serving a result up to `ttlMs` old is acceptable. At most `max` keys are kept; past that the oldest go.
 */
export function recentReads<T>(
  read: (key: string) => Promise<T>,
  opts: { ttlMs: number; keep: (value: T) => boolean; max?: number; now?: () => number },
): (key: string) => Promise<T> {
  const shared = sharedReads(read);
  const kept = new Map<string, { at: number; value: T }>();
  const now = opts.now ?? Date.now;
  const max = opts.max ?? 1000;
  return async (key) => {
    const hit = kept.get(key);
    if (hit && now() - hit.at < opts.ttlMs) return hit.value;
    const asked = now();
    const value = await shared(key);
    kept.delete(key);
    if (opts.keep(value)) {
      kept.set(key, { at: asked, value });
      // Maps iterate in insertion order: the first keys are the oldest.
      for (const k of kept.keys()) {
        if (kept.size <= max) break;
        kept.delete(k);
      }
    }
    return value;
  };
}
