/**
 * API through nginx: requests/s and p50/p99 latency of POST /api/v1/tasks at a fixed number of
 * keep-alive connections, raced against GET /noop (a Fastify route that touches nothing) through
 * the same nginx and the same three API servers, in the same run. Goal: POST reaches at least
 * 50% of the no-op's throughput.
 *
 * The stack runs without workers: the API's path (validation, enqueue into Redis, logging) is
 * measured, not the workers competing for the same two cores. The circuit breaker is raised out
 * of the way, since the backlog only grows during the run.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { HttpClient } from '../contract/http-client.ts';
import { descendantsOf } from '../test/utils/processes.ts';
import { percentile, round } from '../workload/load/stats.ts';
import { DESIGN_NOTES_EXAMPLE } from '../workload/stack/sample-tasks.ts';
import { startStack } from '../workload/stack/stack.ts';
import type { BenchReport } from './run.ts';

/** Connections kept busy at once. */
const CONCURRENCY = Number(process.env.DTQ_BENCH_API_CONCURRENCY ?? 32);
/** Seconds measured per route (after the warm-up). */
const DURATION_S = Number(process.env.DTQ_BENCH_API_DURATION_S ?? 10);
/** Seconds of warm-up per route, not measured (JIT, connection set-up). */
const WARMUP_S = Number(process.env.DTQ_BENCH_API_WARMUP_S ?? 2);
/**
 * The measured time is split into rounds alternating the two routes, so a burst of load from
 * something else on the machine hits both sides of the ratio alike.
 */
const ROUNDS = Number(process.env.DTQ_BENCH_API_ROUNDS ?? 4);

/** Throughput and latency of one route. */
export interface LoopResult {
  /** Every latency measured, in ms. */
  latencies: number[];
  seconds: number;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

/** Keep `concurrency` requests in flight for `seconds`; the closed loop measures capacity. */
export async function closedLoop(
  client: HttpClient,
  send: (client: HttpClient) => Promise<number>,
  concurrency: number,
  seconds: number,
): Promise<LoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const status = await send(client);
        if (status >= 400) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  });
  await Promise.all(lanes);
  const elapsed = (performance.now() - started) / 1000;
  return {
    latencies,
    seconds: elapsed,
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/** Several loop results as one: requests over the summed time, percentiles over all latencies. */
export function combine(results: readonly LoopResult[]): LoopResult {
  const latencies = results.flatMap((r) => r.latencies);
  const seconds = results.reduce((sum, r) => sum + r.seconds, 0);
  return {
    latencies,
    seconds,
    requests: latencies.length,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    rps: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) used so far by `pids` and their descendants (nginx's workers). */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of new Set([...pids, ...pids.flatMap((p) => descendantsOf(p))])) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command name: state is field 3, utime 14, stime 15 (1-based, whole line).
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone meanwhile: its CPU is lost to the count, which only happens on a crash.
    }
  }
  return ticks / TICKS_PER_SECOND;
}

const noop = async (client: HttpClient) => (await client.send('GET', '/noop')).status;
const postTask = async (client: HttpClient) =>
  (await client.send('POST', '/api/v1/tasks', { body: DESIGN_NOTES_EXAMPLE })).status;

/** Run the scenario and return its figures. */
export async function run(): Promise<BenchReport> {
  const stack = await startStack({
    httpPort: 0,
    workers: 0,
    output: 'none',
    varDir: `${process.cwd()}/var/bench-api`,
    childEnv: { DTQ_CIRCUIT_THRESHOLD: String(10_000_000), DTQ_LOG_STDOUT: '0' },
  });
  const client = new HttpClient(stack.httpUrl, { maxSockets: CONCURRENCY });
  try {
    const load = loadavg()[0] ?? 0;
    await closedLoop(client, noop, CONCURRENCY, WARMUP_S);
    await closedLoop(client, postTask, CONCURRENCY, WARMUP_S);
    const noopRounds: LoopResult[] = [];
    const taskRounds: LoopResult[] = [];
    // Server-side CPU (nginx, APIs, Redis) per round: requests per CPU-second hardly moves
    // when other work on the machine steals time, unlike requests per wall-clock second.
    const serverPids = stack.children().map((child) => child.pid);
    let noopCpu = 0;
    let taskCpu = 0;
    for (let r = 0; r < ROUNDS; r++) {
      let before = cpuSeconds(serverPids);
      noopRounds.push(await closedLoop(client, noop, CONCURRENCY, DURATION_S / ROUNDS));
      noopCpu += cpuSeconds(serverPids) - before;
      before = cpuSeconds(serverPids);
      taskRounds.push(await closedLoop(client, postTask, CONCURRENCY, DURATION_S / ROUNDS));
      taskCpu += cpuSeconds(serverPids) - before;
    }
    const baseline = combine(noopRounds);
    const tasks = combine(taskRounds);
    const ratio = tasks.rps / baseline.rps;
    const noopPerCpu = baseline.requests / noopCpu;
    const taskPerCpu = tasks.requests / taskCpu;
    const extra = (r: LoopResult) => ({
      p50_ms: round(r.p50, 2),
      p99_ms: round(r.p99, 2),
      requests: r.requests,
      errors: r.errors,
    });
    return {
      title: 'API through nginx',
      rows: [
        {
          name: `GET /noop (baseline), ${CONCURRENCY} connections`,
          value: round(baseline.rps, 0),
          unit: 'req/s',
          extra: extra(baseline),
        },
        {
          name: `POST /api/v1/tasks, ${CONCURRENCY} connections`,
          value: round(tasks.rps, 0),
          unit: 'req/s',
          extra: extra(tasks),
          baseline: { name: 'GET /noop', value: round(baseline.rps, 0) },
          ratio: round(ratio, 3),
          goal: '≥ 50% of the no-op baseline',
          met: ratio >= 0.5,
        },
        {
          name: 'GET /noop per CPU-second of nginx + APIs + Redis (baseline)',
          value: round(noopPerCpu, 0),
          unit: 'req/CPU-s',
        },
        {
          name: 'POST /api/v1/tasks per CPU-second of nginx + APIs + Redis',
          value: round(taskPerCpu, 0),
          unit: 'req/CPU-s',
          baseline: { name: 'GET /noop', value: round(noopPerCpu, 0) },
          ratio: round(taskPerCpu / noopPerCpu, 3),
        },
      ],
      notes: [
        `Closed loop: ${CONCURRENCY} keep-alive connections, ${WARMUP_S} s warm-up then ${DURATION_S} s measured per route in ${ROUNDS} alternating rounds, client in the same process (node:http).`,
        `Machine load average (1 min) at the start: ${load.toFixed(1)} on ${cpus().length} cores; figures from a busy machine understate both sides.`,
        `nginx → ${stack.apis.length} Fastify APIs → Redis (BullMQ), no workers running; every request writes its log lines to NDJSON files (stdout off).`,
        'Per CPU-second rows: requests divided by the CPU time nginx, the APIs and Redis used in the measured rounds (from /proc); they show what a POST costs the servers whatever else the machine runs. The goal is on req/s.',
        'Body: the design-notes example (calculate_var, one position); errors counts answers ≥ 400 and network errors.',
      ],
    };
  } finally {
    client.close();
    await stack.stop();
  }
}
