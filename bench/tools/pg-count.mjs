/**
 * Preloaded into a benchmark's Rapport server with BENCH_PG_COUNT=1 (`node --import …/pg-count.mjs`): counts the
 * statements the process sends to PostgreSQL and the time each kind waits for its answer, and writes them, most
 * frequent first, to BENCH_PG_COUNT_DIR/<pid>.txt every 2 s and on SIGTERM. The wait includes queueing for a pool
 * connection's turn and lock waits, so a statement that waits long is where transactions serialise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setInterval } from 'node:timers';
import pg from 'pg';

const dir = process.env.BENCH_PG_COUNT_DIR || 'bench/tmp/pg-count';
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${process.pid}.txt`);
const counts = new Map();
const original = pg.Client.prototype.query;

pg.Client.prototype.query = function query(config, values, callback) {
  const text = typeof config === 'string' ? config : config?.text;
  if (!text) return original.call(this, config, values, callback);
  const key = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  const entry = counts.get(key) ?? { n: 0, ms: 0 };
  counts.set(key, entry);
  entry.n++;
  const started = performance.now();
  const done = () => (entry.ms += performance.now() - started);
  // A pool's query (pg-pool) passes a callback, as the values or after them; a client's query returns a promise.
  const cb = typeof values === 'function' ? values : typeof callback === 'function' ? callback : null;
  if (cb) {
    const timed = (...args) => {
      done();
      return cb(...args);
    };
    return typeof values === 'function'
      ? original.call(this, config, timed)
      : original.call(this, config, values, timed);
  }
  const result = original.call(this, config, values, callback);
  if (result && typeof result.then === 'function') result.then(done, done);
  return result;
};

function write() {
  const lines = [...counts]
    .sort((a, b) => b[1].n - a[1].n)
    .map(([k, v]) => `${String(v.n).padStart(8)} ${v.ms.toFixed(0).padStart(9)} ms  ${k}`);
  fs.writeFileSync(file, `   count      wait  statement\n${lines.join('\n')}\n`);
}
setInterval(write, 2000).unref();
process.on('SIGTERM', write);
