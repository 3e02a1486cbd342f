/** A column of a benchmark's summary table: a key of SummaryRow.metrics, how to label it and how many decimals. */
export type MetricColumn = { key: string; label: string; digits: number };

/** One line of a benchmark's summary: a measured figure next to the baseline it is compared with. */
export type SummaryRow = {
  name: string;
  metrics: Record<string, number>;
  /** The name of the row this one is compared with; null for the baseline itself and informational rows. */
  baseline: string | null;
  /** This row's headline figure divided by the baseline's (higher is better). */
  ratio: number | null;
  /** The target in words, e.g. "≥ 60% of bare, p99 ≤ 15 ms"; null when there is none. */
  target: string | null;
  /** Whether the target is met; null when there is no target. */
  pass: boolean | null;
  note?: string;
};

export type MachineInfo = {
  cpuModel: string;
  cpus: number;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string | null;
};

/** What bench/results/<name>.json holds; BENCHMARKS.md is rendered from these files alone. */
export type BenchmarkResult = {
  benchmark: string;
  title: string;
  description: string;
  date: string;
  durationSeconds: number;
  machine: MachineInfo;
  settings: Record<string, string | number | boolean>;
  columns: MetricColumn[];
  summary: SummaryRow[];
  runs: unknown[];
  notes: string[];
};

export type BenchContext = {
  /** The maintenance database URL; benchmarks create and drop their own database next to it. */
  adminDatabaseUrl: string;
  /** Scratch space (bench/tmp/), gitignored. */
  tmpDir: string;
  machine: MachineInfo;
};

export type Benchmark = {
  name: string;
  title: string;
  run(
    ctx: BenchContext,
  ): Promise<Omit<BenchmarkResult, 'benchmark' | 'title' | 'date' | 'machine' | 'durationSeconds'>>;
};
