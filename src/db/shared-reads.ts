/**
 * One read shared by the callers that ask for the same key while it is being made, without serving anything older
 * than the caller: a caller that arrives while a read of its key runs waits for the next read, which starts when the
 * running one ends and is shared by everyone who arrived meanwhile. So each caller gets a result read after it asked
 * (as if it had read itself), and under load a key is read at most twice at a time instead of once per caller.
 * Nothing is kept once a read ends. For aggregates many users ask for at once (the inbox's queue counts).
 */
export function sharedReads<T>(read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const running = new Map<string, Promise<T>>();
  const next = new Map<string, Promise<T>>();
  const start = (key: string): Promise<T> => {
    const p = read(key);
    running.set(key, p);
    const done = () => {
      if (running.get(key) === p) running.delete(key);
    };
    p.then(done, done);
    return p;
  };
  return (key) => {
    const current = running.get(key);
    if (!current) return start(key);
    const queued = next.get(key);
    if (queued) return queued;
    const p = current.then(
      () => undefined,
      () => undefined,
    );
    const mine = p.then(() => {
      next.delete(key);
      return start(key);
    });
    next.set(key, mine);
    return mine;
  };
}
