/**
 * Log files as a source: the NDJSON files the workload writes (one per process under var/logs
 * or DTQ_LOG_DIR), or whatever `--logs` names — a directory tree, a file, a glob, standard
 * input (explorer/sources/log-files.ts finds them). Every lookup streams the files it reads
 * (explorer/sources/line-reader.ts) and keeps only the lines that match, so memory follows
 * the answer, not the logs; files that grew or appeared are read anew by the next lookup,
 * which is what --follow needs. A cheap byte search for the ids runs before JSON.parse, so a
 * lookup parses only the lines that can match; lines that are not a JSON object (or are longer
 * than the line cap) are skipped and counted (pino-abstract-transport's habit), never fatal.
 * Logs in another format go through their mapping (explorer/mapping/) where a line is parsed:
 * ids keep their text through a mapping, so the byte search stays valid for them.
 */
import {
  closeSync,
  createWriteStream,
  fstatSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { dtqError } from '../../contract/dtq-error.ts';
import { jsonTextTooDeep } from '../../contract/json-depth.ts';
import { EVENTS, F, type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';
import { EXPLORE_ERRORS } from '../errors.ts';
import type { Mapping } from '../mapping/mapping.ts';
import { canonicalIsoMs, isTime, num, str, timestampOf } from '../model/fields.ts';
import { polledTaskId } from '../model/join.ts';
import type { Hit } from '../model/types.ts';
import {
  type FileNow,
  type FileRead,
  HEAD_BYTES,
  headOf,
  type Plan,
  planPass,
  probesHead,
  probesTail,
} from './follow-plan.ts';
import { type RawLine, type ReadOptions, readFileLines, readFileTextLines, readHead } from './line-reader.ts';
import {
  LOG_NAMES_TEXT,
  type LogFile,
  type LogInput,
  listLogFiles,
  noticeFor,
  parseLogInput,
  shownPath,
} from './log-files.ts';
import { type FileEnd, MappedLines } from './mapped-lines.ts';
import {
  type IdField,
  type LineFeed,
  type LogSource,
  type Lookup,
  type NearestIds,
  type PollLines,
  type PollPages,
  type PollSummary,
  rankNearest,
} from './source.ts';

/** Limits and seams of a file source; the defaults suit real logs, tests shrink them. */
export interface FileSourceOptions {
  /** What `--logs -` reads (default: process.stdin). */
  readonly stdin?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /** The longest line kept, in bytes (default: line-reader.ts's MAX_LINE_BYTES). */
  readonly maxLineBytes?: number;
  /** Bytes read at a time (default: line-reader.ts's CHUNK_BYTES). */
  readonly chunkBytes?: number;
  /** The log format's mapping (explorer/mapping/); the identity (`dtq`) and none read lines as they are. */
  readonly mapping?: Mapping;
  /** The clock that tells whether a file has settled (see {@link settledStamp}; default Date.now). */
  readonly now?: () => number;
}

/** How far a lookup read one file, and the lines it kept from it. */
interface FileProgress {
  readonly dev: number;
  readonly ino: number;
  /** The offset after the last whole line read. */
  readonly offset: number;
  readonly lastLine: number;
  readonly malformed: number;
  /** The bytes just before `offset` (see {@link tailOf}): a file rewritten in place no longer ends its read part with them. */
  readonly tail: Buffer;
  readonly hits: readonly Hit[];
}

/** What a fleet feed's passes read of one file: follow-plan.ts's view, and where to read on. */
interface FedFile extends FileRead {
  /** Undefined after a read that failed partway: such a file is read again only whole. */
  readonly progress: FileProgress | undefined;
}

/** A file's identity across renames: its device and inode. */
function keyOf(file: LogFile): string {
  return `${file.dev}:${file.ino}`;
}

/** Lookups whose progress is kept, so --follow re-reads only new bytes; older ones read afresh. */
const FOLLOWED_LOOKUPS = 8;
/** Unparsable lines remembered one by one; beyond this the malformed count stops growing. */
const MAX_UNPARSABLE_KEPT = 100_000;
/**
 * Deepest nesting a line may have. A line nested thousands of levels deep parses, but every
 * recursive step after it (JSON.stringify for --json and the details view) would overflow the
 * stack; no log line nests anywhere near this, so deeper ones count as malformed.
 */
const MAX_LINE_NESTING = 64;
/** Distinct ids held at once while looking for the nearest ones; more are ranked and cut. */
const NEAREST_BATCH = 10_000;
/**
 * Bytes a list pass reads at a time: it reads every byte of every file, and fewer, larger
 * reads cost less than the lookups' chunks.
 */
const FEED_CHUNK_BYTES = 1024 * 1024;
/**
 * Bytes of mapped lines kept for the next lookups (see {@link MappedLines}): room for every
 * line of a 10,000-line trace in the most verbose built-in format (OTLP JSON, ~0.9 KB a
 * record, counted twice), so its second lookup maps nothing again.
 */
const MAPPED_LINES_BYTES = 32 * 1024 * 1024;
/**
 * How long a file must have been left alone before its stamp is trusted: longer than any
 * file system's timestamp granularity (a jiffy on Linux, a second on some, two on FAT), so a
 * write after the stamp was taken cannot leave the same change time behind.
 */
const SETTLED_MS = 2_000;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
/** How a contract line opens: pino writes @timestamp first. */
const TIMESTAMP_OPENING = `{"${F.TIMESTAMP}":"`;
const TIMESTAMP_KEY = `"${F.TIMESTAMP}"`;
const NGINX_MSEC_KEY = `"${F.NGINX_MSEC}"`;

/** Read log files: a directory tree, one file, a glob, or standard input (`-`). */
export class FileSource implements LogSource {
  readonly kind = 'files' as const;
  readonly description: string;
  readonly #input: LogInput;
  readonly #options: FileSourceOptions;
  /** Standard input, read once into an unlinked temp file (lookups read it several times). */
  #stdin: Promise<LogFile> | undefined;
  /** Malformed lines per file in its latest complete read: not an object, or over-long. */
  readonly #malformedByFile = new Map<string, number>();
  /** Lines (`file:line`) that looked like an object but did not parse, so two scans count one once. */
  readonly #unparsable = new Set<string>();
  /**
   * Files and directories skipped, and why, once each: what the latest listing skipped and
   * what could not be read since. A file that vanished in a rotation is found under its new
   * name by the next listing, so an old notice must not outlive it.
   */
  #notices = new Set<string>();
  /** How far the latest lookups read each file, and what they found, newest lookup last. */
  readonly #followed = new Map<string, Map<string, FileProgress>>();
  /** The format's mapping; undefined for contract lines (the `dtq` profile), read as they are. */
  readonly #mapping: Mapping | undefined;
  /** Lines already mapped, for the trace's next lookups; only with a mapping. */
  readonly #mappedLines: MappedLines | undefined;
  readonly #now: () => number;

  constructor(logs: string, options: FileSourceOptions = {}) {
    this.#input = parseLogInput(logs, (path) => statSync(path, { throwIfNoEntry: false }) !== undefined);
    this.#options = options;
    this.#mapping = options.mapping?.identity === false ? options.mapping : undefined;
    this.#mappedLines = this.#mapping === undefined ? undefined : new MappedLines(MAPPED_LINES_BYTES);
    this.#now = options.now ?? Date.now;
    const where =
      this.#input.kind === 'stdin'
        ? 'standard input'
        : this.#input.kind === 'glob'
          ? `files matching ${this.#input.pattern}`
          : `files in ${this.#input.path}`;
    this.description = this.#mapping === undefined ? where : `${where} (profile ${this.#mapping.name})`;
  }

  // --- Mapping hook: every parsed physical line goes through here. Ids keep their text
  // through a mapping, so the byte search for them before JSON.parse stays valid for any format.

  /** The contract lines of one parsed physical line. */
  #records(record: LogRecord): LogRecord[] {
    if (this.#mapping === undefined) return [normalizeNginxLine(record)];
    return this.#mapping.map(record).map((r) => normalizeNginxLine(r));
  }

  /** {@link #records}, with their `file:line` sources. */
  #hits(file: LogFile, number: number, record: LogRecord): Hit[] {
    const records = this.#records(record);
    // One OTLP line holds many records: `file:line.k` tells them apart.
    return records.map((r, k) => ({
      source: records.length === 1 ? `${file.name}:${number}` : `${file.name}:${number}.${k + 1}`,
      record: r,
    }));
  }

  /**
   * The hits of a line that passed the byte search. With a mapping, mapped lines are kept a
   * while: a trace's lookups read the same lines again (the correlation id's, then its
   * tasks'), and parsing and mapping a foreign line costs more than parsing a contract line.
   */
  #lineHits(file: LogFile, line: RawLine): Hit[] {
    const cache = this.#mappedLines;
    if (cache === undefined) {
      const record = this.#parse(file, line);
      return record === undefined ? [] : this.#hits(file, line.number, record);
    }
    const known = cache.get(file, line.number, line.bytes);
    if (known !== undefined) return known;
    const record = this.#parse(file, line);
    const hits = record === undefined ? [] : this.#hits(file, line.number, record);
    cache.set(file, line.number, line.bytes, hits);
    return hits;
  }

  async mentions(id: string): Promise<boolean> {
    if (id === '') return false;
    // The whole id, not a prefix of a longer one: `req-1` is not in `req-12`.
    const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const whole = new RegExp(`(?<![A-Za-z0-9._:-])${escaped}(?![A-Za-z0-9._:-])`);
    const needle = Buffer.from(id);
    const found = new AbortController();
    await this.#each(
      (_file, line) => {
        if (found.signal.aborted || !line.candidate || !line.bytes.includes(needle)) return;
        if (whole.test(line.bytes.toString('utf8'))) found.abort();
      },
      [needle],
      found.signal,
    );
    return found.signal.aborted;
  }

  async sample(sinceMs: number | undefined, limit: number): Promise<Hit[]> {
    const files = await this.#files();
    const perFile = Math.max(1, Math.floor(limit / files.length));
    const hits: Hit[] = [];
    for (const file of files) {
      // The first lines of each file: a file is read only as far as its share.
      let taken = 0;
      const enough = new AbortController();
      try {
        await this.#read(
          file,
          undefined,
          (line) => {
            if (taken >= perFile) return;
            const record = this.#parse(file, line);
            if (record === undefined) return;
            for (const hit of this.#hits(file, line.number, record)) {
              const at = timestampOf(hit.record);
              if (sinceMs !== undefined && at !== undefined && at < sinceMs) continue;
              hits.push(hit);
              taken++;
            }
            if (taken >= perFile) enough.abort();
          },
          undefined,
          enough.signal,
        );
      } catch (error) {
        this.#notices.add(noticeFor(file.name, error));
      }
    }
    return hits;
  }

  // --- End of the mapping hook.

  /** The files to read now: listed anew on every lookup, so --follow sees files that appeared. */
  async #files(): Promise<LogFile[]> {
    if (this.#input.kind === 'stdin') {
      this.#stdin ??= this.#spoolStdin();
      return [await this.#stdin];
    }
    const listing = listLogFiles(this.#input);
    this.#notices = new Set(listing.notices);
    const names = new Set(listing.files.map((file) => file.name));
    for (const name of this.#malformedByFile.keys()) if (!names.has(name)) this.#malformedByFile.delete(name);
    const where = this.#input.kind === 'glob' ? this.#input.pattern : this.#input.path;
    if (!listing.exists) throw dtqError(EXPLORE_ERRORS.NO_LOGS_DIR, { dir: where });
    if (listing.files.length === 0) {
      const skipped = listing.notices.length > 0 ? ` Skipped: ${listing.notices.join('; ')}.` : '';
      const looked =
        this.#input.kind === 'glob'
          ? `no file matches ${where}`
          : listing.directory
            ? `${shownPath(where)} holds no ${LOG_NAMES_TEXT}`
            : `${shownPath(where)} is not a readable regular file`;
      throw dtqError(EXPLORE_ERRORS.NO_LOG_FILES, { looked, skipped });
    }
    return listing.files;
  }

  /**
   * Lookups read their lines several times and a pipe can be read once: standard input goes
   * to a temp file first (in TMPDIR), unlinked at once so nothing is left behind, read
   * through its descriptor. The file, not the heap, holds it: a 2 GB pipe costs the process
   * no more memory than a 2 GB file (unless TMPDIR is itself in memory, as a tmpfs is).
   */
  async #spoolStdin(): Promise<LogFile> {
    const stdin = this.#options.stdin ?? process.stdin;
    if (stdin.isTTY)
      throw dtqError(EXPLORE_ERRORS.USAGE, {
        problem:
          '--logs - reads standard input, which is a terminal: pipe the logs in (`cat app.ndjson | dtq-explore ID --logs -`)',
      });
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(tmpdir(), 'dtq-explore-stdin-'));
      const path = join(dir, 'stdin');
      await pipeline(stdin, createWriteStream(path));
      const fd = openSync(path, 'r');
      try {
        const magic = Buffer.alloc(2);
        readSync(fd, magic, 0, 2, 0);
        unlinkSync(path);
        const { size, mtimeMs, dev, ino } = fstatSync(fd);
        const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
        return { path, name: 'stdin', size, mtimeMs, dev, ino, gzip, complete: true, fd };
      } catch (error) {
        closeSync(fd);
        throw error;
      }
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      const looked = `standard input could not be copied to ${tmpdir()} (${reason}; set TMPDIR to a directory with room)`;
      throw dtqError(EXPLORE_ERRORS.NO_LOG_FILES, { looked, skipped: '' });
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Stream the well-formed lines of one file to `visit`, from `from` on when a previous read
   * of the same file got that far, counting the malformed ones; resolves to where it ended.
   */
  async #read(
    file: LogFile,
    from: FileEnd | undefined,
    visit: (line: RawLine) => void,
    needles?: readonly Buffer[],
    signal?: AbortSignal,
    chunkBytes = this.#options.chunkBytes,
  ): Promise<FileEnd> {
    let malformed = from?.malformed ?? 0;
    const end = await readFileLines(
      file.path,
      {
        ...this.#readOptions(file, from, chunkBytes),
        ...(needles === undefined ? {} : { needles }),
        ...(signal === undefined ? {} : { signal }),
      },
      (line) => {
        const shape = shapeOf(line);
        if (shape === 'malformed') malformed++;
        else if (shape === 'object') visit(line);
      },
    );
    // A read stopped early saw part of the file: the count of its latest complete read stands.
    if (signal?.aborted !== true) this.#malformedByFile.set(file.name, malformed);
    return { offset: end.offset, lastLine: end.lastLine, malformed };
  }

  /** {@link #read} for a reader that decodes every line: the lines come as text, decoded many at a time. */
  async #readText(
    file: LogFile,
    from: FileEnd | undefined,
    visit: (text: string, number: number) => void,
    chunkBytes: number,
  ): Promise<FileEnd> {
    let malformed = from?.malformed ?? 0;
    const end = await readFileTextLines(file.path, this.#readOptions(file, from, chunkBytes), (text, number) => {
      // Undefined: the line was longer than the cap.
      const shape = text === undefined ? 'malformed' : shapeOfText(text);
      if (shape === 'malformed') malformed++;
      else if (shape === 'object' && text !== undefined) visit(text, number);
    });
    this.#malformedByFile.set(file.name, malformed);
    return { offset: end.offset, lastLine: end.lastLine, malformed };
  }

  /** How {@link #read} and {@link #readText} read `file`: from where `from` stopped, if given. */
  #readOptions(file: LogFile, from: FileEnd | undefined, chunkBytes: number | undefined): ReadOptions {
    return {
      size: file.size,
      gzip: file.gzip,
      complete: file.complete,
      start: from?.offset ?? 0,
      firstLine: (from?.lastLine ?? 0) + 1,
      ...(file.fd === undefined ? {} : { fd: file.fd }),
      ...(this.#options.maxLineBytes === undefined ? {} : { maxLineBytes: this.#options.maxLineBytes }),
      ...(chunkBytes === undefined ? {} : { chunkBytes }),
    };
  }

  /**
   * Stream every well-formed line of every file to `visit`; a file that cannot be read
   * (vanished, refused, corrupt gzip) is skipped with a notice.
   */
  async #each(
    visit: (file: LogFile, line: RawLine) => void,
    needles?: readonly Buffer[],
    signal?: AbortSignal,
  ): Promise<void> {
    for (const file of await this.#files()) {
      if (signal?.aborted) return;
      try {
        await this.#read(file, undefined, (line) => visit(file, line), needles, signal);
      } catch (error) {
        this.#notices.add(noticeFor(file.name, error));
      }
    }
  }

  /**
   * Every line whose bytes contain one of `needles` and whose record passes `keep`. The same
   * lookup again (--follow asks every second) reads only what was appended since, per file,
   * unless the file was replaced, truncated or is compressed. With a mapping, a file that an
   * earlier lookup read whole, keeping every line, is not read while its stamp stays the same
   * (see {@link settledStamp}): its kept lines are searched instead.
   */
  async #scan(key: string, needles: readonly string[], keep: (record: LogRecord) => boolean): Promise<Hit[]> {
    const hits: Hit[] = [];
    if (needles.length === 0) return hits;
    const wanted = needles.map((needle) => Buffer.from(needle));
    const previous = this.#followed.get(key);
    const progress = new Map<string, FileProgress>();
    for (const file of await this.#files()) {
      const before = previous?.get(file.name);
      const from =
        before !== undefined &&
        !file.gzip &&
        before.dev === file.dev &&
        before.ino === file.ino &&
        file.size >= before.offset &&
        tailOf(file, before.offset).equals(before.tail)
          ? before
          : undefined;
      const fileHits = from === undefined ? [] : [...from.hits];
      try {
        const cache = this.#mappedLines;
        const stamp = cache === undefined || from !== undefined ? undefined : settledStamp(file, this.#now());
        const whole = stamp === undefined ? undefined : cache?.wholeOf(file, stamp);
        if (whole !== undefined) {
          // Unchanged since a read that kept every line: the kept lines are the file.
          for (const line of whole.lines) {
            if (!wanted.some((needle) => line.bytes.includes(needle))) continue;
            for (const hit of line.hits) if (keep(hit.record)) fileHits.push(hit);
          }
          this.#malformedByFile.set(file.name, whole.end.malformed);
          progress.set(file.name, progressOf(file, whole.end, fileHits));
          for (const hit of fileHits) hits.push(hit);
          continue;
        }
        // The lines that went to the cache, while every line of the file did.
        let cached: number[] | undefined = stamp === undefined ? undefined : [];
        const read = await this.#read(
          file,
          from,
          (line) => {
            if (!line.candidate || !wanted.some((needle) => line.bytes.includes(needle))) {
              cached = undefined;
              return;
            }
            cached?.push(line.number);
            for (const hit of this.#lineHits(file, line)) if (keep(hit.record)) fileHits.push(hit);
          },
          wanted,
        );
        if (stamp !== undefined && cached !== undefined) cache?.keepWhole(file, stamp, cached, read);
        progress.set(file.name, progressOf(file, read, fileHits));
        for (const hit of fileHits) hits.push(hit);
      } catch (error) {
        this.#notices.add(noticeFor(file.name, error));
      }
    }
    this.#followed.delete(key);
    this.#followed.set(key, progress);
    for (const oldest of this.#followed.keys()) {
      if (this.#followed.size <= FOLLOWED_LOOKUPS) break;
      this.#followed.delete(oldest);
    }
    return hits;
  }

  #parse(file: LogFile, line: RawLine): LogRecord | undefined {
    return this.#parseText(file, line.number, line.bytes.toString('utf8'));
  }

  #parseText(file: LogFile, number: number, text: string): LogRecord | undefined {
    try {
      // Each level opens with a brace or a bracket: a line with fewer of them cannot nest too
      // deep, and most lines (contract lines are flat, ECS lines nest a few objects) have few.
      if (openersOver(text, MAX_LINE_NESTING) && jsonTextTooDeep(text, MAX_LINE_NESTING))
        throw new RangeError('nested too deep');
      const value: unknown = JSON.parse(text);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as LogRecord;
    } catch {
      // Counted below: a torn or foreign line must not stop the explorer.
    }
    // Bounded: a file of millions of brace-shaped non-JSON lines must not grow this without end.
    if (this.#unparsable.size < MAX_UNPARSABLE_KEPT) this.#unparsable.add(`${file.name}:${number}`);
    return undefined;
  }

  /** Every line of a lookup, filtered by whether it is a status poll. */
  #lookup(lookup: Lookup, polls: PollLines | 'only'): Promise<Hit[]> {
    const key = JSON.stringify([lookup, polls]);
    const wantPoll = (record: LogRecord): boolean => {
      if (polls === 'include') return true;
      const poll = polledTaskId(record) !== undefined;
      return polls === 'only' ? poll : !poll;
    };
    if (lookup.kind === 'correlation') {
      const wanted = new Set(lookup.correlationIds);
      return this.#scan(
        key,
        lookup.correlationIds,
        (record) => wanted.has(str(record, F.CORRELATION_ID) ?? '') && wantPoll(record),
      );
    }
    if (lookup.kind === 'trace') {
      const wanted = new Set(lookup.traceIds);
      return this.#scan(
        key,
        lookup.traceIds,
        (record) => wanted.has(str(record, F.TRACE_ID) ?? '') && wantPoll(record),
      );
    }
    const { taskIds, correlationId } = lookup;
    const tasks = new Set(taskIds);
    const needles = correlationId === undefined ? [...taskIds] : [...taskIds, correlationId];
    return this.#scan(
      key,
      needles,
      (record) =>
        (tasks.has(str(record, F.TASK_ID) ?? '') ||
          tasks.has(str(record, F.ORIGINAL_TASK_ID) ?? '') ||
          (correlationId !== undefined && str(record, F.ORIGINAL_CORRELATION_ID) === correlationId)) &&
        // The correlation id's own lines come from byCorrelationIds, as with Elasticsearch.
        (correlationId === undefined || str(record, F.CORRELATION_ID) !== correlationId) &&
        wantPoll(record),
    );
  }

  async byCorrelationIds(ids: readonly string[], polls: PollLines = 'include'): Promise<Hit[]> {
    return this.#lookup({ kind: 'correlation', correlationIds: ids }, polls);
  }

  async byTraceIds(ids: readonly string[]): Promise<Hit[]> {
    return this.#lookup({ kind: 'trace', traceIds: ids }, 'include');
  }

  async related(
    taskIds: readonly string[],
    correlationId: string | undefined,
    polls: PollLines = 'include',
  ): Promise<Hit[]> {
    return this.#lookup({ kind: 'related', taskIds, correlationId }, polls);
  }

  async statusPolls(lookup: Lookup, firstPage: number): Promise<PollPages> {
    // In time order, like Elasticsearch's pages: the first page must be the earliest lines.
    const lines = (await this.#lookup(lookup, 'only'))
      .map((hit) => ({ ...hit, at: timestampOf(hit.record) }))
      .sort(
        (a, b) =>
          (a.at ?? 0) - (b.at ?? 0) || (num(a.record, F.EVENT_SEQUENCE) ?? 0) - (num(b.record, F.EVENT_SEQUENCE) ?? 0),
      );
    const first = lines.slice(0, firstPage);
    const rest = lines.slice(firstPage);
    return { first, more: rest.length > 0, summary: summarisePolls(lines), rest: async () => rest };
  }

  async recent(sinceMs: number | undefined, limit: number): Promise<Hit[]> {
    // The newest `limit` lines, kept while streaming: cut back to `limit` whenever twice as many are held.
    let hits: { hit: Hit; at: number }[] = [];
    const newestFirst = (a: { at: number }, b: { at: number }) => b.at - a.at;
    await this.#each((file, line) => {
      const parsed = this.#parse(file, line);
      if (parsed === undefined) return;
      for (const hit of this.#hits(file, line.number, parsed)) {
        const at = timestampOf(hit.record);
        if (at === undefined || (sinceMs !== undefined && at < sinceMs)) continue;
        hits.push({ hit, at });
      }
      if (hits.length >= 2 * limit) hits = hits.sort(newestFirst).slice(0, limit);
    });
    return hits
      .sort(newestFirst)
      .slice(0, limit)
      .map(({ hit }) => hit);
  }

  feed(sinceMs: number | undefined): LineFeed {
    const sinceText = canonicalText(sinceMs);
    // What the passes since the last start-over read of each file, by device and inode: a file
    // renamed by a rotation goes on where it stopped; one whose read lines would be read again
    // from its start makes the pass start over (explorer/sources/follow-plan.ts).
    let read = new Map<string, FedFile>();
    // Why the next pass starts over whatever its probes find: a file read on from where it
    // stopped was rewritten in place after the pass probed it, so what that read folded may be
    // the new content's, and the tail it kept is the new content's too.
    let rewritten: string | undefined;
    return {
      next: async (visit, startOver) => {
        const files = await this.#files();
        const now: FileNow[] = [];
        for (const file of files) now.push(await this.#probe(file, read.get(keyOf(file))));
        const plan: Plan = rewritten === undefined ? planPass(read, now) : { startOver: true, why: rewritten };
        rewritten = undefined;
        // A start-over's state replaces the old one once the pass is done, as its ledger does.
        const into = plan.startOver ? new Map<string, FedFile>() : read;
        if (plan.startOver) startOver();
        for (const [i, file] of files.entries()) {
          const { key, head } = now[i] as FileNow;
          const step = plan.startOver ? 'whole' : (plan.steps.get(key) ?? 'whole');
          if (step === 'skip') continue;
          const before = plan.startOver ? undefined : into.get(key);
          const from = step === 'resume' ? before?.progress : undefined;
          // Whether this read folded a line; a file is folded when an earlier read of it was too.
          let foldedNow = false;
          const fold = (record: LogRecord, at: number): void => {
            foldedNow = true;
            visit(record, at);
          };
          try {
            const end = await this.#readText(
              file,
              from,
              (text, number) => {
                if (this.#mapping === undefined && sinceMs !== undefined && writtenBefore(text, sinceMs, sinceText))
                  return;
                const record = this.#parseText(file, number, text);
                if (record === undefined) return;
                if (this.#mapping === undefined) {
                  // Contract lines go straight to the fold: a list pass reads every line, and
                  // the fold needs neither a hit nor its `file:line` source. A status poll
                  // changes no row (RequestLedger drops it), and a polling client writes half
                  // the lines: it goes before its nginx timings are converted or its time read.
                  if (polledTaskId(record) !== undefined) return;
                  const normal = normalizeNginxLine(record);
                  const at = timestampOf(normal);
                  if (at !== undefined && (sinceMs === undefined || at >= sinceMs)) fold(normal, at);
                  return;
                }
                for (const mapped of this.#records(record)) {
                  if (polledTaskId(mapped) !== undefined) continue;
                  const at = timestampOf(mapped);
                  if (at !== undefined && (sinceMs === undefined || at >= sinceMs)) fold(mapped, at);
                }
              },
              this.#options.chunkBytes ?? FEED_CHUNK_BYTES,
            );
            // Every file is probed before the pass reads any: one rewritten since (while the
            // files before it were read) no longer holds the bytes before where this read began.
            if (from !== undefined && !tailOf(file, from.offset).equals(from.tail))
              rewritten = `${key} was rewritten in place while a pass read on in it`;
            into.set(key, {
              gzip: file.gzip,
              size: file.size,
              offset: end.offset,
              head: head ?? (step === 'whole' ? await this.#head(file) : before?.head),
              folded: foldedNow || (step === 'resume' && before?.folded === true),
              torn: false,
              progress: progressOf(file, end, []),
            });
          } catch (error) {
            this.#notices.add(noticeFor(file.name, error));
            // Lines folded before the read failed (a .gz still being written): the file is read
            // again only whole, and then into a fresh ledger. A read that folded nothing leaves
            // what was known of the file as it was.
            if (foldedNow)
              into.set(key, {
                gzip: file.gzip,
                size: file.size,
                offset: from?.offset ?? 0,
                head: head ?? before?.head,
                folded: true,
                torn: true,
                progress: undefined,
              });
          }
        }
        read = into;
      },
    };
  }

  /** What {@link planPass} needs to know of `file` now, beside what was read of it before. */
  async #probe(file: LogFile, before: FedFile | undefined): Promise<FileNow> {
    const tail = before?.progress?.tail;
    const seen = {
      gzip: file.gzip,
      size: file.size,
      ...(probesTail(before, file) && tail !== undefined
        ? { tailKept: tailOf(file, before?.offset ?? 0).equals(tail) }
        : {}),
    };
    const head = probesHead(before, seen) ? await this.#head(file) : undefined;
    return { key: keyOf(file), ...seen, ...(head === undefined ? {} : { head }) };
  }

  /** `file`'s first-line fingerprint (follow-plan.ts's headOf); undefined when it has none or cannot be read. */
  async #head(file: LogFile): Promise<string | undefined> {
    try {
      const { bytes, ended } = await readHead(
        file.path,
        { size: file.size, gzip: file.gzip, ...(file.fd === undefined ? {} : { fd: file.fd }) },
        HEAD_BYTES,
      );
      return headOf(bytes, file.complete && ended);
    } catch {
      return undefined;
    }
  }

  async nearest(id: string, field: IdField): Promise<NearestIds> {
    const marker = Buffer.from(`"${field}":"`);
    let candidates = new Set<string>();
    let from: number | undefined;
    let to: number | undefined;
    let file: LogFile | undefined;
    let last: RawLine | undefined;
    // Files are appended in time order: the first and last lines of each bound the range.
    const widen = (at: number | undefined) => {
      if (at === undefined) return;
      from = from === undefined ? at : Math.min(from, at);
      to = to === undefined ? at : Math.max(to, at);
    };
    const closeFile = () => {
      if (file !== undefined && last !== undefined) widen(this.#timeOf(file, last));
      last = undefined;
    };
    await this.#each(
      (current, line) => {
        if (current !== file) {
          closeFile();
          file = current;
          widen(this.#timeOf(current, line));
        }
        // A copy: the line's bytes are a view of a read buffer, which a later chunk of the same
        // file refills when the file ends in an unfinished line longer than a chunk.
        last = { ...line, bytes: Buffer.from(line.bytes) };
        if (this.#mapping !== undefined) {
          // A foreign format names the id differently, maybe nested: read it through the mapping.
          const record = this.#parse(current, line);
          if (record === undefined) return;
          for (const mapped of this.#records(record)) {
            const value = str(mapped, field);
            if (value !== undefined && value.length <= 128) candidates.add(value);
          }
        } else if (line.candidate) {
          // The id is the JSON string after the marker, as far as the next quote (at most 128 bytes).
          const { bytes } = line;
          for (let at = bytes.indexOf(marker); at !== -1; at = bytes.indexOf(marker, at + marker.length)) {
            const start = at + marker.length;
            const end = bytes.indexOf(QUOTE, start);
            if (end > start && end - start <= 128) candidates.add(bytes.toString('utf8', start, end));
          }
        }
        if (candidates.size >= NEAREST_BATCH) candidates = new Set(rankNearest(id, candidates));
      },
      this.#mapping === undefined ? [marker] : undefined,
    );
    closeFile();
    return { matches: rankNearest(id, candidates), range: { from, to } };
  }

  #timeOf(file: LogFile, line: RawLine): number | undefined {
    const record = this.#parse(file, line);
    return record === undefined ? undefined : timestampOf(this.#records(record)[0] ?? {});
  }

  malformedLines(): number {
    let total = this.#unparsable.size;
    for (const count of this.#malformedByFile.values()) total += count;
    return total;
  }

  /** Files and directories skipped so far, one line each, for the trace's warnings. */
  notices(): readonly string[] {
    return [...this.#notices];
  }

  async close(): Promise<void> {
    this.#followed.clear();
    this.#mappedLines?.clear();
    const stdin = this.#stdin;
    this.#stdin = undefined;
    const file = await stdin?.catch(() => undefined);
    if (file?.fd !== undefined) closeSync(file.fd);
  }
}

/**
 * True when a contract line was written before `sinceMs`, read from its bytes without a parse:
 * it opens with its @timestamp in the canonical form (canonicalIsoMs), older than `sinceMs`,
 * and holds no second "@timestamp" and no "nginx.msec" (whose time replaces it, see
 * normalizeNginxLine). Without a backslash in the line no key can be spelled otherwise, so its
 * record's time is that one if it parses at all, and a list pass need not parse it: a --since
 * window over a day of logs parses the window's lines only. The price: such a line, if it were
 * not JSON after all, is not counted as malformed by that pass.
 */
function writtenBefore(text: string, sinceMs: number, sinceText: string | undefined): boolean {
  const opening = TIMESTAMP_OPENING.length;
  if (text.charCodeAt(opening + 24) !== QUOTE || !text.startsWith(TIMESTAMP_OPENING)) return false;
  // Canonical times sort as their text does: a line whose time does not read earlier than the
  // window's start is not before it, and most lines of a window are read without a date parse.
  if (sinceText !== undefined && !readsEarlier(text, opening, sinceText)) return false;
  const at = canonicalIsoMs(text.slice(opening, opening + 24));
  return (
    at !== undefined &&
    at < sinceMs &&
    !text.includes('\\') &&
    !text.includes(TIMESTAMP_KEY, opening + 25) &&
    !text.includes(NGINX_MSEC_KEY)
  );
}

/** `ms` in the canonical form (canonicalIsoMs), if it has one. */
function canonicalText(ms: number | undefined): string | undefined {
  if (ms === undefined || !isTime(ms)) return undefined;
  const text = new Date(ms).toISOString();
  return text.length === 24 ? text : undefined;
}

/** True when the 24 characters of `text` at `at` sort before `than` (24 characters). */
function readsEarlier(text: string, at: number, than: string): boolean {
  for (let i = 0; i < 24; i++) {
    const a = text.charCodeAt(at + i);
    const b = than.charCodeAt(i);
    if (a !== b) return a < b;
  }
  return false;
}

/** {@link shapeOf} of a decoded line. */
function shapeOfText(text: string): 'blank' | 'object' | 'malformed' {
  let start = 0;
  let end = text.length - 1;
  while (start <= end && isSpace(text.charCodeAt(start))) start++;
  while (end >= start && isSpace(text.charCodeAt(end))) end--;
  if (start > end) return 'blank';
  return text.charCodeAt(start) === OPEN_BRACE && text.charCodeAt(end) === CLOSE_BRACE ? 'object' : 'malformed';
}

/**
 * What `file` is now, from one stat: device, inode, size and change time, or undefined when
 * that cannot be trusted to change with its content: standard input (no path), a file that
 * grew or was replaced since it was listed, or one changed less than {@link SETTLED_MS} ago
 * (a write within the same timestamp tick would leave the same stamp). Every write to a file
 * moves its change time, which no one can set back: the same stamp later means the same bytes.
 */
function settledStamp(file: LogFile, now: number): string | undefined {
  if (file.fd !== undefined) return undefined;
  const stat = statSync(file.path, { bigint: true, throwIfNoEntry: false });
  if (stat === undefined || Number(stat.dev) !== file.dev || Number(stat.ino) !== file.ino) return undefined;
  if (Number(stat.size) !== file.size || Number(stat.ctimeNs / 1_000_000n) >= now - SETTLED_MS) return undefined;
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
}

/** What a lookup keeps of `file` after a read that ended at `end` and found `hits`. */
function progressOf(file: LogFile, end: FileEnd, hits: readonly Hit[]): FileProgress {
  const { offset, lastLine, malformed } = end;
  return { dev: file.dev, ino: file.ino, offset, lastLine, malformed, tail: tailOf(file, offset), hits };
}

/** Bytes of a file's read part compared before reading on from where a read stopped. */
const TAIL_BYTES = 64;

/**
 * The last {@link TAIL_BYTES} bytes before `offset` in `file`, read again now. A file that kept
 * its inode and did not shrink is taken to have grown, but one rewritten in place (an editor's
 * save, `cat new > log`, a copytruncate that refilled it past the old size between two reads)
 * also looks so: the bytes before the old offset tell them apart, as a tailer's fingerprint
 * does. Empty for a compressed file (offsets there count decompressed bytes) and when the
 * file cannot be read, so a mismatch reads the file from its start.
 */
function tailOf(file: LogFile, offset: number): Buffer {
  const length = Math.min(TAIL_BYTES, offset);
  if (file.gzip || length === 0) return Buffer.alloc(0);
  let fd = file.fd;
  try {
    fd ??= openSync(file.path, 'r');
    const tail = Buffer.alloc(length);
    const read = readSync(fd, tail, 0, length, offset - length);
    return read === length ? tail : Buffer.alloc(0);
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== undefined && fd !== file.fd) closeSync(fd);
  }
}

/** Whether `text` holds more than `limit` braces and brackets together, in strings or not. */
function openersOver(text: string, limit: number): boolean {
  let count = 0;
  for (let at = text.indexOf('{'); at !== -1; at = text.indexOf('{', at + 1)) if (++count > limit) return true;
  for (let at = text.indexOf('['); at !== -1; at = text.indexOf('[', at + 1)) if (++count > limit) return true;
  return false;
}

/** A line's shape before any parse: blank, plausibly one JSON object, or malformed. */
function shapeOf(line: RawLine): 'blank' | 'object' | 'malformed' {
  if (line.overLong) return 'malformed';
  const { bytes } = line;
  let start = 0;
  let end = bytes.length - 1;
  while (start <= end && isSpace(bytes[start] as number)) start++;
  while (end >= start && isSpace(bytes[end] as number)) end--;
  if (start > end) return 'blank';
  return bytes[start] === OPEN_BRACE && bytes[end] === CLOSE_BRACE ? 'object' : 'malformed';
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0b || byte === 0x0c;
}

/** The summary of a lookup's status-poll lines, counted the way Elasticsearch's aggregations count them. */
function summarisePolls(hits: readonly Hit[]): PollSummary {
  let polls = 0;
  const pollsByTask = new Map<string, number>();
  const taskIds = new Set<string>();
  const newestByInstance = new Map<string, number>();
  for (const { record, at } of hits) {
    const polled = polledTaskId(record);
    if (polled !== undefined) taskIds.add(polled);
    if (str(record, F.EVENT_ACTION) === EVENTS.HTTP_REQUEST_RECEIVED) {
      polls++;
      const taskId = str(record, F.TASK_ID);
      if (taskId !== undefined) pollsByTask.set(taskId, (pollsByTask.get(taskId) ?? 0) + 1);
    }
    const instance = str(record, F.SERVICE_INSTANCE);
    if (instance !== undefined && at !== undefined)
      newestByInstance.set(instance, Math.max(newestByInstance.get(instance) ?? at, at));
  }
  return { lines: hits.length, polls, pollsByTask, taskIds: [...taskIds], newestByInstance };
}
