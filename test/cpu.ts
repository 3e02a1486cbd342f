/**
 * The processor time `f` takes (user + system), in milliseconds: the bound of a hostile-input test. Wall-clock time
 * on a shared 2-core machine is mostly other processes' work; an input that costs time quadratic in its length is
 * seconds to minutes of CPU either way.
 */
export function cpuMs(f: () => unknown): number {
  const start = process.cpuUsage();
  f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}
