/**
 * pino loggers that write the vocabulary's JSON lines to stdout and to one NDJSON file per
 * process under the log directory. Those files are what the shipper tails and what the
 * explorer reads when no Elasticsearch is configured; SIGHUP reopens them after a rotation.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino, { type LevelWithSilent, type Logger } from 'pino';
import { hostName } from '../contract/host.ts';
import { indexForTimestamp, indexPrefix } from '../contract/indices.ts';
import { printable } from '../contract/terminal-text.ts';
import { F, type ServiceName } from '../contract/vocabulary.ts';

export { EVENTS, type EventFields, errorFields, F, logEvent } from './events.ts';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  service: ServiceName;
  instance: string;
  /** Directory of the NDJSON file; `null` writes to stdout only. Default: {@link logDirectory}(). */
  logDir?: string | null;
  /** Also write to stdout (default true; DTQ_LOG_STDOUT=0 turns it off). */
  stdout?: boolean;
  level?: LevelWithSilent;
  /** host.name of every line. Default: {@link hostName}() (DTQ_HOST_NAME or the OS host name). */
  hostName?: string;
  /**
   * Reopen the NDJSON file at its path on SIGHUP (default true), so that logrotate's rename
   * (`create` + `postrotate` kill -HUP) loses no line; see docs/pipeline.md, Rotation.
   */
  reopenOnSighup?: boolean;
  /**
   * Also send lines straight to Elasticsearch from this process with pino-elasticsearch
   * (default: only when DTQ_LOG_ES=1). Off by default: it can drop lines when Elasticsearch is
   * unreachable (see docs/pipeline.md); the file shipper is what dtq's guarantees rest on.
   */
  elasticsearch?: InProcessEsOptions | false;
}

/** Options of the in-process pino-elasticsearch stream. */
export interface InProcessEsOptions {
  /** Default DTQ_ES_URL or http://127.0.0.1:9200. */
  url?: string;
  /** Default DTQ_ES_INDEX_PREFIX or dtq-logs; lines go to the same daily indices as the shipper's. */
  indexPrefix?: string;
  /** Send a bulk request once this many bytes are buffered (pino-elasticsearch default 1000). */
  flushBytes?: number;
  /** ...or after this long (pino-elasticsearch default 30 s; ours 1 s). */
  flushIntervalMs?: number;
  /** Told of what the stream reports: failed bulk requests, dropped documents, sent batches. */
  onEvent?(kind: 'error' | 'insertError' | 'insert' | 'unknown', detail: unknown): void;
}

/** Paths pino censors wherever they appear: credentials never reach a log line. */
export const REDACTED_PATHS = [
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["proxy-authorization"]',
  'req.headers.authorization',
  'req.headers.cookie',
  '["http.request.headers"].authorization',
  '["http.request.headers"].cookie',
  '["http.request.headers"]["proxy-authorization"]',
];

/** The log directory: DTQ_LOG_DIR, or var/logs under the working directory. */
export function logDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.DTQ_LOG_DIR ?? join('var', 'logs'));
}

/** Path of a process's NDJSON file inside a log directory. */
export function logFilePath(logDir: string, instance: string): string {
  return join(logDir, `${instance}.ndjson`);
}

/** A logger whose lines carry service.name, service.instance, host.name, @timestamp and event.sequence. */
export function createLogger(options: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [];
  const wantStdout = options.stdout ?? process.env.DTQ_LOG_STDOUT !== '0';
  if (wantStdout) streams.push({ stream: pino.destination({ dest: 1, sync: false }) });
  const logDir = options.logDir === undefined ? logDirectory() : options.logDir;
  if (logDir !== null) {
    mkdirSync(logDir, { recursive: true });
    // Synchronous appends: a line the process wrote survives kill -9, which the shipper's
    // "nothing lost" promise depends on. At our line rates the syscall per line is cheap.
    const path = logFilePath(logDir, options.instance);
    const file = pino.destination({ dest: path, sync: true, append: true });
    if (options.reopenOnSighup ?? true) reopenWithTheOthers(file, path);
    streams.push({ stream: file });
  }
  const es = options.elasticsearch ?? (process.env.DTQ_LOG_ES === '1' ? {} : false);
  if (es !== false) streams.push({ stream: inProcessEsStream(es) });
  let sequence = 0;
  return pino(
    {
      level: options.level ?? (process.env.DTQ_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info',
      messageKey: F.MESSAGE,
      base: {
        [F.SERVICE_NAME]: options.service,
        [F.SERVICE_INSTANCE]: options.instance,
        [F.HOST_NAME]: options.hostName ?? hostName(),
        [F.PROCESS_PID]: process.pid,
      },
      timestamp: () => `,"${F.TIMESTAMP}":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ [F.LOG_LEVEL]: label }) },
      mixin: () => ({ [F.EVENT_SEQUENCE]: ++sequence }),
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    },
    streams.length === 1 ? (streams[0]?.stream as pino.DestinationStream) : pino.multistream(streams),
  );
}

/** A file destination that can be reopened at its path. */
type ReopenableFile = ReturnType<typeof pino.destination>;

/** The open log files of this process, reopened together on SIGHUP by one listener. */
const reopenable = new Set<ReopenableFile>();

function reopenWithTheOthers(file: ReopenableFile, path: string): void {
  if (reopenable.size === 0) process.on('SIGHUP', reopenLogFiles);
  reopenable.add(file);
  // A reopen that fails (the directory gone or not writable) leaves the old descriptor in use:
  // nothing is lost, but lines keep going to the renamed file, which the operator must hear of.
  // Without a listener the stream would say nothing, or crash the process on a failed close.
  file.on('error', (error: Error) => {
    process.stderr.write(
      `${printable(`dtq: could not reopen the log file ${path} (${error.message}); lines go on to the file it had open`)}\n`,
    );
  });
  file.once('close', () => {
    reopenable.delete(file);
    if (reopenable.size === 0) process.off('SIGHUP', reopenLogFiles);
  });
}

/**
 * Reopen every log file of this process at its path: after a rotation renamed the file, lines
 * go to the new file at the path (created by the rotator or by this call). Lines written before
 * go to the renamed file, whose handle stays valid until then, so none is lost. What SIGHUP does.
 */
export function reopenLogFiles(): void {
  for (const file of reopenable) {
    try {
      file.reopen();
    } catch {
      // Destroyed since it was registered; its 'close' removes it.
    }
  }
}

/** Lines kept for pino-elasticsearch while it loads. */
const MAX_WAITING_LINES = 10_000;

/**
 * The pino-elasticsearch destination. Its failures must not crash the process (an unhandled
 * stream 'error' would), so every event is caught and reported to `onEvent` or, by default,
 * as one line on stderr per failed request.
 *
 * pino-elasticsearch is loaded only by a logger that asks for it: it brings the Elasticsearch
 * client and undici, about 28 MB of RSS in every process that imports this module, and most
 * (the shipper among them) only write files. Lines logged while it loads wait in memory, up to
 * {@link MAX_WAITING_LINES} (past those, one error is reported and the rest are not sent);
 * should it fail to load, the failure is reported like any other and the lines are dropped.
 */
function inProcessEsStream(options: InProcessEsOptions): pino.DestinationStream {
  const prefix = options.indexPrefix ?? indexPrefix();
  const report =
    options.onEvent ??
    ((kind: string, detail: unknown) => {
      if (kind === 'error' || kind === 'insertError') {
        process.stderr.write(
          `pino-elasticsearch ${kind}: ${detail instanceof Error ? detail.message : String(detail)}\n`,
        );
      }
    });
  let stream: pino.DestinationStream | undefined;
  let waiting: string[] = [];
  let dropped = 0;
  import('pino-elasticsearch')
    .then((module) => {
      // A CommonJS package whose typings say `export default`: at run time the default export
      // is the function itself.
      const pinoElasticsearch = module.default as unknown as typeof module.default.default;
      const loaded = pinoElasticsearch({
        node: options.url ?? process.env.DTQ_ES_URL ?? 'http://127.0.0.1:9200',
        esVersion: 8,
        // Same daily index as the file shipper, chosen by the line's own time.
        index: (logTime: string) => indexForTimestamp(logTime, prefix),
        opType: 'create',
        flushBytes: options.flushBytes ?? 64 * 1024,
        flushInterval: options.flushIntervalMs ?? 1_000,
      });
      for (const kind of ['error', 'insertError', 'insert', 'unknown'] as const) {
        (loaded as unknown as NodeJS.EventEmitter).on(kind, (detail: unknown) => report(kind, detail));
      }
      return loaded;
    })
    .then(
      (loaded) => {
        for (const line of waiting) loaded.write(line);
        waiting = [];
        stream = loaded;
      },
      // A failed load or a refused option (a DTQ_ES_URL that is no URL) alike: reported, never
      // an unhandled rejection. The lines still reach the other destinations, as always.
      (error: unknown) => {
        report('error', error);
        waiting = [];
        stream = { write: () => undefined };
      },
    );
  return {
    write: (line: string) => {
      if (stream !== undefined) stream.write(line);
      else if (waiting.length < MAX_WAITING_LINES) waiting.push(line);
      else if (dropped++ === 0) {
        report(
          'error',
          new Error(
            `pino-elasticsearch has not loaded after ${MAX_WAITING_LINES} lines: lines past those are not sent to Elasticsearch`,
          ),
        );
      }
    },
  };
}
