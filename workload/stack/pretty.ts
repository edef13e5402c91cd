/**
 * One-line, human-readable summaries of the JSON log lines the stack's children write, for the
 * supervisor's foreground output. The NDJSON files keep the full lines; this is only for eyes.
 * Pure: no I/O, no clock.
 */
import { printable } from '../../contract/terminal-text.ts';
import { F, type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';

/** ANSI colours, or none. */
export interface Palette {
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  prefix(text: string, index: number): string;
}

const esc = (code: string) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const PREFIX_COLOURS = ['36', '35', '34', '32', '33', '96', '95', '94', '92', '93'];

/** A palette that colours with ANSI escapes. */
export const COLOUR_PALETTE: Palette = {
  dim: esc('2'),
  red: esc('31'),
  yellow: esc('33'),
  prefix: (text, index) => esc(PREFIX_COLOURS[index % PREFIX_COLOURS.length] ?? '36')(text),
};

/** A palette that leaves text as it is (pipes, files, NO_COLOR). */
export const PLAIN_PALETTE: Palette = {
  dim: (text) => text,
  red: (text) => text,
  yellow: (text) => text,
  prefix: (text) => text,
};

/** Whether to colour output written to `stream`. */
export function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

/** Shorten a long id for the eye (the files keep it whole). */
function shortId(id: string): string {
  return id.length > 20 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

/**
 * A field as text for the terminal. Paths and messages are client-supplied (nginx decodes
 * `%1b`, `%07` and `%0a` into them): control characters are shown as escapes, never written.
 */
function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return printable(typeof value === 'string' ? value : String(JSON.stringify(value)));
}

/**
 * The summary of one output line: `HH:MM:SS.mmm LEVEL event.action message key=value…` for a
 * vocabulary JSON line; any other line comes back as it is, made printable.
 */
export function summarizeLine(line: string, palette: Palette = PLAIN_PALETTE): string {
  if (!line.startsWith('{')) return printable(line);
  let record: LogRecord;
  try {
    record = JSON.parse(line) as LogRecord;
  } catch {
    return printable(line);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return printable(line);
  // nginx's $time_iso8601 has whole seconds; the normalised line takes ms from $msec.
  record = normalizeNginxLine(record);
  const timestamp = text(record[F.TIMESTAMP]);
  const time = timestamp && timestamp.length >= 23 ? timestamp.slice(11, 23) : (timestamp ?? '');
  const level = (text(record[F.LOG_LEVEL]) ?? 'info').toUpperCase().padEnd(5);
  const colouredLevel =
    level.startsWith('ERROR') || level.startsWith('FATAL')
      ? palette.red(level)
      : level.startsWith('WARN')
        ? palette.yellow(level)
        : palette.dim(level);
  const parts = [palette.dim(time), colouredLevel];
  const action = text(record[F.EVENT_ACTION]);
  if (action) parts.push(action);
  const message = text(record[F.MESSAGE]);
  if (message) parts.push(message);
  const details: string[] = [];
  const status = text(record[F.HTTP_STATUS]);
  if (status) details.push(`status=${status}`);
  const errorCode = text(record[F.ERROR_CODE]);
  if (errorCode) details.push(`error=${errorCode}`);
  const attempt = text(record[F.TASK_ATTEMPT]);
  if (attempt) details.push(`attempt=${attempt}`);
  const correlationId = text(record[F.CORRELATION_ID]);
  if (correlationId) details.push(`cid=${shortId(correlationId)}`);
  const taskId = text(record[F.TASK_ID]);
  if (taskId) details.push(`task=${shortId(taskId)}`);
  if (details.length > 0) parts.push(palette.dim(details.join(' ')));
  return parts.join(' ');
}

/**
 * A child's line as 'raw' output shows it. A JSON line stays valid JSON, for jq and
 * pino-pretty: what a terminal would act on (JSON.stringify leaves DEL, C1 and bidi controls
 * raw) becomes a `\uNNNN` escape, which decodes to the same value. Any other line is made
 * printable like a pretty one.
 */
export function rawLine(line: string): string {
  if (!line.startsWith('{')) return printable(line);
  if (printable(line) === line) return line;
  // What printable would escape is what is unsafe: one definition, in contract/terminal-text.ts.
  let out = '';
  for (const char of line)
    out += printable(char) === char ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return out;
}

/** `name` padded to `width` and coloured, followed by a separator. */
export function linePrefix(name: string, width: number, index: number, palette: Palette = PLAIN_PALETTE): string {
  return `${palette.prefix(name.padEnd(width), index)} ${palette.dim('|')} `;
}
