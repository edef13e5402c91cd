/**
 * `npm run load -- --rps N --duration S [options]`: drives the stack through nginx at a bounded
 * rate for a bounded time and records the ground truth (see docs/stack.md). With --stack it
 * starts a stack of its own (faults enabled) and stops it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { runCli } from '../../contract/cli-args.ts';
import { DtqError } from '../../contract/dtq-error.ts';
import { envInt } from '../../contract/env.ts';
import { HttpClient } from '../../contract/http-client.ts';
import { printable } from '../../contract/terminal-text.ts';
import { logFilePath } from '../../instrumentation/logger.ts';
import { type Stack, startStack } from '../stack/stack.ts';
import type { FreezeControls } from './freeze.ts';
import { GroundTruthWriter } from './ground-truth.ts';
import { WorkerJobs } from './jobs-in-flight.ts';
import { LOAD_CLI, loadOptions } from './options.ts';
import { MIX, planRequests } from './plan.ts';
import { runLoad } from './runner.ts';
import { loadTarget } from './targets.ts';

/**
 * Seconds before Redis hands a killed Celery worker's unacknowledged message to another worker
 * in a kill run: short enough to settle in the run's time, longer than any retry countdown
 * (1 + 2 + 4 s) plus a wait for a free pool process, which an ETA'd message also spends
 * unacknowledged (docs/celery.md).
 */
const CELERY_KILL_VISIBILITY_TIMEOUT_S = 15;

/** The frozen-worker scenario's hold on the stack: its workers, their logs, and release keys in its Redis. */
function freezeControls(stack: Stack, redis: Redis): Omit<FreezeControls, 'record' | 'say'> {
  return {
    workerLogs: stack.workers.map((worker) => logFilePath(stack.logDir, worker.instance)),
    signalWorker: (index, signal) => stack.workers[index]?.child.signal(signal),
    instanceOf: (index) => stack.workers[index]?.instance ?? `worker-${index + 1}`,
    release: async (key) => {
      // Expires on its own: a release key outliving the run is of no use to anyone.
      await redis.set(key, '1', 'EX', 600);
    },
  };
}

const say = (message: string): void => {
  process.stdout.write(`load | ${printable(message)}\n`);
};

async function main(): Promise<number> {
  const options = runCli(LOAD_CLI, process.argv.slice(2), (values) => loadOptions(values));
  const target = loadTarget(options.system);
  const runId = randomBytes(4).toString('hex');
  let stack: Stack | undefined;
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say('interrupted: stopping');
    void stack?.stop().then(() => process.exit(130));
    if (!stack) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (options.faults && !options.startStack) {
    say('note: --faults needs the target stack to run with DTQ_FAULTS=1, otherwise faulted tasks get 400');
  }
  let url = options.url;
  if (options.startStack) {
    say(`starting a stack of its own (${options.system}, faults enabled)…`);
    stack = await startStack({
      system: options.system,
      faults: true,
      output: 'none',
      httpPort: envInt('DTQ_HTTP_PORT', 0, { min: 0, max: 65_535 }),
      // A killed or frozen worker's job is noticed after the job lock (BullMQ) or the visibility
      // timeout (Celery) expires; keep that to seconds.
      childEnv: {
        ...(options.killWorker || options.freezeWorker
          ? {
              DTQ_JOB_LOCK_MS: '10000',
              DTQ_STALLED_INTERVAL_MS: '5000',
              DTQ_CELERY_VISIBILITY_TIMEOUT_S: String(CELERY_KILL_VISIBILITY_TIMEOUT_S),
            }
          : {}),
        // A claim held past its lease is taken over within seconds, not the default 10 s.
        ...(options.takeovers ? { DTQ_IDEMPOTENCY_INFLIGHT_MS: String(MIX.takeoverLeaseMs) } : {}),
      },
    });
    url = stack.httpUrl;
    say(`stack ready at ${url}, logs in ${stack.logDir}`);
  }
  const plan = planRequests({
    rps: options.rps,
    durationS: options.durationS,
    seed: options.seed,
    runId,
    duplicates: options.duplicates,
    faults: options.faults,
    slowTasks: options.killWorker || options.restartRedis,
    sharedIds: options.sharedIds,
    heldTasks: options.freezeWorker,
    takeovers: options.takeovers,
    target,
  });
  const out = resolve(options.out);
  const writer = new GroundTruthWriter(out);
  writer.write({
    record: 'run',
    version: 1,
    run_id: runId,
    started_at: new Date().toISOString(),
    target: url,
    options: { ...options, out },
    log_dir: stack?.logDir ?? null,
  });
  const client = new HttpClient(url, { maxSockets: options.maxInFlight });
  const releaser = options.freezeWorker && stack ? new Redis(stack.redisUrl, { lazyConnect: true }) : undefined;
  say(`sending ${plan.length} requests over ${options.durationS} s to ${url} (run ${runId})`);
  try {
    const summary = await runLoad({
      client,
      plan,
      writer,
      runId,
      maxInFlight: options.maxInFlight,
      ...(options.killWorker && stack
        ? {
            killWorkerAtMs: (options.durationS * 1000) / 2,
            stack,
            killWorkerJobs: new WorkerJobs(stack.logDir, stack.workers[0]?.instance ?? 'worker-1'),
          }
        : {}),
      ...(options.restartRedis && stack ? { restartRedisAtMs: (options.durationS * 1000) / 3, stack } : {}),
      ...(options.freezeWorker && stack && releaser ? { freeze: freezeControls(stack, releaser) } : {}),
      settleMs: options.noSettle ? 0 : options.settleS * 1000,
      statusWord: target.statusWord,
      say,
    });
    say(`sent ${summary.sent} at ${summary.achieved_rps} req/s; statuses ${JSON.stringify(summary.statuses)}`);
    say(`latency p50 ${summary.latency_ms.p50} ms, p99 ${summary.latency_ms.p99} ms, max ${summary.latency_ms.max} ms`);
    if (summary.tasks > 0) say(`tasks ${summary.tasks}: ${JSON.stringify(summary.finals)}`);
    if (summary.network_errors > 0) say(`${summary.network_errors} requests failed at the network level`);
    say(`ground truth: ${out}`);
  } finally {
    writer.close();
    client.close();
    releaser?.disconnect();
    await stack?.stop();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof DtqError ? `${error.code}: ${error.message}` : String(error);
    process.stderr.write(`load | ${message}\n`);
    process.exit(1);
  },
);
