/**
 * VaR kernel benchmark: CPU milliseconds of one thread for 100k Monte Carlo simulations of 1,
 * 10, 50 and 200 correlated positions (Cholesky-correlated normals, full lognormal revaluation,
 * loss quantile and expected shortfall), raced in the same run against
 *   - numpy (the baseline): the same inputs and seed policy in bench/numpy/var_kernel.py, one
 *     BLAS thread, in a pinned environment made on first use (bench/var-kernel-numpy.ts);
 *   - the plain-loop kernel (workload/risk/var-scalar.ts) and the WebAssembly kernel without
 *     fused multiply-adds: the rows that show what the WebAssembly SIMD kernel's choices buy.
 * Contenders alternate for DTQ_BENCH_VAR_ROUNDS rounds (default 5) of 3–20 runs each; each figure
 * is the median over rounds of a round's mean CPU time, with the rounds' range beside it. The
 * all-core rows run the kernel on worker threads, as the worker's thread pool does (wall time).
 * Goal: at most numpy's time at every size on one core.
 *
 *   node bench/var-kernel.bench.ts
 */
import { availableParallelism, loadavg } from 'node:os';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { constantCorrelation } from '../workload/risk/cholesky.ts';
import { tailStats } from '../workload/risk/quantile.ts';
import { BLOCK_SIZE, blockCount, type PreparedVar, prepareVar, simulateBlocks } from '../workload/risk/var.ts';
import { simulateBlocksScalar } from '../workload/risk/var-scalar.ts';
import { simdSupport, simulateBlocksSimd } from '../workload/risk/var-simd.ts';
import type { BenchReport, BenchRow } from './run.ts';
import { type NumpyBaseline, type NumpyRequest, startNumpy } from './var-kernel-numpy.ts';

const SIMULATIONS = 100_000;
const POSITIONS = [1, 10, 50, 200] as const;
const ROUNDS = Number(process.env.DTQ_BENCH_VAR_ROUNDS ?? 5);
/** Runs per round and contender: enough for tens of ms of CPU time, which thread clocks resolve. */
const RUNS_PER_ROUND: Record<(typeof POSITIONS)[number], number> = { 1: 20, 10: 5, 50: 3, 200: 3 };
/** The portfolio, the same for every contender: constant correlation, 10 distinct volatilities. */
const INPUT = {
  rho: 0.4,
  exposure: 10_000,
  volBase: 0.15,
  volStep: 0.01,
  horizonDays: 1,
  confidence: 0.95,
  seed: 7,
} as const;

function prepared(n: number): PreparedVar {
  return prepareVar({
    exposures: new Float64Array(n).fill(INPUT.exposure),
    volatilities: Float64Array.from({ length: n }, (_, i) => INPUT.volBase + INPUT.volStep * (i % 10)),
    correlation: constantCorrelation(n, INPUT.rho),
    horizonDays: INPUT.horizonDays,
    model: 'lognormal',
    seed: INPUT.seed,
  });
}

function numpyRequest(n: (typeof POSITIONS)[number]): NumpyRequest {
  return {
    positions: n,
    runs: RUNS_PER_ROUND[n],
    simulations: SIMULATIONS,
    block_size: BLOCK_SIZE,
    rho: INPUT.rho,
    exposure: INPUT.exposure,
    vol_base: INPUT.volBase,
    vol_step: INPUT.volStep,
    horizon_days: INPUT.horizonDays,
    confidence: INPUT.confidence,
    seed: INPUT.seed,
  };
}

type Simulate = typeof simulateBlocks;

/** The in-process contenders, by the name their row carries. */
const KERNELS: Record<string, Simulate> = {
  simd: simulateBlocks,
  scalar: simulateBlocksScalar,
  mulAdd: (...args) => simulateBlocksSimd(...args, { fused: false }),
};

/** One round of a contender: mean CPU ms and median wall ms of its runs, and the last VaR. */
interface Sample {
  cpu: number;
  wall: number;
  valueAtRisk: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function runKernel(simulate: Simulate, p: PreparedVar): number {
  const losses = new Float64Array(SIMULATIONS);
  simulate(p, SIMULATIONS, 0, blockCount(SIMULATIONS), losses);
  return tailStats(losses, INPUT.confidence).valueAtRisk;
}

function measureKernel(simulate: Simulate, p: PreparedVar, runs: number): Sample {
  const walls: number[] = [];
  let valueAtRisk = 0;
  // Thread CPU time is sampled at scheduler-tick resolution on many kernels: per-run values of
  // a few ms are unreliable, their sum over the round's runs is not.
  const cpuStart = process.threadCpuUsage();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    valueAtRisk = runKernel(simulate, p);
    walls.push(performance.now() - start);
  }
  const used = process.threadCpuUsage(cpuStart);
  return { cpu: (used.user + used.system) / 1000 / runs, wall: median(walls), valueAtRisk };
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

async function allCores(threads: Worker[], n: number): Promise<number> {
  const start = performance.now();
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
  tailStats(losses, INPUT.confidence);
  return performance.now() - start;
}

/** Every contender's samples at one size. */
interface SizeSamples {
  numpy: Sample[];
  kernels: Record<string, Sample[]>;
  allCores: number[];
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Race every contender, alternating, and return the rows. */
export async function run(): Promise<BenchReport> {
  const notes: string[] = [];
  const numpy = await startNumpy(log);
  const baseline: NumpyBaseline | null = 'missing' in numpy ? null : numpy;
  if ('missing' in numpy) {
    process.stderr.write(`var-kernel: numpy baseline skipped: ${numpy.missing}\n`);
    notes.push(`numpy baseline skipped: ${numpy.missing}`);
  }
  const cores = availableParallelism();
  const threads = Array.from({ length: cores }, () => new Worker(new URL(import.meta.url)));
  const samples = new Map<number, SizeSamples>();
  try {
    await allCores(threads, 1);
    for (const n of POSITIONS) {
      const p = prepared(n);
      for (const simulate of Object.values(KERNELS)) runKernel(simulate, p);
      await allCores(threads, n);
      samples.set(n, { numpy: [], kernels: { simd: [], scalar: [], mulAdd: [] }, allCores: [] });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of POSITIONS) {
        const s = samples.get(n) as SizeSamples;
        const p = prepared(n);
        // Alternate who goes first, so a burst of load from elsewhere does not always hit one side.
        const measureNumpy = async () => {
          if (baseline === null) return;
          const r = await baseline.run(numpyRequest(n));
          s.numpy.push({ cpu: r.cpu_ms, wall: median(r.wall_ms), valueAtRisk: r.var });
        };
        if (round % 2 === 0) await measureNumpy();
        for (const [name, simulate] of Object.entries(KERNELS))
          s.kernels[name]?.push(measureKernel(simulate, p, RUNS_PER_ROUND[n]));
        if (round % 2 === 1) await measureNumpy();
        s.allCores.push(await allCores(threads, n));
      }
      log(`var-kernel: round ${round + 1}/${ROUNDS} done`);
    }
  } finally {
    baseline?.close();
    await Promise.all(threads.map((thread) => thread.terminate()));
  }

  const rows: BenchRow[] = [];
  const fixed = (x: number) => Number(x.toFixed(1));
  const range = (xs: number[]) => `${fixed(Math.min(...xs))}–${fixed(Math.max(...xs))}`;
  for (const n of POSITIONS) {
    const s = samples.get(n) as SizeSamples;
    const cpu = (xs: Sample[]) => median(xs.map((x) => x.cpu));
    const simd = s.kernels.simd as Sample[];
    const simdCpu = cpu(simd);
    const numpyCpu = s.numpy.length > 0 ? cpu(s.numpy) : undefined;
    const label = `VaR 100k sims × ${n} position${n === 1 ? '' : 's'}, 1 thread`;
    rows.push({
      name: `${label}: WebAssembly SIMD kernel (CPU time)`,
      value: fixed(simdCpu),
      unit: 'ms',
      extra: {
        rounds_ms: range(simd.map((x) => x.cpu)),
        wall_ms: fixed(median(simd.map((x) => x.wall))),
        VaR: fixed(simd.at(-1)?.valueAtRisk ?? Number.NaN),
        ...(numpyCpu === undefined
          ? {}
          : {
              numpy_rounds_ms: range(s.numpy.map((x) => x.cpu)),
              numpy_VaR: fixed(s.numpy.at(-1)?.valueAtRisk ?? Number.NaN),
            }),
      },
      ...(numpyCpu === undefined
        ? { goal: '≤ 1.0× numpy (not measured: numpy baseline skipped)' }
        : {
            baseline: { name: 'numpy, 1 BLAS thread (CPU time)', value: fixed(numpyCpu) },
            ratio: simdCpu / numpyCpu,
            goal: '≤ 1.0× numpy’s time',
            met: simdCpu <= numpyCpu,
          }),
    });
    for (const [name, title] of [
      ['scalar', 'plain-loop kernel (var-scalar.ts)'],
      ['mulAdd', 'WebAssembly SIMD, multiply then add (no relaxed SIMD)'],
    ] as const) {
      const own = s.kernels[name] as Sample[];
      rows.push({
        name: `${label}: ${title} (CPU time)`,
        value: fixed(cpu(own)),
        unit: 'ms',
        extra: { rounds_ms: range(own.map((x) => x.cpu)) },
        baseline: { name: 'WebAssembly SIMD kernel', value: fixed(simdCpu) },
        ratio: cpu(own) / simdCpu,
      });
    }
    rows.push({
      name: `VaR 100k sims × ${n} position${n === 1 ? '' : 's'}, ${cores} thread${cores === 1 ? '' : 's'}: WebAssembly SIMD kernel (wall time)`,
      value: fixed(median(s.allCores)),
      unit: 'ms',
      extra: { rounds_ms: range(s.allCores) },
    });
  }
  const blas = baseline?.info.blas.map(
    (b) => `${b.internal_api} ${b.version} (${b.architecture} kernels, ${b.num_threads} thread)`,
  );
  notes.push(
    `${ROUNDS} alternating rounds of ${Object.entries(RUNS_PER_ROUND)
      .map(([n, runs]) => `${runs} runs (${n} position${n === '1' ? '' : 's'})`)
      .join(
        ', ',
      )} per contender; 1-thread figures: median over rounds of the mean CPU time of the measuring thread (other load on the machine does not count), rounds_ms the rounds' range; all-core rows: median wall time over ${cores} worker threads.`,
    `Inputs (every contender): 100k simulations, constant correlation ${INPUT.rho}, exposures ${INPUT.exposure.toLocaleString('en-US')}, volatilities ${INPUT.volBase}–${INPUT.volBase + 9 * INPUT.volStep}, ${INPUT.horizonDays}-day horizon, lognormal revaluation, ${INPUT.confidence * 100}% VaR and ES, seed ${INPUT.seed} in blocks of ${BLOCK_SIZE.toLocaleString('en-US')} simulations, one stream per block (numpy: SeedSequence([seed, block]) into PCG64; ours: xoshiro128**), so VaR agrees within Monte Carlo error, not digit for digit.`,
    baseline === null
      ? 'numpy: not run.'
      : `numpy ${baseline.info.numpy} on Python ${baseline.info.python}, ${blas?.join(', ') ?? 'no BLAS reported'}; OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1; bench/numpy/var_kernel.py: one standard_normal block @ Lᵀ per 16,384 simulations, in-place exp, np.partition.`,
    `Node ${process.version}; WebAssembly kernel with ${simdSupport()?.fused ? 'fused multiply-adds (relaxed SIMD)' : 'separate multiply and add'}.`,
    `Load average (1 min) at the end: ${(loadavg()[0] ?? 0).toFixed(1)}.`,
  );
  return { title: 'VaR kernel (Monte Carlo, 100k simulations)', rows, notes };
}

if (!isMainThread) {
  serveBlocks();
} else if (process.argv[1] !== undefined && new URL(import.meta.url).pathname === process.argv[1]) {
  const report = await run();
  for (const row of report.rows) {
    const ratio = row.ratio === undefined ? '' : `  ${(row.ratio * 100).toFixed(0)}% of ${row.baseline?.name}`;
    const goal =
      row.goal === undefined
        ? ''
        : `  goal ${row.goal}${row.met === undefined ? '' : row.met ? ' (met)' : ' (NOT met)'}`;
    log(`${row.name}: ${row.value} ${row.unit} ${JSON.stringify(row.extra ?? {})}${ratio}${goal}`);
  }
  for (const note of report.notes ?? []) log(`- ${note}`);
}
