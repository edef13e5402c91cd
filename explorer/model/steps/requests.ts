/**
 * Step: requests. HTTP requests out of lines: API lines grouped into requests, then each nginx
 * access line matched to the API request it proxied. Lines that carry the API's span id
 * (`span.id`) are grouped by it and paired with nginx on it (the API's `parent.id` is nginx's
 * `span.id`), so requests that share a correlation id and overlap in time stay apart. Lines
 * without span ids (older or foreign logs) are grouped per process and correlation id between
 * `http.request.received` and `http.request.completed`, and paired by method, path, status and
 * time; a correlation id that a client reused for several requests yields several groups.
 */
import { EVENTS, F } from '../../../contract/vocabulary.ts';
import { nsAsMs, num, str } from '../fields.ts';
import { type WorkLine, writtenOrder } from '../lines.ts';
import { nginxFormOf } from '../paths.ts';

/** One API request as grouped from its process's lines. */
export interface HttpGroup {
  readonly correlationId: string | undefined;
  readonly instance: string;
  /** The API's span of the request, when its lines carry one: what grouped them. */
  readonly spanId: string | undefined;
  /** The caller's span (nginx's), from the request's lines. */
  parentId: string | undefined;
  /** The request's W3C trace id, from its lines. */
  traceId: string | undefined;
  readonly lines: WorkLine[];
  received: WorkLine | undefined;
  completed: WorkLine | undefined;
  nginx: WorkLine | undefined;
  /** The task this request polls, when it is a status poll (from its first poll line). */
  polled: string | undefined;
  /**
   * Set when the request, grouped without span ids, overlapped another of its correlation id on
   * its process: which of the two a line between them belongs to is a guess.
   */
  ambiguous: boolean;
}

function newGroup(line: WorkLine): HttpGroup {
  return {
    correlationId: line.correlationId,
    instance: line.instance,
    spanId: line.spanId,
    parentId: undefined,
    traceId: undefined,
    lines: [],
    received: undefined,
    completed: undefined,
    nginx: undefined,
    polled: undefined,
    ambiguous: false,
  };
}

/**
 * Group API lines into requests, per process: by span id where the lines carry one, else by
 * correlation id between receipt and completion; ordered by start. Takes the API lines as
 * per-process streams already in written order (see steps/select.ts).
 */
export function groupApiRequests(streams: readonly (readonly WorkLine[])[]): HttpGroup[] {
  const groups: HttpGroup[] = [];
  for (const stream of streams) {
    const bySpan = new Map<string, HttpGroup>();
    // Per correlation id: the request still open, and the last one (a line that arrives after
    // its request completed, a late log call, stays with that request).
    const byCid = new Map<string, { open: HttpGroup | undefined; last: HttpGroup }>();
    stream.forEach((line) => {
      let group: HttpGroup | undefined;
      if (line.spanId !== undefined) {
        group = bySpan.get(line.spanId);
        if (group === undefined) {
          group = newGroup(line);
          groups.push(group);
          bySpan.set(line.spanId, group);
        }
      } else {
        const key = line.correlationId ?? '';
        const known = byCid.get(key);
        group = known?.open;
        if (line.action === EVENTS.HTTP_REQUEST_RECEIVED || group === undefined) {
          if (line.action !== EVENTS.HTTP_REQUEST_RECEIVED && known !== undefined) group = known.last;
          else {
            const overlapped = known?.open;
            group = newGroup(line);
            groups.push(group);
            if (overlapped !== undefined) {
              overlapped.ambiguous = true;
              group.ambiguous = true;
            }
            if (known === undefined) byCid.set(key, { open: group, last: group });
            else {
              known.open = group;
              known.last = group;
            }
          }
        }
        if (line.action === EVENTS.HTTP_REQUEST_COMPLETED) {
          const open = byCid.get(key);
          if (open !== undefined) open.open = undefined;
        }
      }
      group.lines.push(line);
      group.polled ??= line.polled;
      group.parentId ??= line.parentId;
      group.traceId ??= str(line.record, F.TRACE_ID);
      if (line.action === EVENTS.HTTP_REQUEST_RECEIVED) group.received = line;
      if (line.action === EVENTS.HTTP_REQUEST_COMPLETED) group.completed = line;
    });
  }
  // Stable: equal starts keep the streams' instance-name order.
  return groups.sort((a, b) => startOf(a) - startOf(b));
}

function startOf(group: HttpGroup): number {
  return (group.received ?? group.lines[0])?.writtenAt ?? 0;
}

/** A field of a grouped request: the received line names it first, then the completion, then any line. */
function field(group: HttpGroup, name: string): string | undefined {
  const first = group.received === undefined ? undefined : str(group.received.record, name);
  if (first !== undefined) return first;
  const second = group.completed === undefined ? undefined : str(group.completed.record, name);
  if (second !== undefined) return second;
  for (const line of group.lines) {
    const value = str(line.record, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Method of a grouped request. */
export function methodOf(group: HttpGroup): string | undefined {
  return field(group, F.HTTP_METHOD);
}

/** Path of a grouped request. */
export function pathOf(group: HttpGroup): string | undefined {
  return field(group, F.URL_PATH);
}

/** Status the API answered, from its completion line. */
export function statusOf(group: HttpGroup): number | undefined {
  return group.completed === undefined ? undefined : num(group.completed.record, F.HTTP_STATUS);
}

/** How long the API took to answer: its logged duration, else completion minus receipt. */
export function apiDurationMs(group: HttpGroup): number | undefined {
  if (group.completed === undefined) return undefined;
  const logged = nsAsMs(group.completed.record, F.EVENT_DURATION);
  if (logged !== undefined) return logged;
  return group.received ? group.completed.at - group.received.at : undefined;
}

interface Candidate {
  readonly group: HttpGroup;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly status: number | undefined;
  readonly end: number;
}

/** What an nginx line asks of the API request it proxied. */
interface Wanted {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly status: number | undefined;
  /** Whether the statuses must agree (first pass) or may differ (an upstream error). */
  readonly strict: boolean;
  /** The nginx line carries its span id: only a request without a parent id may pair by time. */
  readonly identified: boolean;
}

function accepts(c: Candidate, w: Wanted): boolean {
  return (
    c.group.nginx === undefined &&
    !(w.identified && c.group.parentId !== undefined) &&
    (w.method === undefined || c.method === undefined || w.method === c.method) &&
    (w.path === undefined || c.path === undefined || w.path === c.path) &&
    (!w.strict || w.status === undefined || c.status === undefined || c.status === w.status)
  );
}

/** One correlation id's requests by end time, and where the last search stopped. */
interface Candidates {
  readonly sorted: Candidate[];
  /** Index of the first request ending at or after the last line's time (lines come in order). */
  next: number;
}

/**
 * Nearest candidate to `at` (by end time) that `w` accepts, scanning outwards from `at`.
 * Lines are looked up in written order, so where `at` falls only moves forwards.
 */
function nearest(candidates: Candidates, at: number, w: Wanted): Candidate | undefined {
  const sorted = candidates.sorted;
  let lo = candidates.next;
  while ((sorted[lo]?.end ?? Number.POSITIVE_INFINITY) < at) lo++;
  candidates.next = lo;
  let left = lo - 1;
  let right = lo;
  while (left >= 0 || right < sorted.length) {
    const l = sorted[left];
    const r = sorted[right];
    const takeLeft = r === undefined || (l !== undefined && at - l.end <= r.end - at);
    const candidate = takeLeft ? l : r;
    if (takeLeft) left--;
    else right++;
    if (candidate && accepts(candidate, w)) return candidate;
  }
  return undefined;
}

function candidateOf(group: HttpGroup): Candidate {
  const path = pathOf(group);
  return {
    group,
    method: methodOf(group),
    // The API logs the path as sent, nginx the decoded $uri: compare in nginx's form.
    path: path === undefined ? undefined : nginxFormOf(path),
    status: statusOf(group),
    end: (group.completed ?? group.lines.at(-1))?.writtenAt ?? 0,
  };
}

/**
 * Pair each nginx line with the API request it proxied. On span ids first: the request whose
 * `parent.id` is the nginx line's `span.id`. Then, for lines or requests without ids (older
 * or foreign logs), by the rest: same correlation id, method and path (the API's in nginx's
 * decoded form, paths.ts), nearest in time; an upstream error (nginx 5xx) may pair with a
 * different API status, but only when no request with the same status is left. An nginx line
 * and a request that both carry ids never pair by time: their ids said they are not one
 * request. Returns the nginx lines no API request accounts for. Sorted candidates and an
 * outward scan keep a client that polled thousands of times under one id at n log n.
 */
export function matchNginx(nginxLines: readonly WorkLine[], groups: readonly HttpGroup[]): WorkLine[] {
  const byParent = new Map<string, HttpGroup>();
  for (const group of groups) if (group.parentId !== undefined) byParent.set(group.parentId, group);
  const byTime: WorkLine[] = [];
  for (const line of nginxLines) {
    const group = line.spanId === undefined ? undefined : byParent.get(line.spanId);
    if (group !== undefined && group.nginx === undefined) group.nginx = line;
    else byTime.push(line);
  }

  // Only requests of a correlation id that nginx logged can pair (polls by other ids never do).
  const byCid = new Map<string, Candidates>();
  for (const line of byTime)
    if (!byCid.has(line.correlationId ?? '')) byCid.set(line.correlationId ?? '', { sorted: [], next: 0 });
  for (const group of groups)
    if (group.nginx === undefined) byCid.get(group.correlationId ?? '')?.sorted.push(candidateOf(group));
  for (const candidates of byCid.values()) candidates.sorted.sort((a, b) => a.end - b.end);

  const unmatched: WorkLine[] = [];
  byTime.sort(writtenOrder).forEach((line) => {
    const candidates = byCid.get(line.correlationId ?? '') ?? { sorted: [], next: 0 };
    const wanted: Wanted = {
      method: str(line.record, F.HTTP_METHOD),
      path: str(line.record, F.URL_PATH),
      status: num(line.record, F.HTTP_STATUS),
      strict: true,
      identified: line.spanId !== undefined,
    };
    let best = nearest(candidates, line.writtenAt, wanted);
    if (best === undefined && (wanted.status ?? 0) >= 500)
      best = nearest(candidates, line.writtenAt, { ...wanted, strict: false });
    if (best) best.group.nginx = line;
    else unmatched.push(line);
  });
  return unmatched;
}

/** When nginx started the request: its log time minus $request_time. */
export function nginxStart(line: WorkLine): number {
  const seconds = num(line.record, F.NGINX_REQUEST_TIME);
  return line.at - (seconds === undefined ? 0 : seconds * 1000);
}
