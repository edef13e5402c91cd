/**
 * Cost of the Idempotency-Key check: POST /api/v1/tasks throughput with a fresh key per request
 * and with 90% repeated keys (replays), raced against the same route without the header, in one
 * run against one real API process (`node workload/api/main.ts`) on a real Redis, driven over
 * keep-alive HTTP from this process. nginx is left out: it adds the same cost to every variant
 * and would only dilute the ratio. Goal: the check costs under 20% of throughput.
 *
 * Runnable alone: `node bench/idempotency.bench.ts`, or through `npm run bench -- idempotency`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { HttpClient } from '../contract/http-client.ts';
import { startApiCluster } from '../test/idempotency/api-cluster.ts';
import { percentile, round } from '../workload/load/stats.ts';
import { DESIGN_NOTES_EXAMPLE } from '../workload/stack/sample-tasks.ts';
import type { BenchReport, BenchRow } from './run.ts';

/** Requests kept in flight at once. */
const CONCURRENCY = Number(process.env.DTQ_BENCH_IDEM_CONCURRENCY ?? 32);
/** Seconds measured per variant and round (after the warm-up). */
const DURATION_S = Number(process.env.DTQ_BENCH_IDEM_DURATION_S ?? 5);
/** Seconds of warm-up per variant and round, not measured. */
const WARMUP_S = Number(process.env.DTQ_BENCH_IDEM_WARMUP_S ?? 1);
/** Rounds; the variants are interleaved per round so drift hits all of them alike. */
const ROUNDS = Number(process.env.DTQ_BENCH_IDEM_ROUNDS ?? 2);
/** Share of requests in the "repeated" variant that reuse a key already answered. */
const REPEAT_SHARE = 0.9;

/** A variant: which Idempotency-Key header (if any) the next request carries. */
type KeyChooser = () => string | undefined;

interface Measured {
  requests: number;
  seconds: number;
  latencies: number[];
  statuses: Map<number, number>;
  errors: number;
  /** CPU ms the API process and Redis spent during the measured windows. */
  apiCpuMs: number;
  redisCpuMs: number;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU ms (user + system) a process has used so far, from /proc. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 0, utime field 11, stime field 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

/** CPU ms Redis has used so far (INFO cpu). */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (value('used_cpu_user') + value('used_cpu_sys')) * 1000;
}

async function closedLoop(client: HttpClient, nextKey: KeyChooser, seconds: number, into?: Measured): Promise<void> {
  const started = performance.now();
  const end = started + seconds * 1000;
  const lanes = Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      const key = nextKey();
      const t0 = performance.now();
      try {
        const response = await client.send('POST', '/api/v1/tasks', {
          body: DESIGN_NOTES_EXAMPLE,
          headers: key === undefined ? {} : { 'idempotency-key': key },
        });
        if (into) into.statuses.set(response.status, (into.statuses.get(response.status) ?? 0) + 1);
      } catch {
        if (into) into.errors++;
      }
      if (into) {
        into.latencies.push(performance.now() - t0);
        into.requests++;
      }
    }
  });
  await Promise.all(lanes);
  if (into) into.seconds += (performance.now() - started) / 1000;
}

function emptyMeasure(): Measured {
  return { requests: 0, seconds: 0, latencies: [], statuses: new Map(), errors: 0, apiCpuMs: 0, redisCpuMs: 0 };
}

/** Run the three variants and return their figures. */
export async function run(): Promise<BenchReport> {
  const cluster = await startApiCluster(1, {
    DTQ_CIRCUIT_THRESHOLD: String(100_000_000),
    DTQ_LOG_STDOUT: '0',
    DTQ_FAULTS: '0',
  });
  const api = cluster.apis[0] as { url: string; child: { pid?: number } | undefined };
  const apiPid = api.child?.pid as number;
  const redis = new Redis(cluster.redis.url);
  const client = new HttpClient(api.url, { maxSockets: CONCURRENCY });
  const answered: string[] = [];
  const fresh: KeyChooser = () => {
    const key = randomUUID();
    answered.push(key);
    return key;
  };
  const repeated: KeyChooser = () => {
    if (answered.length === 0 || Math.random() >= REPEAT_SHARE) return fresh();
    return answered[Math.floor(Math.random() * answered.length)];
  };
  const variants: { name: string; choose: KeyChooser; m: Measured }[] = [
    { name: 'no Idempotency-Key (baseline)', choose: () => undefined, m: emptyMeasure() },
    { name: 'fresh Idempotency-Key per request', choose: fresh, m: emptyMeasure() },
    { name: '90% repeated Idempotency-Keys (replays)', choose: repeated, m: emptyMeasure() },
  ];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        await closedLoop(client, v.choose, WARMUP_S);
        const [api0, redis0] = [processCpuMs(apiPid), await redisCpuMs(redis)];
        await closedLoop(client, v.choose, DURATION_S, v.m);
        v.m.apiCpuMs += processCpuMs(apiPid) - api0;
        v.m.redisCpuMs += (await redisCpuMs(redis)) - redis0;
      }
    }
  } finally {
    client.close();
    redis.disconnect();
    await cluster.close();
  }

  const rps = (m: Measured) => m.requests / m.seconds;
  const baseline = variants[0] as (typeof variants)[number];
  const rows: BenchRow[] = variants.map((v, i) => {
    const value = round(rps(v.m), 0);
    const statuses = [...v.m.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    const row: BenchRow = {
      name: `POST /api/v1/tasks, ${v.name}, ${CONCURRENCY} connections`,
      value,
      unit: 'req/s',
      extra: {
        p50_ms: round(percentile(v.m.latencies, 0.5), 2),
        p99_ms: round(percentile(v.m.latencies, 0.99), 2),
        requests: v.m.requests,
        statuses,
        errors: v.m.errors,
      },
    };
    if (i === 0) return row;
    const ratio = rps(v.m) / rps(baseline.m);
    return {
      ...row,
      baseline: { name: 'no Idempotency-Key', value: round(rps(baseline.m), 0) },
      ratio: round(ratio, 3),
      goal: '≥ 80% of the baseline (check costs < 20%)',
      met: ratio >= 0.8,
    };
  });
  // Wall-clock throughput on a shared 2-core machine moves with whatever else runs; CPU spent per
  // request by the API process and Redis does not, so capacity per CPU-second is raced too.
  const cpuPerRequest = (m: Measured) => (m.apiCpuMs + m.redisCpuMs) / m.requests;
  for (const [i, v] of variants.entries()) {
    const value = round(1000 / cpuPerRequest(v.m), 0);
    const row: BenchRow = {
      name: `POST /api/v1/tasks, ${v.name}: requests per CPU-second (API + Redis)`,
      value,
      unit: 'req/CPU-s',
      extra: {
        api_cpu_us_per_request: round((v.m.apiCpuMs / v.m.requests) * 1000, 0),
        redis_cpu_us_per_request: round((v.m.redisCpuMs / v.m.requests) * 1000, 0),
      },
    };
    if (i === 0) {
      rows.push(row);
      continue;
    }
    const ratio = cpuPerRequest(baseline.m) / cpuPerRequest(v.m);
    rows.push({
      ...row,
      baseline: { name: 'no Idempotency-Key', value: round(1000 / cpuPerRequest(baseline.m), 0) },
      ratio: round(ratio, 3),
      goal: '≥ 80% of the baseline (check costs < 20%)',
      met: ratio >= 0.8,
    });
  }
  return {
    title: 'Idempotency-Key cost on POST /api/v1/tasks',
    rows,
    notes: [
      `Closed loop: ${CONCURRENCY} keep-alive connections from this process (node:http) to one API process on a real Redis, no nginx, no workers; ${ROUNDS} interleaved rounds of ${WARMUP_S} s warm-up + ${DURATION_S} s measured per variant.`,
      'Fresh keys: every request claims a new key (one Lua claim + one Lua store around the enqueue). Repeated: 90% of requests reuse a key already sent (replayed from the stored response or, if still in flight, 409), 10% are new.',
      'Body: the design-notes example; the circuit breaker is raised out of the way since the backlog only grows.',
      'req/s is wall-clock capacity and moves with other load on the machine; req/CPU-s divides requests by the CPU time the API process (/proc) and Redis (INFO cpu) spent in the same windows, which load elsewhere barely changes.',
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = await run();
  process.stdout.write(`${report.title}\n`);
  for (const row of report.rows) {
    const ratio =
      row.ratio === undefined
        ? ''
        : `  ${round(row.ratio * 100, 1)}% of baseline (${row.met ? 'goal met' : 'goal NOT met'})`;
    process.stdout.write(`  ${row.name}: ${row.value} ${row.unit}  ${JSON.stringify(row.extra)}${ratio}\n`);
  }
}
