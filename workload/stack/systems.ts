/**
 * The reference systems the local stack can run behind the same nginx and Redis: `node` (dtq's
 * Fastify + BullMQ workload) and `celery` (the design notes' FastAPI + Celery, python/). Each
 * says how to start one API server and one worker; the stack does the rest alike.
 */
import { join } from 'node:path';
import { PYTHON_ROOT, REPO_ROOT } from './python-env.ts';

/** The systems `npm run workload -- --system` accepts. */
export const SYSTEMS = ['node', 'celery'] as const;

/** A reference system. */
export type WorkloadSystem = (typeof SYSTEMS)[number];

/** How to start one process. */
export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Entry file that must exist before anything starts. */
  readonly entry: string;
}

/** How a system starts its API servers and workers. */
export interface SystemLaunchers {
  api(): Launch;
  worker(instance: string): Launch;
}

/** The Node services' command lines, relative to the repository root; compose runs the same. */
export const NODE_COMMANDS = {
  api: ['node', 'workload/api/main.ts'],
  worker: ['node', 'workload/worker/main.ts'],
} as const;

/** dtq's own workload, run by this Node. */
export function nodeSystem(): SystemLaunchers {
  const launch = (entry: string): Launch => ({
    command: process.execPath,
    args: [entry],
    cwd: REPO_ROOT,
    entry: join(REPO_ROOT, entry),
  });
  return { api: () => launch(NODE_COMMANDS.api[1]), worker: () => launch(NODE_COMMANDS.worker[1]) };
}

/**
 * The Celery workload, run by the interpreter of its virtual environment. Each worker is one
 * Celery worker with a prefork pool of `concurrency` processes (the design notes run 4); it
 * consumes high, then medium, then low.
 */
export function celerySystem(python: string, concurrency: number): SystemLaunchers {
  const modulePath = (module: string): string => join(PYTHON_ROOT, ...module.split('.'));
  return {
    api: () => ({
      command: python,
      args: ['-m', 'celery_workload.api'],
      cwd: PYTHON_ROOT,
      entry: join(modulePath('celery_workload.api'), '__main__.py'),
    }),
    worker: (instance) => ({
      command: python,
      args: [
        ...['-m', 'celery', '--quiet', '-A', 'celery_workload.worker.main', 'worker'],
        ...['--queues', 'high,medium,low', '--hostname', `${instance}@%h`],
        ...['--concurrency', String(concurrency), '--pool', 'prefork', '-O', 'fair'],
        // Gossip, mingle and heartbeats are worker-to-worker chatter nobody here listens to.
        ...['--without-gossip', '--without-mingle', '--without-heartbeat', '--loglevel', 'WARNING'],
      ],
      cwd: PYTHON_ROOT,
      entry: `${modulePath('celery_workload.worker.main')}.py`,
    }),
  };
}
