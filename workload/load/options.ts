/**
 * Command-line options of `npm run load` (pure parsing: argv in, options or a clear error out).
 */
import { dtqError } from '../../contract/dtq-error.ts';
import { STACK_ERRORS } from '../stack/errors.ts';

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
  /** Ground-truth JSONL path. */
  out: string;
  /** Add Idempotency-Key duplicates: replays, mismatches, concurrent in-flight copies. */
  duplicates: boolean;
  /** Add fault injection: retried, dead-lettered and poison tasks (the stack needs DTQ_FAULTS=1). */
  faults: boolean;
  /** SIGKILL a worker half-way and restart it (only with `startStack`). */
  killWorker: boolean;
  /** Seed of the request mix: the same seed gives the same plan. */
  seed: number;
  /** Most requests in flight at once; the schedule waits rather than exceed it. */
  maxInFlight: number;
  /** Seconds to wait for every task to reach a final state after the run. */
  settleS: number;
  /** Skip polling tasks to their final state. */
  noSettle: boolean;
}

/** Usage text printed with --help and on bad arguments. */
export const LOAD_USAGE = `Usage: npm run load -- [--rps N] [--duration S] [options]
  --rps N            requests per second (default 20)
  --duration S       seconds to send for (default 10)
  --url URL          nginx to drive (default http://127.0.0.1:$DTQ_HTTP_PORT, port 8080)
  --stack            start a stack of its own (faults enabled) instead of using a running one
  --out FILE         ground-truth JSONL (default var/load/ground-truth-<time>.jsonl)
  --duplicates       add Idempotency-Key duplicates (replay, payload mismatch, concurrent in-flight)
  --faults           add retried, dead-lettered and poison tasks (stack needs DTQ_FAULTS=1)
  --kill-worker      SIGKILL worker-1 half-way and restart it (with --stack only)
  --seed N           seed of the request mix (default 1)
  --max-in-flight N  cap on concurrent requests (default 256)
  --settle S         seconds to wait for tasks to finish after the run (default 120)
  --no-settle        do not poll tasks to their final state`;

function bad(argument: string, problem: string): never {
  throw dtqError(STACK_ERRORS.BAD_ARGUMENT, { argument, problem, usage: `Run with --help for usage.` });
}

function positive(name: string, raw: string | undefined, { integer = false, max = 1e6 } = {}): number {
  if (raw === undefined) bad(name, 'needs a value');
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    bad(`${name} ${raw}`, `expected a ${integer ? 'whole ' : ''}number above 0 and at most ${max}`);
  }
  return value;
}

/** Parse argv (without node and script); throws DTQ_ERR_STACK_BAD_ARGUMENT naming the bad one. */
export function parseLoadArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  now: Date = new Date(),
): LoadOptions | 'help' {
  const options: LoadOptions = {
    rps: 20,
    durationS: 10,
    url: `http://127.0.0.1:${env.DTQ_HTTP_PORT || '8080'}`,
    startStack: false,
    out: `var/load/ground-truth-${now.toISOString().replace(/[:.]/g, '-')}.jsonl`,
    duplicates: false,
    faults: false,
    killWorker: false,
    seed: 1,
    maxInFlight: 256,
    settleS: 120,
    noSettle: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--rps':
        options.rps = positive('--rps', value(), { max: 100_000 });
        break;
      case '--duration':
        options.durationS = positive('--duration', value(), { max: 86_400 });
        break;
      case '--url': {
        const raw = value();
        if (!raw || !/^https?:\/\//.test(raw)) bad(`--url ${raw ?? ''}`, 'expected an http:// URL');
        options.url = raw.replace(/\/+$/, '');
        break;
      }
      case '--stack':
        options.startStack = true;
        break;
      case '--out': {
        const raw = value();
        if (!raw) bad('--out', 'needs a file path');
        options.out = raw;
        break;
      }
      case '--duplicates':
        options.duplicates = true;
        break;
      case '--faults':
        options.faults = true;
        break;
      case '--kill-worker':
        options.killWorker = true;
        break;
      case '--seed':
        options.seed = positive('--seed', value(), { integer: true, max: 2 ** 31 });
        break;
      case '--max-in-flight':
        options.maxInFlight = positive('--max-in-flight', value(), { integer: true, max: 10_000 });
        break;
      case '--settle':
        options.settleS = positive('--settle', value(), { max: 3600 });
        break;
      case '--no-settle':
        options.noSettle = true;
        break;
      default:
        bad(arg, 'is not a known option');
    }
  }
  if (options.killWorker && !options.startStack) {
    bad('--kill-worker', 'needs --stack (the load generator can only kill a worker of a stack it started)');
  }
  return options;
}
