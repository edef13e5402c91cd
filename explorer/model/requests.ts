/**
 * HTTP requests out of lines: API lines grouped per process between `http.request.received`
 * and `http.request.completed`, then each nginx access line matched to the API request it
 * proxied. A correlation id that a client reused for several requests yields several groups.
 */
import { EVENTS, F } from '../../workload/log/vocabulary.ts';
import { num, str } from './fields.ts';
import { byInstance, type WorkLine } from './lines.ts';

/** One API request as grouped from its process's lines. */
export interface HttpGroup {
  readonly correlationId: string | undefined;
  readonly instance: string;
  readonly lines: WorkLine[];
  received: WorkLine | undefined;
  completed: WorkLine | undefined;
  nginx: WorkLine | undefined;
}

/** Group API lines into requests, per process and correlation id, in written order. */
export function groupApiRequests(apiLines: readonly WorkLine[]): HttpGroup[] {
  const groups: HttpGroup[] = [];
  for (const stream of byInstance(apiLines).values()) {
    const open = new Map<string, HttpGroup>();
    const last = new Map<string, HttpGroup>();
    for (const line of stream) {
      const key = line.correlationId ?? '';
      let group = open.get(key);
      if (line.action === EVENTS.HTTP_REQUEST_RECEIVED || group === undefined) {
        // A line that arrives after its request completed (a late log call) stays with that request.
        const previous = last.get(key);
        if (line.action !== EVENTS.HTTP_REQUEST_RECEIVED && previous !== undefined) group = previous;
        else {
          group = {
            correlationId: line.correlationId,
            instance: line.instance,
            lines: [],
            received: undefined,
            completed: undefined,
            nginx: undefined,
          };
          groups.push(group);
          open.set(key, group);
          last.set(key, group);
        }
      }
      group.lines.push(line);
      if (line.action === EVENTS.HTTP_REQUEST_RECEIVED) group.received = line;
      if (line.action === EVENTS.HTTP_REQUEST_COMPLETED) {
        group.completed = line;
        open.delete(key);
      }
    }
  }
  return groups.sort((a, b) => startOf(a) - startOf(b));
}

function startOf(group: HttpGroup): number {
  return (group.received ?? group.lines[0])?.writtenAt ?? 0;
}

function field(group: HttpGroup, name: string): string | undefined {
  for (const line of [group.received, group.completed, ...group.lines]) {
    const value = line === undefined ? undefined : str(line.record, name);
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

/**
 * Pair each nginx line with the API request it proxied: same correlation id, method and
 * path, nearest in time; an upstream error (nginx 5xx) may pair with a different API status.
 * Returns the nginx lines no API request accounts for.
 */
export function matchNginx(nginxLines: readonly WorkLine[], groups: readonly HttpGroup[]): WorkLine[] {
  const unmatched: WorkLine[] = [];
  const sorted = [...nginxLines].sort((a, b) => a.writtenAt - b.writtenAt || a.sequence - b.sequence);
  for (const line of sorted) {
    const method = str(line.record, F.HTTP_METHOD);
    const path = str(line.record, F.URL_PATH);
    const status = num(line.record, F.HTTP_STATUS);
    let best: HttpGroup | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const group of groups) {
      if (group.nginx !== undefined || group.correlationId !== line.correlationId) continue;
      const groupMethod = methodOf(group);
      const groupPath = pathOf(group);
      if (method !== undefined && groupMethod !== undefined && method !== groupMethod) continue;
      if (path !== undefined && groupPath !== undefined && path !== groupPath) continue;
      const apiStatus = statusOf(group);
      const statusAgrees = status === undefined || apiStatus === undefined || apiStatus === status;
      if (!statusAgrees && (status ?? 0) < 500) continue;
      const end = (group.completed ?? group.lines[group.lines.length - 1])?.writtenAt ?? 0;
      // Distance in time, with a penalty that prefers agreeing statuses over merely close ones.
      const score = Math.abs(line.writtenAt - end) + (statusAgrees ? 0 : 3_600_000);
      if (score < bestScore) {
        best = group;
        bestScore = score;
      }
    }
    if (best) best.nginx = line;
    else unmatched.push(line);
  }
  return unmatched;
}

/** When nginx started the request: its log time minus $request_time. */
export function nginxStart(line: WorkLine): number {
  const seconds = num(line.record, F.NGINX_REQUEST_TIME);
  return line.at - (seconds === undefined ? 0 : seconds * 1000);
}
