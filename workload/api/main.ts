/**
 * The API process: `node workload/api/main.ts`. Reads its configuration from the environment
 * (DTQ_INSTANCE, DTQ_API_HOST, DTQ_API_PORT, DTQ_REDIS_URL, DTQ_LOG_DIR, DTQ_FAULTS,
 * DTQ_CIRCUIT_THRESHOLD, …; see docs/api.md), listens, logs `service.started` with the port,
 * and on SIGTERM/SIGINT stops taking requests, finishes the ones in flight and exits.
 */

import { EVENTS, F } from '../../contract/vocabulary.ts';
import { createLogger, errorFields, logEvent } from '../../instrumentation/logger.ts';
import { createTaskQueue } from '../queue/task-queue.ts';
import { buildApp } from './app.ts';
import { type ApiConfig, apiConfigFromEnv } from './config.ts';

/** Longest a graceful stop may take before the process exits anyway. */
const STOP_DEADLINE_MS = 10_000;
/** How often a stopping API closes the connections that have gone idle. */
const IDLE_REAP_INTERVAL_MS = 50;

function readConfig(): ApiConfig {
  try {
    return apiConfigFromEnv();
  } catch (error) {
    // No logger yet (its instance name is part of the configuration): say it plainly.
    process.stderr.write(`dtq api: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}

const config = readConfig();
const logger = createLogger({ service: 'api', instance: config.instance });
const queue = createTaskQueue({ redis: config.redisTarget, logger, operationTimeoutMs: config.redisTimeoutMs });
const app = buildApp({ logger, queue, config });

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logEvent(logger, 'info', EVENTS.SERVICE_STOPPING, {}, `${signal} received: finishing requests in flight`);
  const deadline = setTimeout(() => {
    logEvent(logger, 'error', EVENTS.SERVICE_STOPPED, {}, `stop took longer than ${STOP_DEADLINE_MS} ms; exiting`);
    process.exit(1);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  // server.close() ends only the connections idle at that moment. One whose request was in
  // flight stays open after its answer (nginx keeps upstream connections alive) and would hold
  // the stop until the deadline: close each as soon as it goes idle.
  const reaper = setInterval(() => app.server.closeIdleConnections(), IDLE_REAP_INTERVAL_MS);
  await app.close();
  clearInterval(reaper);
  await queue.close();
  logEvent(logger, 'info', EVENTS.SERVICE_STOPPED, {}, 'api stopped');
  logger.flush();
  process.exitCode = 0;
}

process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));

try {
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logEvent(
    logger,
    'info',
    EVENTS.SERVICE_STARTED,
    { [F.SERVER_ADDRESS]: config.host, [F.SERVER_PORT]: port },
    `api ${config.instance} listening on http://${config.host}:${port}`,
  );
} catch (error) {
  logEvent(logger, 'fatal', EVENTS.SERVICE_STOPPED, errorFields(error), `api could not start: ${String(error)}`);
  await queue.close();
  process.exit(1);
}
