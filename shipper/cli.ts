/**
 * `dtq-ship [--once]` (`npm run ship`): ship DTQ_LOG_DIR (default var/logs) to DTQ_ES_URL (default
 * http://127.0.0.1:9200) until SIGTERM/SIGINT, which delivers what was read and then exits.
 * `--once` exits as soon as every file is shipped to its end. Limits: DTQ_SHIPPER_* (see
 * shipper/config.ts and docs/pipeline.md).
 */
import { runCli } from '../contract/cli-args.ts';
import { DtqError } from '../contract/dtq-error.ts';
import { EVENTS } from '../contract/vocabulary.ts';
import { createLogger, errorFields, logEvent } from '../instrumentation/logger.ts';
import { metricsListenFromEnv, startMetricsServer } from '../instrumentation/metrics.ts';
import { configFromEnv } from './config.ts';
import { shipperRegistry } from './metrics.ts';
import { Progress } from './progress.ts';
import { Shipper } from './shipper.ts';

const SHIP_CLI = {
  name: 'dtq-ship',
  summary: 'ship NDJSON log files into Elasticsearch, exactly once, until SIGTERM or Ctrl-C.',
  options: {
    once: { type: 'boolean', description: 'exit as soon as every file is shipped to its end' },
  },
  sections: [
    {
      title: 'Environment',
      lines: [
        'DTQ_LOG_DIR          directory to ship (default var/logs)',
        'DTQ_ES_URL           Elasticsearch (default http://127.0.0.1:9200)',
        'DTQ_ES_INDEX_PREFIX  index prefix (default dtq-logs)',
        'DTQ_SHIPPER_*        batch and retry limits, see docs/pipeline.md',
      ],
    },
  ],
} as const;

async function main(argv: string[]): Promise<void> {
  const once = runCli(SHIP_CLI, argv, (values) => values.once === true);
  const config = configFromEnv();
  const metricsListen = metricsListenFromEnv('DTQ_SHIPPER_METRICS_PORT');
  const instance = process.env.DTQ_INSTANCE || 'shipper';
  // The shipper's own lines go to the same directory and are shipped like any other: a few
  // lines per metrics interval, none per batch, so shipping them settles.
  const logger = createLogger({
    service: 'shipper',
    instance,
    logDir: config.logDir,
    stdout: process.env.DTQ_LOG_STDOUT === '1',
  });
  const shipper = new Shipper({
    config,
    logger,
    progress: new Progress(process.stderr),
    untilCaughtUp: once,
  });
  if (metricsListen !== undefined) {
    await startMetricsServer(
      shipperRegistry(instance, () => shipper.snapshot()),
      metricsListen,
      logger,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logEvent(logger, 'info', EVENTS.SERVICE_STOPPING, {}, `${signal}: delivering what was read, then exiting`);
    void shipper.stop();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  logEvent(
    logger,
    'info',
    EVENTS.SERVICE_STARTED,
    {},
    `shipping ${config.logDir} to ${config.esUrl} (index prefix ${config.indexPrefix})`,
  );
  try {
    await shipper.run();
    logEvent(logger, 'info', EVENTS.SERVICE_STOPPED, {}, 'shipper stopped');
  } catch (error) {
    logEvent(logger, 'fatal', EVENTS.SERVICE_STOPPED, errorFields(error), 'shipper failed');
    throw error;
  } finally {
    logger.flush();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof DtqError ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
});
