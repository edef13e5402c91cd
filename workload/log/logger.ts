/**
 * pino loggers that write the vocabulary's JSON lines to stdout and to one NDJSON file per
 * process under the log directory. Those files are what the shipper tails and what the
 * explorer reads when no Elasticsearch is configured.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino, { type LevelWithSilent, type Logger } from 'pino';
import { type EventName, F, type FieldName, type ServiceName } from './vocabulary.ts';

/** Fields a log call may carry: vocabulary names only, so nobody spells a field by hand. */
export type EventFields = Partial<Record<FieldName, unknown>>;

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  service: ServiceName;
  instance: string;
  /** Directory of the NDJSON file; `null` writes to stdout only. Default: {@link logDirectory}(). */
  logDir?: string | null;
  /** Also write to stdout (default true; DTQ_LOG_STDOUT=0 turns it off). */
  stdout?: boolean;
  level?: LevelWithSilent;
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

/** A logger whose lines carry service.name, service.instance, @timestamp and event.sequence. */
export function createLogger(options: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [];
  const wantStdout = options.stdout ?? process.env.DTQ_LOG_STDOUT !== '0';
  if (wantStdout) streams.push({ stream: pino.destination({ dest: 1, sync: false }) });
  const logDir = options.logDir === undefined ? logDirectory() : options.logDir;
  if (logDir !== null) {
    mkdirSync(logDir, { recursive: true });
    // Synchronous appends: a line the process wrote survives kill -9, which the shipper's
    // "nothing lost" promise depends on. At our line rates the syscall per line is cheap.
    streams.push({
      stream: pino.destination({ dest: logFilePath(logDir, options.instance), sync: true, append: true }),
    });
  }
  let sequence = 0;
  return pino(
    {
      level: options.level ?? (process.env.DTQ_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info',
      messageKey: F.MESSAGE,
      base: { [F.SERVICE_NAME]: options.service, [F.SERVICE_INSTANCE]: options.instance, [F.PROCESS_PID]: process.pid },
      timestamp: () => `,"${F.TIMESTAMP}":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ [F.LOG_LEVEL]: label }) },
      mixin: () => ({ [F.EVENT_SEQUENCE]: ++sequence }),
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    },
    streams.length === 1 ? (streams[0]?.stream as pino.DestinationStream) : pino.multistream(streams),
  );
}

/** Log one vocabulary event at a level, with its fields and a message. */
export function logEvent(
  logger: Logger,
  level: 'debug' | 'info' | 'warn' | 'error' | 'fatal',
  action: EventName,
  fields: EventFields,
  message: string,
): void {
  logger[level]({ [F.EVENT_ACTION]: action, ...fields }, message);
}

/** The error.* fields for an error (code when it is a DtqError-like error). */
export function errorFields(error: unknown): EventFields {
  if (!(error instanceof Error)) return { [F.ERROR_MESSAGE]: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    [F.ERROR_TYPE]: error.name,
    [F.ERROR_MESSAGE]: error.message,
    ...(typeof code === 'string' ? { [F.ERROR_CODE]: code } : {}),
  };
}
