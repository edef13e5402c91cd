/**
 * `npm run workload [-- --system celery]`: the local stack in the foreground with prefixed, readable output until
 * Ctrl-C or SIGTERM, which stop every child (a second Ctrl-C kills them at once). Configuration
 * is by environment (docs/stack.md): DTQ_HTTP_PORT, DTQ_REDIS_URL, DTQ_LOG_DIR, DTQ_ES_URL,
 * DTQ_STACK_APIS, DTQ_STACK_WORKERS, DTQ_STACK_SYSTEM, DTQ_CELERY_CONCURRENCY, DTQ_FAULTS,
 * DTQ_STACK_OUTPUT (pretty|raw|none).
 */
import { runCli } from '../../contract/cli-args.ts';
import { DtqError } from '../../contract/dtq-error.ts';
import { envChoice } from '../../contract/env.ts';
import { describeRedisTarget } from '../queue/redis-target.ts';
import { type OutputMode, type Stack, startStack } from './stack.ts';
import { SYSTEMS, type WorkloadSystem } from './systems.ts';

const OUTPUT_MODES: readonly OutputMode[] = ['pretty', 'raw', 'none'];

const WORKLOAD_CLI = {
  name: 'npm run workload --',
  summary: 'the local stack (Redis, 3 APIs, 3 workers, nginx) in the foreground until Ctrl-C.',
  options: {
    system: {
      type: 'string',
      value: 'NAME',
      choices: SYSTEMS,
      description:
        "node: dtq's Fastify + BullMQ workload (default); celery: the design notes' FastAPI + Celery (docs/celery.md)",
    },
  },
  sections: [
    {
      title: 'Environment (docs/stack.md)',
      lines: [
        'DTQ_HTTP_PORT      nginx port (default 8080)',
        'DTQ_REDIS_URL      use this Redis instead of starting one',
        'DTQ_REDIS_CLUSTER_NODES, or DTQ_REDIS_SENTINELS + DTQ_REDIS_SENTINEL_MASTER',
        '                   use this Redis Cluster or Sentinel master (node system only)',
        'DTQ_LOG_DIR        log directory (default var/logs)',
        'DTQ_ES_URL         also ship the logs to this Elasticsearch',
        'DTQ_STACK_APIS     number of API servers; DTQ_STACK_WORKERS number of workers',
        'DTQ_STACK_SYSTEM   node or celery (default node; --system overrides it)',
        'DTQ_CELERY_CONCURRENCY pool processes per Celery worker (default 2)',
        'DTQ_FAULTS=1       enable fault injection',
        'DTQ_STACK_OUTPUT   pretty, raw or none',
      ],
    },
  ],
} as const;

async function main(): Promise<void> {
  const system = runCli(WORKLOAD_CLI, process.argv.slice(2), (values) => values.system as WorkloadSystem | undefined);
  const output = envChoice('DTQ_STACK_OUTPUT', OUTPUT_MODES, 'pretty');
  let stack: Stack | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1 || !stack) {
      // Second Ctrl-C: no more patience. Children still get SIGTERM from the kernel (pdeathsig).
      for (const child of stack?.children() ?? []) child.signal('SIGKILL');
      process.exit(130);
    }
    process.stdout.write(`stack     | ${signal}: stopping every process (Ctrl-C again to kill them now)\n`);
    void stack.stop().then(() => {
      process.stdout.write('stack     | stopped\n');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  stack = await startStack({ output, ...(system ? { system } : {}) });
  const apis = stack.apis.map((api) => `${api.instance} :${api.port}`).join(', ');
  process.stdout.write(
    [
      `stack     | ready: ${stack.httpUrl} (nginx) → ${apis}; ${stack.workers.length} workers (${stack.system}); Redis ${describeRedisTarget(stack.redisTarget)}`,
      `stack     | logs: ${stack.logDir}/*.ndjson${stack.shipper ? ' (shipping to Elasticsearch)' : ''}; Ctrl-C stops everything`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  const message = error instanceof DtqError ? `${error.code}: ${error.message}` : String(error);
  process.stderr.write(`stack     | ${message}\n`);
  process.exit(1);
});
