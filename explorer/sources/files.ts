/**
 * The NDJSON files the workload writes (one per process under var/logs or DTQ_LOG_DIR) as a
 * source. Files are read once per run. A cheap substring test runs before JSON.parse, so a
 * lookup by id parses only the lines that can match; lines that are not a JSON object are
 * skipped and counted (pino-abstract-transport's habit), never fatal.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dtqError } from '../../contract/dtq-error.ts';
import { EVENTS, F, type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';
import { EXPLORE_ERRORS } from '../errors.ts';
import type { Mapping } from '../mapping/mapping.ts';
import { num, str, timestampOf } from '../model/fields.ts';
import { polledTaskId } from '../model/join.ts';
import type { Hit } from '../model/types.ts';
import {
  type IdField,
  type LogSource,
  type Lookup,
  type NearestIds,
  type PollLines,
  type PollPages,
  type PollSummary,
  rankNearest,
} from './source.ts';

interface LoadedFile {
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly lines: readonly string[];
}

/** Read NDJSON files from a directory. */
export class FileSource implements LogSource {
  readonly kind = 'files' as const;
  readonly description: string;
  readonly #dir: string;
  #files: LoadedFile[] | undefined;
  /** Malformed lines by `file:line`, so a line seen by two scans counts once. */
  readonly #malformed = new Set<string>();

  /** The format's mapping; undefined for contract lines (the `dtq` profile), read as they are. */
  readonly #mapping: Mapping | undefined;

  constructor(dir: string, mapping?: Mapping) {
    this.#dir = resolve(dir);
    this.#mapping = mapping?.identity === false ? mapping : undefined;
    this.description = `files in ${this.#dir}${this.#mapping ? ` (profile ${this.#mapping.name})` : ''}`;
  }

  // --- Mapping hook: every parsed physical line goes through here. Ids keep their text
  // through a mapping, so the substring test before JSON.parse stays valid for any format.

  /** The contract lines of one parsed physical line, with their `file:line` sources. */
  #hits(name: string, index: number, record: LogRecord): Hit[] {
    if (this.#mapping === undefined) return [{ source: `${name}:${index + 1}`, record: normalizeNginxLine(record) }];
    const records = this.#mapping.map(record);
    // One OTLP line holds many records: `file:line.k` tells them apart.
    return records.map((r, k) => ({
      source: records.length === 1 ? `${name}:${index + 1}` : `${name}:${index + 1}.${k + 1}`,
      record: normalizeNginxLine(r),
    }));
  }

  async mentions(id: string): Promise<boolean> {
    // The whole id, not a prefix of a longer one: `req-1` is not in `req-12`.
    const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const whole = new RegExp(`(?<![A-Za-z0-9._:-])${escaped}(?![A-Za-z0-9._:-])`);
    return this.#load().some((file) => file.lines.some((text) => text.includes(id) && whole.test(text)));
  }

  /**
   * The hits of a line that passed the substring test. Mapped lines are kept once mapped: a
   * trace's lookups test the same lines again (the correlation id's, then its tasks'), and
   * parsing and mapping a foreign line costs more than parsing a contract line.
   */
  #lineHits(file: LoadedFile, index: number, text: string): Hit[] {
    if (this.#mapping === undefined) {
      const record = this.#parse(file.name, index, text);
      return record === undefined ? [] : this.#hits(file.name, index, record);
    }
    let cache = this.#mappedLines.get(file);
    if (cache === undefined) {
      cache = new Map();
      this.#mappedLines.set(file, cache);
    }
    let hits = cache.get(index);
    if (hits === undefined) {
      const record = this.#parse(file.name, index, text);
      hits = record === undefined ? [] : this.#hits(file.name, index, record);
      cache.set(index, hits);
    }
    return hits;
  }

  /** Mapped hits by line, per version of a file (a re-read file is a new key). */
  readonly #mappedLines = new WeakMap<LoadedFile, Map<number, Hit[]>>();

  async sample(sinceMs: number | undefined, limit: number): Promise<Hit[]> {
    const files = this.#load();
    const perFile = Math.max(1, Math.floor(limit / files.length));
    const hits: Hit[] = [];
    for (const file of files) {
      let taken = 0;
      for (let index = 0; index < file.lines.length && taken < perFile; index++) {
        const record = this.#parse(file.name, index, file.lines[index] ?? '');
        if (record === undefined) continue;
        for (const hit of this.#hits(file.name, index, record)) {
          const at = timestampOf(hit.record);
          if (sinceMs !== undefined && at !== undefined && at < sinceMs) continue;
          hits.push(hit);
          taken++;
        }
      }
    }
    return hits;
  }

  // --- End of the mapping hook.

  /**
   * The files, read on first use and re-read when one grew or a new one appeared, so
   * --follow sees lines the workload appends while the explorer runs.
   */
  #load(): LoadedFile[] {
    if (!existsSync(this.#dir) || !statSync(this.#dir).isDirectory())
      throw dtqError(EXPLORE_ERRORS.NO_LOGS_DIR, { dir: this.#dir });
    const names = readdirSync(this.#dir)
      .filter((name) => name.endsWith('.ndjson'))
      .sort();
    if (names.length === 0) throw dtqError(EXPLORE_ERRORS.NO_LOG_FILES, { dir: this.#dir });
    const previous = new Map((this.#files ?? []).map((file) => [file.name, file]));
    this.#files = names.map((name) => {
      const stat = statSync(join(this.#dir, name));
      const known = previous.get(name);
      if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known;
      const text = readFileSync(join(this.#dir, name), 'utf8');
      // Text after the last newline is a line still being written: leave it for the next read.
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      const file = { name, size: stat.size, mtimeMs: stat.mtimeMs, lines: complete.split('\n') };
      // A cheap shape check over every line, so torn lines are counted even when no lookup
      // parses them; lines that pass it but fail JSON.parse are added when parsed.
      file.lines.forEach((text, index) => {
        const line = text.trim();
        if (line !== '' && (line[0] !== '{' || line[line.length - 1] !== '}')) this.#malformed.add(`${name}:${index}`);
      });
      return file;
    });
    return this.#files;
  }

  /** Every line whose text contains one of `needles` and whose record passes `keep`. */
  #scan(needles: readonly string[], keep: (record: LogRecord) => boolean): Hit[] {
    const hits: Hit[] = [];
    if (needles.length === 0) return hits;
    for (const file of this.#load()) {
      file.lines.forEach((text, index) => {
        if (!needles.some((needle) => text.includes(needle))) return;
        for (const hit of this.#lineHits(file, index, text)) if (keep(hit.record)) hits.push(hit);
      });
    }
    return hits;
  }

  #parse(name: string, index: number, text: string): LogRecord | undefined {
    if (text.trim() === '') return undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as LogRecord;
    } catch {
      // Counted below: a torn or foreign line must not stop the explorer.
    }
    this.#malformed.add(`${name}:${index}`);
    return undefined;
  }

  /** Every line of a lookup, filtered by whether it is a status poll. */
  #lookup(lookup: Lookup, polls: PollLines | 'only'): Hit[] {
    const wantPoll = (record: LogRecord): boolean => {
      if (polls === 'include') return true;
      const poll = polledTaskId(record) !== undefined;
      return polls === 'only' ? poll : !poll;
    };
    if (lookup.kind === 'correlation') {
      const wanted = new Set(lookup.correlationIds);
      return this.#scan(
        lookup.correlationIds,
        (record) => wanted.has(str(record, F.CORRELATION_ID) ?? '') && wantPoll(record),
      );
    }
    const { taskIds, correlationId } = lookup;
    const tasks = new Set(taskIds);
    const needles = correlationId === undefined ? [...taskIds] : [...taskIds, correlationId];
    return this.#scan(
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

  async related(
    taskIds: readonly string[],
    correlationId: string | undefined,
    polls: PollLines = 'include',
  ): Promise<Hit[]> {
    return this.#lookup({ kind: 'related', taskIds, correlationId }, polls);
  }

  async statusPolls(lookup: Lookup, firstPage: number): Promise<PollPages> {
    // In time order, like Elasticsearch's pages: the first page must be the earliest lines.
    const lines = this.#lookup(lookup, 'only')
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
    const hits: Hit[] = [];
    for (const file of this.#load()) {
      file.lines.forEach((text, index) => {
        const record = this.#parse(file.name, index, text);
        if (record === undefined) return;
        for (const hit of this.#hits(file.name, index, record)) {
          const at = timestampOf(hit.record);
          if (at === undefined || (sinceMs !== undefined && at < sinceMs)) continue;
          hits.push(hit);
        }
      });
    }
    hits.sort((a, b) => (timestampOf(b.record) ?? 0) - (timestampOf(a.record) ?? 0));
    return hits.slice(0, limit);
  }

  async nearest(id: string, field: IdField): Promise<NearestIds> {
    const pattern = new RegExp(`"${field}":"([^"]{1,128})"`, 'g');
    const candidates: string[] = [];
    let from: number | undefined;
    let to: number | undefined;
    for (const file of this.#load()) {
      file.lines.forEach((text, index) => {
        if (this.#mapping === undefined) {
          for (const match of text.matchAll(pattern)) if (match[1]) candidates.push(match[1]);
          return;
        }
        // A foreign format names the id differently: read it through the mapping.
        const record = text.trim() === '' ? undefined : this.#parse(file.name, index, text);
        if (record === undefined) return;
        for (const hit of this.#hits(file.name, index, record)) {
          const value = str(hit.record, field);
          if (value !== undefined) candidates.push(value);
        }
      });
      // Files are appended in time order: the first and last lines bound the range.
      const first = this.#timeOfLine(
        file,
        file.lines.findIndex((l) => l.trim() !== ''),
      );
      const last = this.#timeOfLine(
        file,
        file.lines.findLastIndex((l) => l.trim() !== ''),
      );
      if (first !== undefined) from = from === undefined ? first : Math.min(from, first);
      if (last !== undefined) to = to === undefined ? last : Math.max(to, last);
    }
    return { matches: rankNearest(id, candidates), range: { from, to } };
  }

  #timeOfLine(file: LoadedFile, index: number): number | undefined {
    const text = file.lines[index];
    const record = index < 0 || text === undefined ? undefined : this.#parse(file.name, index, text);
    return record === undefined ? undefined : timestampOf(this.#hits(file.name, index, record)[0]?.record ?? {});
  }

  malformedLines(): number {
    return this.#malformed.size;
  }

  async close(): Promise<void> {
    this.#files = undefined;
  }
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
