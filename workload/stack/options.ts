/**
 * Options of the local stack and their defaults from the environment (docs/stack.md), read
 * with the one env reader (contract/env.ts): a bad value fails with DTQ_ERR_CONFIG_INVALID
 * naming the variable, before anything is started.
 */
import { join, resolve } from 'node:path';
import { ConfigError, envChoice, envFlag, envInt, envOptional } from '../../contract/env.ts';
import { type ClusterTarget, REDIS_ENV, redisTargetFromEnv, type SentinelTarget } from '../queue/redis-target.ts';
import { SYSTEMS, type WorkloadSystem } from './systems.ts';

/** Repository root (the stack runs the project's entry files from here). */
export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** Where a child's output goes. */
export type OutputMode = 'pretty' | 'raw' | 'none';

/** Options of the local stack; every one has an environment-variable default (see docs/stack.md). */
export interface StackOptions {
  /** Directory for Redis data, nginx runtime files and, by default, logs. Default `var/` (DTQ_VAR_DIR). */
  varDir?: string;
  /** NDJSON log directory. Default DTQ_LOG_DIR or `<varDir>/logs`. */
  logDir?: string;
  /** nginx's port; 0 picks a free one. Default DTQ_HTTP_PORT or 8080. */
  httpPort?: number;
  /** Number of API servers. Default DTQ_STACK_APIS or 3. */
  apis?: number;
  /** Number of workers. Default DTQ_STACK_WORKERS or 3. */
  workers?: number;
  /** Which reference system runs behind nginx: `node` or `celery`. Default DTQ_STACK_SYSTEM or `node`. */
  system?: WorkloadSystem;
  /** Pool processes per Celery worker (`--system celery`). Default DTQ_CELERY_CONCURRENCY or 2. */
  celeryConcurrency?: number;
  /** The Celery workload's virtual environment. Default DTQ_PYTHON_ENV_DIR or `<varDir>/venv-celery`. */
  pythonEnvDir?: string;
  /** Use this Redis instead of starting one. Default DTQ_REDIS_URL. */
  redisUrl?: string;
  /**
   * Use this Redis Cluster or Sentinel-managed master instead of starting a Redis (node system
   * only). Default DTQ_REDIS_CLUSTER_NODES, or DTQ_REDIS_SENTINELS + DTQ_REDIS_SENTINEL_MASTER.
   */
  redisTarget?: ClusterTarget | SentinelTarget;
  /** Port of the Redis the stack starts; 0 picks a free one. Default DTQ_REDIS_PORT or 0. */
  redisPort?: number;
  /** Enable fault injection through `data.fault` (DTQ_FAULTS=1). */
  faults?: boolean;
  /** Ship logs to this Elasticsearch (starts the shipper). Default DTQ_ES_URL. */
  esUrl?: string;
  /** Install missing redis-server/nginx with apt-get when root (the demo does). */
  installMissing?: boolean;
  /** How children's output is shown. Default 'pretty'. */
  output?: OutputMode;
  /** Where output and stack messages are written. Default process.stdout. */
  write?: (text: string) => void;
  /** Extra environment for API and worker processes (thresholds, log level…). */
  childEnv?: NodeJS.ProcessEnv;
  /** How long to wait for readiness. Default DTQ_STACK_READY_TIMEOUT_MS or 60 s. */
  readyTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL per child. Default: the workers' shutdown grace + 6 s. */
  stopTimeoutMs?: number;
}

/** {@link StackOptions} with every default resolved (`write` and `childEnv` stay with the caller's options). */
export interface ResolvedStackOptions {
  readonly varDir: string;
  readonly logDir: string;
  readonly httpPort: number;
  readonly apis: number;
  readonly workers: number;
  readonly system: WorkloadSystem;
  readonly celeryConcurrency: number;
  readonly pythonEnvDir: string;
  readonly redisUrl: string | undefined;
  readonly redisTarget: ClusterTarget | SentinelTarget | undefined;
  readonly redisPort: number;
  readonly faults: boolean;
  readonly esUrl: string | undefined;
  readonly installMissing: boolean;
  readonly output: OutputMode;
  readonly readyTimeoutMs: number;
  readonly stopTimeoutMs: number;
}

const PORT = { min: 0, max: 65_535 };
const HOUR_MS = 3_600_000;

/** Options with every default resolved from the environment. */
export function resolveStackOptions(options: StackOptions, env: NodeJS.ProcessEnv = process.env): ResolvedStackOptions {
  const varDir = resolve(options.varDir ?? envOptional('DTQ_VAR_DIR', env) ?? join(REPO_ROOT, 'var'));
  const system = options.system ?? envChoice('DTQ_STACK_SYSTEM', SYSTEMS, 'node', env);
  const redisTarget = options.redisTarget ?? replicatedRedisFromEnv(env, options.redisUrl);
  if (redisTarget !== undefined && system === 'celery') {
    // Celery's kombu takes a URL only; the node system is what runs on a Cluster or Sentinel.
    const name = redisTarget.kind === 'cluster' ? REDIS_ENV.CLUSTER_NODES : REDIS_ENV.SENTINELS;
    throw new ConfigError(
      'DTQ_STACK_SYSTEM',
      system,
      `node when ${name} is set (the Celery system takes only DTQ_REDIS_URL)`,
    );
  }
  return {
    varDir,
    logDir: resolve(options.logDir ?? envOptional('DTQ_LOG_DIR', env) ?? join(varDir, 'logs')),
    httpPort: options.httpPort ?? envInt('DTQ_HTTP_PORT', 8080, PORT, env),
    apis: options.apis ?? envInt('DTQ_STACK_APIS', 3, { min: 1, max: 64 }, env),
    workers: options.workers ?? envInt('DTQ_STACK_WORKERS', 3, { min: 0, max: 64 }, env),
    system,
    celeryConcurrency: options.celeryConcurrency ?? envInt('DTQ_CELERY_CONCURRENCY', 2, { min: 1, max: 64 }, env),
    pythonEnvDir: resolve(
      options.pythonEnvDir ?? envOptional('DTQ_PYTHON_ENV_DIR', env) ?? join(varDir, 'venv-celery'),
    ),
    redisUrl: options.redisUrl ?? envOptional('DTQ_REDIS_URL', env),
    redisTarget,
    redisPort: options.redisPort ?? envInt('DTQ_REDIS_PORT', 0, PORT, env),
    faults: options.faults ?? envFlag('DTQ_FAULTS', false, env),
    esUrl: options.esUrl ?? envOptional('DTQ_ES_URL', env),
    installMissing: options.installMissing ?? false,
    output: options.output ?? 'pretty',
    readyTimeoutMs:
      options.readyTimeoutMs ?? envInt('DTQ_STACK_READY_TIMEOUT_MS', 60_000, { min: 1, max: HOUR_MS }, env),
    // A worker hands its running jobs back within its grace period plus 5 s (workload/worker/main.ts);
    // killing it sooner would leave them to the slower stalled-job check.
    stopTimeoutMs:
      options.stopTimeoutMs ?? envInt('DTQ_SHUTDOWN_GRACE_MS', 10_000, { min: 1, max: 86_400_000 }, env) + 6_000,
  };
}

/**
 * A Cluster or Sentinel target from the environment, or undefined when neither is set. Read with
 * the processes' own reader, so a URL set beside them is refused as the processes would refuse it.
 */
function replicatedRedisFromEnv(
  env: NodeJS.ProcessEnv,
  redisUrl: string | undefined,
): ClusterTarget | SentinelTarget | undefined {
  if (envOptional(REDIS_ENV.CLUSTER_NODES, env) === undefined && envOptional(REDIS_ENV.SENTINELS, env) === undefined)
    return undefined;
  const target = redisTargetFromEnv(redisUrl === undefined ? env : { ...env, [REDIS_ENV.URL]: redisUrl });
  return target.kind === 'url' ? undefined : target;
}
