/**
 * `dtq-ship [--once]` (`npm run ship`): ship DTQ_LOG_DIR (default var/logs) to DTQ_ES_URL (default
 * http://127.0.0.1:9200) until SIGTERM/SIGINT, which reads every file to its end, delivers that
 * and exits.
 * `--once` exits as soon as every complete line is shipped, saying which files end in a line
 * without its newline (left for the next run). Limits: DTQ_SHIPPER_* (see shipper/config.ts and
 * docs/pipeline.md). File names come from the directory and are written to stderr through
 * printable(), so a name holding escape sequences cannot drive the terminal.
 */
import { runCli } from '../contract/cli-args.ts';
import { DtqError } from '../contract/dtq-error.ts';
import { defaultInstance } from '../contract/host.ts';
import { redactUrl } from '../contract/redact.ts';
import { printable } from '../contract/terminal-text.ts';
import { EVENTS } from '../contract/vocabulary.ts';
import { ES_CLI_OPTIONS, ES_ENV_HELP } from '../elk/connection.ts';
import { createLogger, errorFields, logEvent } from '../instrumentation/logger.ts';
import { metricsListenFromEnv, startMetricsServer } from '../instrumentation/metrics.ts';
import { configFromEnv } from './config.ts';
import { connectionText } from './connection-text.ts';
import { shipperRegistry } from './metrics.ts';
import { Progress } from './progress.ts';
import { Shipper } from './shipper.ts';

const SHIP_CLI = {
  name: 'dtq-ship',
  summary: 'ship NDJSON log files into Elasticsearch, exactly once, until SIGTERM or Ctrl-C.',
  options: {
    once: {
      type: 'boolean',
      description: 'exit once every complete line is shipped (a last line without newline waits for the next run)',
    },
    ...ES_CLI_OPTIONS,
  },
  sections: [
    {
      title: 'Environment',
      lines: [
        'DTQ_LOG_DIR            directory to ship (default var/logs)',
        ...ES_ENV_HELP,
        'DTQ_ES_INDEX_PREFIX    index prefix (default dtq-logs)',
        'DTQ_SHIPPER_*          batch and retry limits, see docs/pipeline.md',
      ],
    },
  ],
} as const;

async function main(argv: string[]): Promise<void> {
  const { once, ...flags } = runCli(SHIP_CLI, argv, (values) => values);
  const config = configFromEnv(process.env, flags);
  const metricsListen = metricsListenFromEnv('DTQ_SHIPPER_METRICS_PORT');
  const instance = process.env.DTQ_INSTANCE || defaultInstance('shipper');
  // The shipper's own lines go to the same directory and are shipped like any other: a few
  // lines per metrics interval, none per batch, so shipping them settles. Never also through
  // the logger's in-process Elasticsearch stream (DTQ_LOG_ES): each line would be indexed twice.
  const logger = createLogger({
    service: 'shipper',
    instance,
    logDir: config.logDir,
    stdout: process.env.DTQ_LOG_STDOUT === '1',
    elasticsearch: false,
  });
  const shipper = new Shipper({
    config,
    logger,
    progress: new Progress(process.stderr),
    untilCaughtUp: once === true,
    // On a terminal the progress line is cleared first; its next update draws it again below.
    onConnection: (notice) =>
      process.stderr.write(
        `${process.stderr.isTTY ? '\r\x1b[2K' : ''}${printable(connectionText(notice, config.esUrl))}\n`,
      ),
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
    logEvent(
      logger,
      'info',
      EVENTS.SERVICE_STOPPING,
      {},
      `${signal}: reading every file to its end, delivering that, then exiting`,
    );
    // stop() settles as run() does: a failure is main's to report (below), once and printable,
    // not Node's raw dump of an unhandled rejection.
    shipper.stop().catch(() => {});
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  logEvent(
    logger,
    'info',
    EVENTS.SERVICE_STARTED,
    {},
    `shipping ${config.logDir} to ${redactUrl(config.esUrl)} (index prefix ${config.indexPrefix})`,
  );
  try {
    await shipper.run();
    for (const line of shipper.unterminatedLines()) {
      process.stderr.write(
        `dtq-ship: 1 unterminated line left at ${printable(line.path)}:${line.offset}, not shipped (no newline); a later run ships it once its newline is written\n`,
      );
    }
    for (const file of shipper.invalidUtf8Files()) {
      process.stderr.write(
        `dtq-ship: ${file.lines} line(s) of ${printable(file.path)} are not valid UTF-8 (first at offset ${file.firstOffset}); shipped with U+FFFD in place of the bad bytes, flagged shipper.invalid_utf8\n`,
      );
    }
    logEvent(logger, 'info', EVENTS.SERVICE_STOPPED, {}, 'shipper stopped');
  } catch (error) {
    logEvent(logger, 'fatal', EVENTS.SERVICE_STOPPED, errorFields(error), 'shipper failed');
    throw error;
  } finally {
    logger.flush();
  }
}

/**
 * The failure as stderr shows it. Messages name files and directories, which may hold control
 * characters and newlines: the message is one printable line (a newline in a name must not
 * start a line of its own), followed by the stack frames of an unexpected error.
 */
function failureText(error: unknown): string {
  if (error instanceof DtqError) return printable(`${error.code}: ${error.message}`);
  if (!(error instanceof Error)) return printable(String(error));
  const head = `${error.name}: ${error.message}`;
  const stack = error.stack ?? head;
  const frames = stack.startsWith(head) ? stack.slice(head.length) : `\n${stack}`;
  const lines = frames.split('\n').filter((line) => line !== '');
  return [printable(head), ...lines.map((line) => printable(line))].join('\n');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${failureText(error)}\n`);
  process.exitCode = 1;
});
