/**
 * VaR kernel benchmark: milliseconds for 100k Monte Carlo simulations of 1, 10 and 50
 * correlated positions (Cholesky-correlated normals, full lognormal revaluation, loss
 * quantile and expected shortfall), on one thread and split over every core with worker
 * threads, raced against a baseline in the same run: a plain loop drawing the same number of
 * uncorrelated normals and summing them (the irreducible cost of the random numbers).
 * Goal: 100k × 10 positions under 40 ms on one core.
 *
 *   node bench/var-kernel.bench.ts
 */
import { availableParallelism, loadavg } from 'node:os';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { constantCorrelation } from '../workload/risk/cholesky.ts';
import { fillStandardNormals } from '../workload/risk/normal.ts';
import { Xoshiro128 } from '../workload/risk/prng.ts';
import { tailStats } from '../workload/risk/quantile.ts';
import { BLOCK_SIZE, blockCount, type PreparedVar, prepareVar, simulateBlocks } from '../workload/risk/var.ts';
import type { BenchReport, BenchRow } from './run.ts';

/** One measured figure. */
export interface BenchResult {
  scenario: string;
  /** Median wall-clock milliseconds of the measured runs. */
  ms: number;
  /**
   * Single-thread runs only: mean CPU milliseconds of the measuring thread. On a shared machine
   * this is the cost "on one core" without the time the scheduler gave to other processes.
   */
  cpuMs?: number;
  /** Median milliseconds of the baseline measured in the same run, when there is one. */
  baselineMs?: number;
  /** Single-thread runs only: mean CPU milliseconds of the baseline. */
  baselineCpuMs?: number;
  /** ms / baselineMs. */
  ratio?: number;
  goal?: string;
  goalMet?: boolean;
}

const SIMULATIONS = 100_000;
const POSITIONS = [1, 10, 50] as const;
const RUNS = 15;
const GOAL_MS = 40;

function prepared(n: number): PreparedVar {
  return prepareVar({
    exposures: new Float64Array(n).fill(10_000),
    volatilities: Float64Array.from({ length: n }, (_, i) => 0.15 + 0.01 * (i % 10)),
    correlation: constantCorrelation(n, 0.4),
    horizonDays: 1,
    model: 'lognormal',
    seed: 7,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(runs: number, work: () => void): { wall: number; cpu: number } {
  for (let i = 0; i < 3; i++) work();
  const wall: number[] = [];
  // Thread CPU time is sampled at scheduler-tick resolution on many kernels: per-run values of a
  // few ms are unreliable, their sum over all runs is not.
  const cpuStart = process.threadCpuUsage();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    wall.push(performance.now() - start);
  }
  const used = process.threadCpuUsage(cpuStart);
  return { wall: median(wall), cpu: (used.user + used.system) / 1000 / runs };
}

async function timeAsync(runs: number, work: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 3; i++) await work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

let sink = 0;

/** The baseline: the same count of normal draws, uncorrelated, summed per simulation. */
function baseline(n: number): void {
  const rng = new Xoshiro128(7);
  const chunk = new Float64Array(256 * n);
  let total = 0;
  for (let done = 0; done < SIMULATIONS; done += 256) {
    fillStandardNormals(rng, chunk);
    for (let i = 0; i < chunk.length; i++) total += chunk[i] as number;
  }
  sink += total;
}

function singleThread(p: PreparedVar): void {
  const losses = new Float64Array(SIMULATIONS);
  simulateBlocks(p, SIMULATIONS, 0, blockCount(SIMULATIONS), losses);
  sink += tailStats(losses, 0.95).valueAtRisk;
}

interface ThreadJob {
  n: number;
  first: number;
  last: number;
}

/** Worker-thread side: simulate a block range and send the losses back (transferred, not copied). */
function serveBlocks(): void {
  const cache = new Map<number, PreparedVar>();
  parentPort?.on('message', ({ n, first, last }: ThreadJob) => {
    let p = cache.get(n);
    if (p === undefined) {
      p = prepared(n);
      cache.set(n, p);
    }
    const count = Math.min(SIMULATIONS, last * BLOCK_SIZE) - first * BLOCK_SIZE;
    const losses = new Float64Array(count);
    simulateBlocks(p, SIMULATIONS, first, last, losses);
    parentPort?.postMessage(losses, [losses.buffer]);
  });
}

async function allCores(threads: Worker[], n: number): Promise<void> {
  const blocks = blockCount(SIMULATIONS);
  const per = Math.ceil(blocks / threads.length);
  const parts = await Promise.all(
    threads.map((thread, t) => {
      const first = t * per;
      const last = Math.min(blocks, first + per);
      if (first >= last) return Promise.resolve(new Float64Array(0));
      return new Promise<Float64Array>((resolve) => {
        thread.once('message', resolve);
        thread.postMessage({ n, first, last } satisfies ThreadJob);
      });
    }),
  );
  const losses = new Float64Array(SIMULATIONS);
  let offset = 0;
  for (const part of parts) {
    losses.set(part, offset);
    offset += part.length;
  }
  sink += tailStats(losses, 0.95).valueAtRisk;
}

/** Run every scenario and return the figures. */
/** Measure every scenario: kernel and baseline, single thread and all cores. */
export async function measure(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const cores = availableParallelism();
  const threads = Array.from({ length: cores }, () => new Worker(new URL(import.meta.url)));
  try {
    // Wait until every thread has loaded its modules, so their start-up does not steal the
    // cores from the single-thread measurements that come first.
    await allCores(threads, 1);
    for (const n of POSITIONS) {
      const p = prepared(n);
      const base = time(RUNS, () => baseline(n));
      const baselineMs = base.wall;
      const single = time(RUNS, () => singleThread(p));
      const parallel = await timeAsync(RUNS, () => allCores(threads, n));
      results.push({
        scenario: `VaR 100k sims × ${n} positions, 1 thread`,
        ms: single.wall,
        cpuMs: single.cpu,
        baselineMs,
        baselineCpuMs: base.cpu,
        ratio: single.cpu / base.cpu,
        ...(n === 10 ? { goal: `< ${GOAL_MS} ms on one core (CPU time)`, goalMet: single.cpu < GOAL_MS } : {}),
      });
      results.push({
        scenario: `VaR 100k sims × ${n} positions, ${cores} threads`,
        ms: parallel,
        baselineMs,
        ratio: parallel / baselineMs,
      });
    }
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
  if (sink === 42) console.log('');
  return results;
}

/** The figures as a report for bench/run.ts: single-thread rows in CPU time, all-core rows in wall time. */
export async function run(): Promise<BenchReport> {
  const results = await measure();
  const rows: BenchRow[] = results.map((r) => {
    const cpu = r.cpuMs !== undefined;
    const baseline = cpu ? r.baselineCpuMs : r.baselineMs;
    return {
      name: `${r.scenario}${cpu ? ' (CPU time)' : ' (wall time)'}`,
      value: Number((cpu ? (r.cpuMs as number) : r.ms).toFixed(1)),
      unit: 'ms',
      ...(cpu ? { extra: { wall_ms: Number(r.ms.toFixed(1)) } } : {}),
      ...(baseline === undefined
        ? {}
        : { baseline: { name: 'plain loop of the same uncorrelated draws', value: Number(baseline.toFixed(1)) } }),
      ...(r.ratio === undefined ? {} : { ratio: r.ratio }),
      ...(r.goal === undefined ? {} : { goal: r.goal, met: r.goalMet === true }),
    };
  });
  return {
    title: 'VaR kernel (Monte Carlo, 100k simulations)',
    rows,
    notes: [
      `${RUNS} runs each; single thread: mean CPU time of the measuring thread, so other load on the machine does not count; all cores: median wall time over ${availableParallelism()} worker threads.`,
      'Baseline: the same number of standard normal draws, uncorrelated, summed in a plain loop.',
      `Load average (1 min) at the end: ${(loadavg()[0] ?? 0).toFixed(1)}.`,
    ],
  };
}

/** Print results as a table. */
export function format(results: BenchResult[]): string {
  const rows = results.map((r) => {
    const cpu = r.cpuMs === undefined ? '      -' : r.cpuMs.toFixed(1).padStart(7);
    const goal = r.goal ? `  goal ${r.goal}: ${r.goalMet ? 'met' : 'NOT met'}` : '';
    return `${r.scenario.padEnd(42)} wall ${r.ms.toFixed(1).padStart(7)} ms  cpu ${cpu} ms  baseline ${(r.baselineMs ?? Number.NaN).toFixed(1).padStart(6)} ms  ratio ${(r.ratio ?? Number.NaN).toFixed(2).padStart(5)}${goal}`;
  });
  return [
    `VaR kernel: ${RUNS} runs each on ${availableParallelism()} cores, load average ${(loadavg()[0] ?? 0).toFixed(1)}`,
    'wall = median wall time; cpu = mean CPU time of the measuring thread (single thread only)',
    'baseline = the same number of uncorrelated normal draws, summed (wall median)',
    'ratio = kernel / baseline (single thread: CPU time over CPU time; all cores: wall over wall)',
    ...rows,
  ].join('\n');
}

if (!isMainThread) {
  serveBlocks();
} else if (process.argv[1] !== undefined && new URL(import.meta.url).pathname === process.argv[1]) {
  console.log(format(await measure()));
}
