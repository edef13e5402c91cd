/**
 * Command-line options of `npm run load`: their declaration, and the pure step from parsed
 * values to options or a usage error naming the bad one.
 */
import { type CliSpec, CliUsageError, type CliValues } from '../../contract/cli-args.ts';
import { SYSTEMS, type WorkloadSystem } from '../stack/systems.ts';
import { loadTarget, type SystemBoundOption } from './targets.ts';

/** What a load run does. */
export interface LoadOptions {
  /** Requests per second of the base schedule. */
  rps: number;
  /** Seconds the schedule lasts. */
  durationS: number;
  /** nginx URL to drive; ignored with `startStack`. */
  url: string;
  /** Start a stack of its own (faults on) instead of using a running one. */
  startStack: boolean;
  /** The reference system behind nginx: which bodies to send, which stack to start. */
  system: WorkloadSystem;
  /** Ground-truth JSONL path. */
  out: string;
  /** Add Idempotency-Key duplicates: replays, mismatches, concurrent in-flight copies. */
  duplicates: boolean;
  /** Add fault injection: retried, dead-lettered and poison tasks (the stack needs DTQ_FAULTS=1). */
  faults: boolean;
  /** SIGKILL a worker half-way and restart it (only with `startStack`). */
  killWorker: boolean;
  /** Add groups of requests sent at once with one X-Request-ID. */
  sharedIds: boolean;
  /** Restart the stack's Redis at a third of the run, slow jobs in flight (only with `startStack`). */
  restartRedis: boolean;
  /** Freeze the workers running two held tasks past their lease, then resume them (only with `startStack`). */
  freezeWorker: boolean;
  /** Add Idempotency-Key lease takeovers (only with `startStack`, which shortens the lease). */
  takeovers: boolean;
  /** Seed of the request mix: the same seed gives the same plan. */
  seed: number;
  /** Most requests in flight at once; the schedule waits rather than exceed it. */
  maxInFlight: number;
  /** Seconds to wait for every task to reach a final state after the run. */
  settleS: number;
  /** Skip polling tasks to their final state. */
  noSettle: boolean;
}

/** Options, help and completion of `npm run load`. */
export const LOAD_CLI = {
  name: 'npm run load --',
  summary: 'drive the stack through nginx at a bounded rate and record the ground truth.',
  usage: ['[--rps N] [--duration S] [options]'],
  options: {
    rps: { type: 'string', value: 'N', description: 'requests per second (default 20)' },
    duration: { type: 'string', value: 'S', description: 'seconds to send for (default 10)' },
    url: {
      type: 'string',
      value: 'URL',
      description: 'nginx to drive (default http://127.0.0.1:$DTQ_HTTP_PORT, port 8080)',
    },
    stack: { type: 'boolean', description: 'start a stack of its own (faults enabled) instead of using a running one' },
    system: {
      type: 'string',
      value: 'NAME',
      choices: SYSTEMS,
      description: 'the system behind nginx, default node (dtq); celery is the FastAPI + Celery workload',
    },
    out: {
      type: 'string',
      value: 'FILE',
      complete: 'file',
      description: 'ground-truth JSONL (default var/load/ground-truth-<time>.jsonl)',
    },
    duplicates: {
      type: 'boolean',
      description: 'add Idempotency-Key duplicates (replay, payload mismatch, concurrent in-flight)',
    },
    faults: { type: 'boolean', description: 'add retried, dead-lettered and poison tasks (stack needs DTQ_FAULTS=1)' },
    'kill-worker': { type: 'boolean', description: 'SIGKILL worker-1 half-way and restart it (with --stack only)' },
    'shared-ids': {
      type: 'boolean',
      description: 'add groups of 9 requests sent at once with one X-Request-ID, 3 of them invalid',
    },
    'freeze-worker': {
      type: 'boolean',
      description:
        'SIGSTOP the worker running a held task past its lease, SIGCONT it before / after the redelivered attempt writes (with --stack only)',
    },
    takeovers: {
      type: 'boolean',
      description:
        'add Idempotency-Key claims held past their lease and taken over by a second request (with --stack only)',
    },
    'restart-redis': {
      type: 'boolean',
      description: "restart the stack's Redis a third of the way in, slow jobs in flight (with --stack only)",
    },
    seed: { type: 'string', value: 'N', description: 'seed of the request mix (default 1)' },
    'max-in-flight': { type: 'string', value: 'N', description: 'cap on concurrent requests (default 256)' },
    settle: {
      type: 'string',
      value: 'S',
      description: 'seconds to wait for tasks to finish after the run (default 120)',
    },
    'no-settle': { type: 'boolean', description: 'do not poll tasks to their final state' },
  },
} as const satisfies CliSpec;

/** The flag (without `--`) of each option a system may not serve. */
export const SYSTEM_BOUND_FLAGS: readonly (readonly [
  SystemBoundOption,
  'duplicates' | 'freeze-worker' | 'takeovers' | 'restart-redis',
])[] = [
  ['duplicates', 'duplicates'],
  ['freezeWorker', 'freeze-worker'],
  ['takeovers', 'takeovers'],
  ['restartRedis', 'restart-redis'],
];

/** The flags that act on a stack the load generator started, with why. */
const STACK_ONLY_FLAGS: readonly (readonly [
  'kill-worker' | 'freeze-worker' | 'takeovers' | 'restart-redis',
  string,
])[] = [
  ['kill-worker', 'the load generator can only kill a worker of a stack it started'],
  ['freeze-worker', 'the load generator can only freeze a worker it started'],
  ['takeovers', 'it runs the stack with a short idempotency lease'],
  ['restart-redis', 'the load generator can only restart a Redis it started'],
];

function positive(
  name: string,
  raw: string | undefined,
  fallback: number,
  { integer = false, max = 1e6 } = {},
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new CliUsageError(`${name} ${raw}: expected a ${integer ? 'whole ' : ''}number above 0 and at most ${max}`);
  }
  return value;
}

/** Turn parsed values into load options (pure); throws CliUsageError naming the bad one. */
export function loadOptions(
  values: CliValues<typeof LOAD_CLI.options>,
  env: NodeJS.ProcessEnv = process.env,
  now: Date = new Date(),
): LoadOptions {
  if (values.url !== undefined && !/^https?:\/\//.test(values.url))
    throw new CliUsageError(`--url ${values.url}: expected an http:// URL`);
  for (const [flag, why] of STACK_ONLY_FLAGS)
    if (values[flag] && !values.stack) throw new CliUsageError(`--${flag} needs --stack (${why})`);
  if (values.out === '') throw new CliUsageError('--out needs a file path');
  // parseArgs has already refused a value outside `choices`.
  const system = (values.system ?? 'node') as WorkloadSystem;
  const target = loadTarget(system);
  for (const [option, flag] of SYSTEM_BOUND_FLAGS) {
    const reason = target.unsupported[option];
    if (values[flag] && reason !== undefined)
      throw new CliUsageError(`--${flag} cannot run with --system ${system}: ${reason}; leave it out`);
  }
  return {
    rps: positive('--rps', values.rps, 20, { max: 100_000 }),
    durationS: positive('--duration', values.duration, 10, { max: 86_400 }),
    url: values.url?.replace(/\/+$/, '') ?? `http://127.0.0.1:${env.DTQ_HTTP_PORT || '8080'}`,
    startStack: values.stack === true,
    system,
    out: values.out ?? `var/load/ground-truth-${now.toISOString().replace(/[:.]/g, '-')}.jsonl`,
    duplicates: values.duplicates === true,
    faults: values.faults === true,
    killWorker: values['kill-worker'] === true,
    sharedIds: values['shared-ids'] === true,
    restartRedis: values['restart-redis'] === true,
    freezeWorker: values['freeze-worker'] === true,
    takeovers: values.takeovers === true,
    seed: positive('--seed', values.seed, 1, { integer: true, max: 2 ** 31 }),
    maxInFlight: positive('--max-in-flight', values['max-in-flight'], 256, { integer: true, max: 10_000 }),
    settleS: positive('--settle', values.settle, 120, { max: 3600 }),
    noSettle: values['no-settle'] === true,
  };
}
