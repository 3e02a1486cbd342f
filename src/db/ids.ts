import { v7 } from 'uuid';

/** Random bytes drawn 4 KB at a time: one getRandomValues call per 256 ids instead of one per id (~8 µs each). */
const pool = new Uint8Array(16 * 256);
let poolAt = pool.length;
/** The v7 clock: milliseconds and a counter that keeps ids of the same millisecond in order (as uuid's own v7). */
const clock = { msecs: -Infinity, seq: 0 };

/** Time-ordered UUIDs (v7): new rows land at the end of the primary-key index, and ids sort by creation. */
export function newId(): string {
  if (poolAt === pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const random = pool.subarray(poolAt, poolAt + 16);
  poolAt += 16;
  const now = Date.now();
  if (now > clock.msecs) {
    clock.msecs = now;
    clock.seq =
      ((random[6] ?? 0) & 0x7f) * 0x1000000 + ((random[7] ?? 0) << 16) + ((random[8] ?? 0) << 8) + (random[9] ?? 0);
  } else {
    clock.seq = (clock.seq + 1) | 0;
    if (clock.seq === 0) clock.msecs++;
  }
  return v7({ random, msecs: clock.msecs, seq: clock.seq });
}

export const nilWorkspaceId = '00000000-0000-0000-0000-000000000000';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return uuidPattern.test(s);
}
