import { describe, expect, it } from 'vitest';
import { recentReads, sharedReads, sharedReadsBy } from './shared-reads.ts';

/** A read whose results the test hands out one by one, in the order the reads started. */
function controlledReads() {
  const started: Array<{ key: string; resolve: (v: string) => void; reject: (e: Error) => void }> = [];
  const read = (key: string) =>
    new Promise<string>((resolve, reject) => {
      started.push({ key, resolve, reject });
    });
  return { read, started };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('sharedReads', () => {
  it('gives callers that arrive during a read the next read, started after they asked, shared by all of them', async () => {
    const { read, started } = controlledReads();
    const get = sharedReads(read);
    const first = get('ws');
    const second = get('ws');
    const third = get('ws');
    expect(started).toHaveLength(1);
    started[0]?.resolve('read 1');
    expect(await first).toBe('read 1');
    await tick();
    // The next read starts only once the first ended, and serves both late callers.
    expect(started).toHaveLength(2);
    started[1]?.resolve('read 2');
    expect(await second).toBe('read 2');
    expect(await third).toBe('read 2');
  });

  it('reads again for a caller that comes after the reads ended, and keeps keys apart', async () => {
    const { read, started } = controlledReads();
    const get = sharedReads(read);
    const a = get('a');
    const b = get('b');
    expect(started.map((s) => s.key)).toEqual(['a', 'b']);
    started[0]?.resolve('a1');
    started[1]?.resolve('b1');
    expect([await a, await b]).toEqual(['a1', 'b1']);
    const again = get('a');
    expect(started).toHaveLength(3);
    started[2]?.resolve('a2');
    expect(await again).toBe('a2');
  });

  it('fails only the callers of a read that fails; the waiting ones get their own read', async () => {
    const { read, started } = controlledReads();
    const get = sharedReads(read);
    const first = get('ws');
    const waiting = get('ws');
    started[0]?.reject(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await tick();
    expect(started).toHaveLength(2);
    started[1]?.resolve('fine');
    expect(await waiting).toBe('fine');
  });
});

describe('sharedReadsBy', () => {
  it("runs one caller's read for everyone asking the same key meanwhile, and keeps keys apart", async () => {
    const get = sharedReadsBy<string>();
    const calls: string[] = [];
    const gate: Array<() => void> = [];
    const read = (who: string) => () =>
      new Promise<string>((resolve) => {
        calls.push(who);
        gate.push(() => resolve(`read by ${who}`));
      });
    const a = get('page', read('a'));
    const b = get('page', read('b'));
    const c = get('page', read('c'));
    const other = get('other', read('d'));
    expect(calls).toEqual(['a', 'd']);
    gate[0]?.();
    gate[1]?.();
    expect(await a).toBe('read by a');
    expect(await other).toBe('read by d');
    await tick();
    // b and c arrived during a's read: one read after it, by the first of them, serves both.
    expect(calls).toEqual(['a', 'd', 'b']);
    gate[2]?.();
    expect(await b).toBe('read by b');
    expect(await c).toBe('read by b');
  });
});

describe('recentReads', () => {
  it('reuses a kept result until it is ttlMs old, never keeps what keep refuses, and keeps at most max keys', async () => {
    let clock = 1_000;
    const reads: string[] = [];
    const get = recentReads(
      async (key: string) => {
        reads.push(key);
        return key.startsWith('known') ? [`${key}#${reads.length}`] : [];
      },
      { ttlMs: 2_000, keep: (v) => v.length > 0, max: 2, now: () => clock },
    );
    expect(await get('known-a')).toEqual(['known-a#1']);
    clock += 1_999;
    expect(await get('known-a')).toEqual(['known-a#1']);
    clock += 1;
    // Two seconds old: read again.
    expect(await get('known-a')).toEqual(['known-a#2']);
    // Unknown keys are read every time (an address that becomes known is served at once).
    expect(await get('unknown')).toEqual([]);
    expect(await get('unknown')).toEqual([]);
    expect(reads.filter((k) => k === 'unknown')).toHaveLength(2);
    // A third kept key pushes the oldest out.
    await get('known-b');
    await get('known-c');
    const before = reads.length;
    await get('known-a');
    expect(reads.length).toBe(before + 1);
    await get('known-c');
    expect(reads.length).toBe(before + 1);
  });
});
