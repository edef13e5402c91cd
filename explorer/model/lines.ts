/**
 * Hits → internal lines: parse the fields every later step needs once, drop exact repeats
 * (the same line reached through two joins), and order them. Ordering merges per-process
 * streams: inside one process `event.sequence` is the truth; across processes time decides,
 * and at equal milliseconds the causal rank of the event does.
 */
import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { num, str, timestampOf } from './fields.ts';
import { isDuplicateAction, isTaskAction, polledTaskIdOf } from './join.ts';
import type { Hit } from './types.ts';

/** A line while the trace is being built; `at` moves when skew is repaired. */
export interface WorkLine {
  id: number;
  readonly source: string;
  readonly record: LogRecord;
  readonly writtenAt: number;
  at: number;
  readonly service: string;
  readonly instance: string;
  readonly action: string;
  readonly sequence: number;
  readonly correlationId: string | undefined;
  readonly taskId: string | undefined;
  /** The task a status poll asks about, when the line belongs to one (computed once). */
  readonly polled: string | undefined;
  /** {@link causalRank} of the action, read once for the merge. */
  readonly rank: number;
  /** The action describes a job's life ({@link isTaskAction}). */
  readonly isTask: boolean;
  /** The action records a blocked duplicate ({@link isDuplicateAction}). */
  readonly isDuplicate: boolean;
}

const RANK: ReadonlyMap<string, number> = new Map([
  [EVENTS.HTTP_REQUEST_RECEIVED, 0],
  [EVENTS.IDEMPOTENCY_CLAIMED, 1],
  [EVENTS.IDEMPOTENCY_REPLAYED, 1],
  [EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT, 1],
  [EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH, 1],
  [EVENTS.TASK_ENQUEUED, 2],
  [EVENTS.TASK_STARTED, 3],
  [EVENTS.LOCK_ACQUIRED, 4],
  [EVENTS.LOCK_CONTENDED, 4],
  [EVENTS.RESULT_CACHE_HIT, 4],
  [EVENTS.TASK_COMPLETED, 5],
  [EVENTS.TASK_FAILED, 5],
  [EVENTS.TASK_STALLED, 5],
  [EVENTS.LOCK_RELEASED, 6],
  [EVENTS.TASK_RETRY_SCHEDULED, 6],
  [EVENTS.TASK_DEAD_LETTERED, 7],
  [EVENTS.HTTP_REQUEST_COMPLETED, 8],
  [EVENTS.NGINX_ACCESS, 9],
]);

/** Causal rank of an event among lines written in the same millisecond by different processes. */
export function causalRank(action: string): number {
  return RANK.get(action) ?? 5;
}

interface ActionInfo {
  /**
   * The action as one shared string: the vocabulary's own for its events, so the many
   * `line.action === EVENTS.X` tests later compare pointers, not characters.
   */
  readonly action: string;
  readonly rank: number;
  readonly isTask: boolean;
  readonly isDuplicate: boolean;
  /** Whether a line with this action can be part of a status poll (see polledTaskIdOf). */
  readonly mayPoll: boolean;
}

/** What each action is, decided once per distinct action rather than once per line. */
const ACTIONS = new Map<string, ActionInfo>();

function learn(action: string): ActionInfo {
  const info = {
    action,
    rank: causalRank(action),
    isTask: isTaskAction(action),
    isDuplicate: isDuplicateAction(action),
    mayPoll:
      action === EVENTS.TASK_STATUS_READ ||
      action === EVENTS.HTTP_REQUEST_RECEIVED ||
      action === EVENTS.HTTP_REQUEST_COMPLETED ||
      action === EVENTS.NGINX_ACCESS,
  };
  ACTIONS.set(action, info);
  return info;
}
for (const action of Object.values(EVENTS)) learn(action);

function actionInfo(action: string): ActionInfo {
  return ACTIONS.get(action) ?? learn(action);
}

/**
 * Hits parsed into lines as they arrive: a trace's lines come in several fetches (the
 * correlation id's, then its tasks'), and the task ids the next fetch needs are read from
 * the lines parsed so far instead of from a second pass over the records. Lines without a
 * usable @timestamp are left out (counted once each).
 *
 * One pass that reads every field later steps need: on a 10,000-line trace the model runs
 * once, cold, so each extra pass or field read over the lines costs in full. Repeats (the
 * same line reached through two joins) are kept here and dropped by {@link InstanceStreams},
 * where sorting has put them next to each other: cheaper than hashing every source.
 *
 * One instance feeds one trace: building it numbers the lines and moves their repaired times.
 */
export class ParsedLines {
  readonly correlationId: string;
  readonly lines: WorkLine[] = [];
  #untimed: Set<string> | undefined;
  // Ids as shared strings: JSON.parse makes a new string per line, and every map lookup by a
  // new string hashes it again. Long-polled traces repeat the same ids line after line, and
  // the trace's own correlation id is then compared by reference.
  #cid: string | undefined;
  #task: string | undefined;
  readonly #joined = new Set<string>();
  #joinedUpTo = 0;

  constructor(correlationId: string) {
    this.correlationId = correlationId;
  }

  /** Lines left out for want of a valid @timestamp. */
  get untimed(): number {
    return this.#untimed?.size ?? 0;
  }

  /** Parse and append hits. */
  add(hits: readonly Hit[]): this {
    const lines = this.lines;
    const own = this.correlationId;
    let cid = this.#cid;
    let task = this.#task;
    // Indexed loops over the lines, here and in the model's other passes: a cold for…of
    // steps an iterator per element, several times the cost of an index.
    for (let i = 0; i < hits.length; i++) {
      const hit = hits[i] as Hit;
      const record = hit.record;
      const writtenAt = hit.at ?? timestampOf(record);
      if (writtenAt === undefined) {
        this.#untimed ??= new Set();
        this.#untimed.add(hit.source);
        continue;
      }
      const service = str(record, F.SERVICE_NAME) ?? 'unknown';
      const info = actionInfo(str(record, F.EVENT_ACTION) ?? 'unknown');
      const action = info.action;
      const readTask = str(record, F.TASK_ID);
      const taskId = readTask === task ? task : readTask;
      task = taskId ?? task;
      const readCid = str(record, F.CORRELATION_ID);
      const correlationId = readCid === own ? own : readCid === cid ? cid : readCid;
      cid = correlationId ?? cid;
      lines.push({
        id: -1,
        source: hit.source,
        record,
        writtenAt,
        at: writtenAt,
        service,
        instance: str(record, F.SERVICE_INSTANCE) ?? service,
        action,
        sequence: num(record, F.EVENT_SEQUENCE) ?? 0,
        correlationId,
        taskId,
        polled: info.mayPoll ? polledTaskIdOf(record, action, taskId) : undefined,
        rank: info.rank,
        isTask: info.isTask,
        isDuplicate: info.isDuplicate,
      });
    }
    this.#cid = cid;
    this.#task = task;
    return this;
  }

  /**
   * The task ids the correlation id's lines parsed so far pull into the trace: joinTaskIds'
   * rule (explorer/model/join.ts), read from the parsed fields. Each line is looked at once
   * however often this is asked. The set is live: later calls add to it.
   */
  joinedTaskIds(): ReadonlySet<string> {
    const ids = this.#joined;
    const own = this.correlationId;
    const lines = this.lines;
    let last: string | undefined;
    for (let i = this.#joinedUpTo; i < lines.length; i++) {
      const line = lines[i] as WorkLine;
      if (line.correlationId !== own) continue;
      const id = line.isTask ? line.taskId : line.polled;
      // Thousands of polls name the same task in a row: skip the set for a repeat.
      if (id === undefined || id === last) continue;
      ids.add(id);
      last = id;
    }
    this.#joinedUpTo = lines.length;
    return ids;
  }
}

/** Written order inside one process; the source breaks ties so the input order never matters. */
export function byWrittenOrder(a: WorkLine, b: WorkLine): number {
  return a.writtenAt - b.writtenAt || a.sequence - b.sequence || compareText(a.source, b.source);
}

/** Plain code-unit order: deterministic and much cheaper than localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Lines collected into one stream per process in a single pass. Sources return lines in
 * time order already, so each stream only notes whether a line arrived out of written order
 * and is sorted only then; repeats of a line (same source) end up adjacent and are dropped.
 */
export class InstanceStreams {
  readonly #streams = new Map<string, { lines: WorkLine[]; sorted: boolean }>();
  #size = 0;

  /** Lines in all streams, repeats not counted (once {@link ordered} has dropped them). */
  get size(): number {
    return this.#size;
  }

  /** Append a line to its process's stream. */
  add(line: WorkLine): void {
    this.#size++;
    const stream = this.#streams.get(line.instance);
    if (stream === undefined) this.#streams.set(line.instance, { lines: [line], sorted: true });
    else {
      const previous = stream.lines[stream.lines.length - 1] as WorkLine;
      // A later millisecond is the usual case and needs no full comparison.
      if (stream.sorted && previous.writtenAt >= line.writtenAt && byWrittenOrder(previous, line) >= 0)
        stream.sorted = false;
      stream.lines.push(line);
    }
  }

  /**
   * The streams in instance-name order (so ties between processes never depend on the
   * input), each in written order without repeats.
   */
  ordered(): WorkLine[][] {
    const out: WorkLine[][] = [];
    for (const name of [...this.#streams.keys()].sort(compareText)) {
      const stream = this.#streams.get(name) as { lines: WorkLine[]; sorted: boolean };
      // A repeat compares equal to its twin, so an in-order stream has none.
      if (stream.sorted) out.push(stream.lines);
      else {
        const lines = withoutRepeats(stream.lines.sort(byWrittenOrder));
        this.#size -= stream.lines.length - lines.length;
        out.push(lines);
      }
    }
    return out;
  }
}

function withoutRepeats(sorted: WorkLine[]): WorkLine[] {
  return sorted.filter((line, i) => i === 0 || (sorted[i - 1] as WorkLine).source !== line.source);
}

/**
 * Merge per-process streams (from {@link InstanceStreams}) by repaired time and number the
 * lines in that order. A process's own order is never broken: its lines share one clock
 * shift, so they stay monotonic and a k-way merge keeps them intact. At equal times the
 * causal rank decides, then the stream order.
 */
export function mergeOrdered(streams: readonly (readonly WorkLine[])[]): WorkLine[] {
  const heads = streams.map(() => 0);
  const out: WorkLine[] = [];
  for (;;) {
    let best = -1;
    let bestLine: WorkLine | undefined;
    for (let i = 0; i < streams.length; i++) {
      const line = (streams[i] as readonly WorkLine[])[heads[i] as number];
      if (line === undefined) continue;
      if (bestLine === undefined || line.at < bestLine.at || (line.at === bestLine.at && line.rank < bestLine.rank)) {
        best = i;
        bestLine = line;
      }
    }
    if (bestLine === undefined) break;
    bestLine.id = out.length;
    out.push(bestLine);
    heads[best] = (heads[best] as number) + 1;
  }
  return out;
}

/** Written order; at equal times the instance and source decide, never the input order. */
export function writtenOrder(a: WorkLine, b: WorkLine): number {
  return (
    a.writtenAt - b.writtenAt ||
    a.sequence - b.sequence ||
    compareText(a.instance, b.instance) ||
    compareText(a.source, b.source)
  );
}
