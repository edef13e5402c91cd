/**
 * API through nginx, and dtq against its peer: the design notes' FastAPI + Celery (python/,
 * docs/celery.md) behind the same nginx configuration, measured in the same run.
 *
 * 1. POST /api/v1/tasks: requests/s and p50/p99 latency at a fixed number of keep-alive
 *    connections, for dtq (raced against GET /noop, a Fastify route that touches nothing,
 *    through the same nginx and APIs; goal: POST ≥ 50% of it) and for the Celery peer (goal:
 *    dtq ≥ 3× it). Both stacks run at once without workers, so only the API path is measured
 *    (validation, enqueue into Redis, logging), and rounds alternate between the three loops
 *    so a burst of load from something else on the machine hits every side of a ratio alike.
 *    dtq's circuit breaker is raised out of the way, since the backlog only grows.
 * 2. Redis Cluster: the same POST loop on two stacks at once, one on a single redis-server
 *    and one on a Redis Cluster of 3 masters + 3 replicas, all on loopback TCP with the same
 *    settings (no persistence), rounds alternating; the ratio is what the cluster costs a POST.
 * 3. End to end: each system alone with its workers; {@link E2E_TASKS} `calculate_var` tasks
 *    of the design notes' default size (one position, 100,000 paths, 10 days, 95%) submitted
 *    at once; completed tasks/s (first submit → last `task.completed` line), submit-to-done
 *    percentiles, and the CPU seconds every process of the stack used per 1,000 tasks (goal:
 *    dtq ≥ 1.5× the peer's tasks/s).
 */
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient, headerValue } from '../contract/http-client.ts';
import { descendantsOf } from '../test/utils/processes.ts';
import { startRedisCluster } from '../test/utils/redis-cluster.ts';
import { startRedis } from '../test/utils/redis-server.ts';
import { createdTaskId, TASKS_PATH } from '../workload/load/runner.ts';
import { percentile, round } from '../workload/load/stats.ts';
import { DESIGN_NOTES_EXAMPLE, type TaskRequestBody } from '../workload/stack/sample-tasks.ts';
import { REPO_ROOT, resolveStackOptions, type Stack, type StackOptions, startStack } from '../workload/stack/stack.ts';
import type { WorkloadSystem } from '../workload/stack/systems.ts';
import type { BenchReport, BenchRow } from './run.ts';
import { TaskCompletions } from './task-completions.ts';

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
/** Tasks submitted at once in the end-to-end run of each system. */
const E2E_TASKS = Number(process.env.DTQ_BENCH_E2E_TASKS ?? 2000);
/** Longest wait for the end-to-end tasks of one system to complete. */
const E2E_TIMEOUT_S = Number(process.env.DTQ_BENCH_E2E_TIMEOUT_S ?? 900);
/** Tasks run and waited for before the end-to-end measurement (imports, JIT, connections). */
const E2E_WARMUP_TASKS = 30;

/**
 * The design notes' `calculate_var` at its default size, in each API's words: Celery's task
 * defaults are the notes' (100,000 paths, 10 days, 95%), dtq's are smaller (10,000 paths, 1
 * day), so its body states them. Equal work per task on both sides. `variant` sets the
 * position's quantity, so no two tasks of a run are alike: dtq's workers share the result of
 * identical inputs (a single-flight result cache), which would turn 2,000 equal bodies into
 * one computation.
 */
function e2eBody(system: WorkloadSystem, variant: number): TaskRequestBody {
  const positions = [{ symbol: 'AAPL', quantity: 100 + variant, price: 150.0 }];
  const data =
    system === 'node'
      ? { portfolio_data: { positions }, confidence_level: 0.95, horizon_days: 10, simulations: 100_000 }
      : { portfolio_data: { positions } };
  return { task_type: 'calculate_var', data, priority: 'high' };
}

/** What each system is called in the report. */
const LABEL: Readonly<Record<WorkloadSystem, string>> = { node: 'dtq', celery: 'FastAPI + Celery' };

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
  (await client.send('POST', TASKS_PATH, { body: DESIGN_NOTES_EXAMPLE })).status;

/**
 * The options both parts start a stack with. Each system and part gets a var directory of its
 * own, emptied first: the stack's Redis keeps its append-only file, and the POST loops leave
 * every task they enqueued in it, which an end-to-end run on the same directory would find
 * queued ahead of its own.
 */
function stackOptions(system: WorkloadSystem, part: string, workers: number): StackOptions {
  const varDir = join(REPO_ROOT, 'var', 'bench-api', `${system}-${part}`);
  rmSync(varDir, { recursive: true, force: true });
  return {
    system,
    httpPort: 0,
    workers,
    output: 'none',
    varDir,
    // The checkout's Celery environment, not one more per var directory.
    pythonEnvDir: resolveStackOptions({}).pythonEnvDir,
    childEnv: { DTQ_CIRCUIT_THRESHOLD: String(10_000_000), DTQ_LOG_STDOUT: '0' },
  };
}

/** Server-side CPU meter of a stack: every child and its descendants (nginx and Celery pool processes). */
function stackCpu(stack: Stack): () => number {
  const pids = stack.children().map((child) => child.pid);
  return () => cpuSeconds(pids);
}

/** One system's end-to-end run. */
export interface EndToEnd {
  /** Worker processes of the stack (Celery's each with its prefork pool). */
  workers: number;
  submitted: number;
  completed: number;
  errors: number;
  /** First submit to last completion. */
  seconds: number;
  tasksPerSecond: number;
  p50: number;
  p99: number;
  cpuSeconds: number;
  cpuPer1000: number;
}

/** POST `count` tasks at once; the submit time (epoch ms) of each created task, and the refusals. */
async function submitAll(
  client: HttpClient,
  body: (index: number) => TaskRequestBody,
  count: number,
): Promise<{ submitted: Map<string, number>; errors: number }> {
  const submitted = new Map<string, number>();
  let errors = 0;
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const at = Date.now();
      try {
        const response = await client.send('POST', TASKS_PATH, { body: body(index), timeoutMs: 120_000 });
        const taskId = createdTaskId(
          response.json(),
          response.status < 300 ? headerValue(response, 'location') : undefined,
        );
        if (response.status >= 400 || taskId === null) errors++;
        else submitted.set(taskId, at);
      } catch {
        errors++;
      }
    }),
  );
  return { submitted, errors };
}

/** Wait until every submitted task has a completion line, or the deadline passes. */
async function awaitCompletions(
  completions: TaskCompletions,
  submitted: ReadonlyMap<string, number>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = completions.poll();
    let missing = 0;
    for (const taskId of submitted.keys()) if (!done.has(taskId)) missing++;
    if (missing === 0 || Date.now() > deadline) return;
    await sleep(200);
  }
}

/** Start `system` with its workers, run a warm-up, then {@link E2E_TASKS} tasks at once to completion. */
async function endToEnd(system: WorkloadSystem): Promise<EndToEnd> {
  const stack = await startStack(stackOptions(system, 'e2e', resolveStackOptions({}).workers));
  const client = new HttpClient(stack.httpUrl, { maxSockets: CONCURRENCY });
  try {
    const completions = new TaskCompletions(stack.logDir);
    // The warm-up's inputs are not the measured ones: no result of it can be reused.
    const warm = await submitAll(client, (i) => e2eBody(system, E2E_TASKS + i), E2E_WARMUP_TASKS);
    await awaitCompletions(completions, warm.submitted, 120_000);
    const cpu = stackCpu(stack);
    const cpuBefore = cpu();
    const started = Date.now();
    const { submitted, errors } = await submitAll(client, (i) => e2eBody(system, i), E2E_TASKS);
    await awaitCompletions(completions, submitted, E2E_TIMEOUT_S * 1000);
    const cpuUsed = cpu() - cpuBefore;
    const done = completions.poll();
    const latencies: number[] = [];
    let last = started;
    for (const [taskId, at] of submitted) {
      const finished = done.get(taskId);
      if (finished === undefined) continue;
      latencies.push(finished - at);
      last = Math.max(last, finished);
    }
    const seconds = (last - started) / 1000;
    return {
      workers: stack.workers.length,
      submitted: submitted.size,
      completed: latencies.length,
      errors,
      seconds,
      tasksPerSecond: latencies.length / seconds,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      cpuSeconds: cpuUsed,
      cpuPer1000: (cpuUsed * 1000) / Math.max(1, latencies.length),
    };
  } finally {
    client.close();
    await stack.stop();
  }
}

/** POST loops of both systems (and dtq's no-op baseline), both stacks running without workers. */
async function postLoops() {
  const node = await startStack(stackOptions('node', 'post', 0));
  let celery: Stack | undefined;
  const nodeClient = new HttpClient(node.httpUrl, { maxSockets: CONCURRENCY });
  let celeryClient: HttpClient | undefined;
  try {
    celery = await startStack(stackOptions('celery', 'post', 0));
    celeryClient = new HttpClient(celery.httpUrl, { maxSockets: CONCURRENCY });
    const load = loadavg()[0] ?? 0;
    await closedLoop(nodeClient, noop, CONCURRENCY, WARMUP_S);
    await closedLoop(nodeClient, postTask, CONCURRENCY, WARMUP_S);
    await closedLoop(celeryClient, postTask, CONCURRENCY, WARMUP_S);
    const noopRounds: LoopResult[] = [];
    const taskRounds: LoopResult[] = [];
    const celeryRounds: LoopResult[] = [];
    // Server-side CPU (nginx, APIs, Redis) per round: requests per CPU-second hardly moves
    // when other work on the machine steals time, unlike requests per wall-clock second.
    const nodeCpu = stackCpu(node);
    const celeryCpu = stackCpu(celery);
    const cpuUsed = { noop: 0, task: 0, celery: 0 };
    const measure = async (
      client: HttpClient,
      send: (client: HttpClient) => Promise<number>,
      cpu: () => number,
      into: LoopResult[],
      key: keyof typeof cpuUsed,
    ): Promise<void> => {
      const before = cpu();
      into.push(await closedLoop(client, send, CONCURRENCY, DURATION_S / ROUNDS));
      cpuUsed[key] += cpu() - before;
    };
    for (let r = 0; r < ROUNDS; r++) {
      await measure(nodeClient, noop, nodeCpu, noopRounds, 'noop');
      await measure(nodeClient, postTask, nodeCpu, taskRounds, 'task');
      await measure(celeryClient, postTask, celeryCpu, celeryRounds, 'celery');
    }
    return {
      load,
      apis: node.apis.length,
      celeryApis: celery.apis.length,
      baseline: combine(noopRounds),
      tasks: combine(taskRounds),
      celery: combine(celeryRounds),
      cpuUsed,
    };
  } finally {
    nodeClient.close();
    celeryClient?.close();
    await celery?.stop();
    await node.stop();
  }
}

/**
 * dtq's POST loop on a single Redis and on a Redis Cluster, both external to their stacks and
 * reached over loopback TCP (the other rows' stack uses its Redis's Unix socket, which a
 * cluster's nodes cannot offer), started with the same flags by test/utils.
 */
async function clusterLoops() {
  const single = await startRedis();
  const cluster = await startRedisCluster().catch(async (error: unknown) => {
    await single.close();
    throw error;
  });
  const stacks: Stack[] = [];
  const clients: HttpClient[] = [];
  try {
    const onSingle = await startStack({ ...stackOptions('node', 'post-single', 0), redisUrl: single.url });
    stacks.push(onSingle);
    const onCluster = await startStack({ ...stackOptions('node', 'post-cluster', 0), redisTarget: cluster.target });
    stacks.push(onCluster);
    const singleClient = new HttpClient(onSingle.httpUrl, { maxSockets: CONCURRENCY });
    const clusterClient = new HttpClient(onCluster.httpUrl, { maxSockets: CONCURRENCY });
    clients.push(singleClient, clusterClient);
    await closedLoop(singleClient, postTask, CONCURRENCY, WARMUP_S);
    await closedLoop(clusterClient, postTask, CONCURRENCY, WARMUP_S);
    const singleRounds: LoopResult[] = [];
    const clusterRounds: LoopResult[] = [];
    // Where each side's CPU goes, to explain the ratio: nginx + APIs, and the Redis servers.
    const meters = {
      single: { stack: stackCpu(onSingle), redis: () => cpuSeconds([single.pid ?? 0]) },
      cluster: { stack: stackCpu(onCluster), redis: () => cpuSeconds(cluster.nodes.map((n) => n.pid ?? 0)) },
    };
    const used = { single: { stack: 0, redis: 0 }, cluster: { stack: 0, redis: 0 } };
    const measure = async (side: 'single' | 'cluster', client: HttpClient, into: LoopResult[]) => {
      const before = { stack: meters[side].stack(), redis: meters[side].redis() };
      into.push(await closedLoop(client, postTask, CONCURRENCY, DURATION_S / ROUNDS));
      used[side].stack += meters[side].stack() - before.stack;
      used[side].redis += meters[side].redis() - before.redis;
    };
    for (let r = 0; r < ROUNDS; r++) {
      await measure('single', singleClient, singleRounds);
      await measure('cluster', clusterClient, clusterRounds);
    }
    return {
      single: combine(singleRounds),
      cluster: combine(clusterRounds),
      used,
      masters: (await cluster.masters()).length,
    };
  } finally {
    for (const client of clients) client.close();
    for (const stack of stacks.reverse()) await stack.stop();
    await cluster.close();
    await single.close();
  }
}

/** Run the scenario and return its figures. */
export async function run(): Promise<BenchReport> {
  const { load, apis, celeryApis, baseline, tasks, celery, cpuUsed } = await postLoops();
  const onCluster = await clusterLoops();
  const clusterRatio = onCluster.cluster.rps / onCluster.single.rps;
  const e2e = { node: await endToEnd('node'), celery: await endToEnd('celery') };
  const ratio = tasks.rps / baseline.rps;
  const noopPerCpu = baseline.requests / cpuUsed.noop;
  const taskPerCpu = tasks.requests / cpuUsed.task;
  const celeryPerCpu = celery.requests / cpuUsed.celery;
  const postRatio = tasks.rps / celery.rps;
  const e2eRatio = e2e.node.tasksPerSecond / e2e.celery.tasksPerSecond;
  const extra = (r: LoopResult) => ({
    p50_ms: round(r.p50, 2),
    p99_ms: round(r.p99, 2),
    requests: r.requests,
    errors: r.errors,
  });
  // CPU milliseconds per POST: nginx + APIs, and the Redis servers (every node of a cluster).
  const cpuPerPost = (r: LoopResult, cpu: { stack: number; redis: number }) => ({
    nginx_api_cpu_ms_per_post: round((cpu.stack * 1000) / r.requests, 3),
    redis_cpu_ms_per_post: round((cpu.redis * 1000) / r.requests, 3),
  });
  const e2eRow = (system: WorkloadSystem): BenchRow => {
    const result = e2e[system];
    return {
      name: `${LABEL[system]}: ${E2E_TASKS.toLocaleString('en-US')} calculate_var submitted at once, completed`,
      value: round(result.tasksPerSecond, 1),
      unit: 'tasks/s',
      extra: {
        p50_submit_to_done_ms: round(result.p50, 0),
        p99_submit_to_done_ms: round(result.p99, 0),
        completed: result.completed,
        refused: result.errors,
        seconds: round(result.seconds, 1),
      },
      ...(system === 'node'
        ? {
            baseline: { name: LABEL.celery, value: round(e2e.celery.tasksPerSecond, 1) },
            ratio: round(e2eRatio, 3),
            goal: '≥ 1.5× the Celery peer',
            met: e2eRatio >= 1.5,
          }
        : {}),
    };
  };
  const cpuRow = (system: WorkloadSystem): BenchRow => ({
    name: `${LABEL[system]}: CPU seconds per 1,000 tasks end to end (every process of the stack)`,
    value: round(e2e[system].cpuPer1000, 1),
    unit: 'CPU-s',
    extra: { cpu_s: round(e2e[system].cpuSeconds, 1) },
    ...(system === 'node'
      ? {
          baseline: { name: LABEL.celery, value: round(e2e.celery.cpuPer1000, 1) },
          ratio: round(e2e.node.cpuPer1000 / e2e.celery.cpuPer1000, 3),
        }
      : {}),
  });
  return {
    title: 'API through nginx, and dtq against FastAPI + Celery',
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
        name: `FastAPI + Celery: POST /api/v1/tasks, ${CONCURRENCY} connections`,
        value: round(celery.rps, 0),
        unit: 'req/s',
        extra: extra(celery),
      },
      {
        name: 'dtq POST /api/v1/tasks against the Celery peer',
        value: round(tasks.rps, 0),
        unit: 'req/s',
        baseline: { name: LABEL.celery, value: round(celery.rps, 0) },
        ratio: round(postRatio, 3),
        goal: '≥ 3× the Celery peer',
        met: postRatio >= 3,
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
      {
        name: 'FastAPI + Celery: POST /api/v1/tasks per CPU-second of nginx + APIs + Redis',
        value: round(celeryPerCpu, 0),
        unit: 'req/CPU-s',
      },
      {
        name: `POST /api/v1/tasks on a single Redis over TCP, ${CONCURRENCY} connections`,
        value: round(onCluster.single.rps, 0),
        unit: 'req/s',
        extra: { ...extra(onCluster.single), ...cpuPerPost(onCluster.single, onCluster.used.single) },
      },
      {
        name: `POST /api/v1/tasks on a Redis Cluster (${onCluster.masters} masters + replicas) over TCP, ${CONCURRENCY} connections`,
        value: round(onCluster.cluster.rps, 0),
        unit: 'req/s',
        extra: { ...extra(onCluster.cluster), ...cpuPerPost(onCluster.cluster, onCluster.used.cluster) },
        baseline: { name: 'a single Redis', value: round(onCluster.single.rps, 0) },
        ratio: round(clusterRatio, 3),
        goal: 'report; a loss over 20% is explained in docs/scaling-out.md',
        met: clusterRatio >= 0.8,
      },
      e2eRow('node'),
      e2eRow('celery'),
      cpuRow('node'),
      cpuRow('celery'),
    ],
    notes: [
      `Closed loop: ${CONCURRENCY} keep-alive connections, ${WARMUP_S} s warm-up then ${DURATION_S} s measured per loop in ${ROUNDS} rounds alternating dtq's GET /noop, dtq's POST and Celery's POST, client in the same process (node:http).`,
      `Machine load average (1 min) at the start: ${load.toFixed(1)} on ${cpus().length} cores; the machine is shared with other work, and figures from a busy machine understate every side.`,
      `POST rows: nginx → ${apis} Fastify APIs → Redis (BullMQ), and nginx (the same configuration, its own process) → ${celeryApis} uvicorn FastAPI servers → Redis (Celery send_task); no workers running; every request writes its log lines to NDJSON files (stdout off).`,
      'Per CPU-second rows: requests divided by the CPU time nginx, the APIs and Redis used in the measured rounds (from /proc); they show what a POST costs the servers whatever else the machine runs. The goals are on req/s.',
      "Redis Cluster rows: dtq alone (no Celery), two stacks of the same shape as above running at once without workers, one on a single redis-server and one on a Redis Cluster of 3 masters + 3 replicas (redis-cli --cluster create), every server on loopback TCP without persistence; rounds alternate between the two. Every POST is a `high` task: one BullMQ add script on the master of the `high` queue's slot. CPU per POST from /proc: nginx + APIs, and the Redis servers (all 6 of the cluster).",
      'POST body: the design-notes example (calculate_var, one position); errors counts answers ≥ 400 and network errors.',
      `End to end: each system alone with its default workers (dtq: ${e2e.node.workers} workers, each running up to 4 high-priority jobs at once; Celery: ${e2e.celery.workers} workers × ${resolveStackOptions({}).celeryConcurrency} prefork processes), ${E2E_WARMUP_TASKS} tasks run first as a warm-up; then ${E2E_TASKS} tasks POSTed at once over ${CONCURRENCY} connections. Each task is the design notes' calculate_var at its default size (1 position, 100,000 paths, 10 days, 95%: dtq's numbers stated in the body, Celery's task defaults), each with its own quantity, so dtq's result cache shares nothing and every task is computed. tasks/s is completed tasks over first submit → last task.completed line; submit-to-done is that line's @timestamp minus the moment the client sent the POST.`,
      'CPU seconds per 1,000 tasks: user + system time (from /proc) of every process of the stack (nginx, APIs, workers with their Celery pool processes, Redis) from the first submit to the last completion, per 1,000 completed tasks. The ratio is dtq / Celery (lower is cheaper).',
    ],
  };
}
