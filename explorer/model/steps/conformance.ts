/**
 * Step: conformance. What a trace cannot tell because its lines do not meet the log contract
 * (docs/log-contract.md), said with the reason, so the trace never gives a confident wrong
 * answer ("STUCK", "no API line", "reused by 2 requests") built on lines it misread. Each
 * limit also names the gaps and warnings it makes meaningless, which the trace then drops.
 */
import { EVENTS } from '../../../contract/vocabulary.ts';
import { CONTRACT_EVENTS } from '../fields.ts';
import { ATTEMPT_ACTIONS } from '../join.ts';
import type { WorkLine } from '../lines.ts';
import type { GapKind, RequestBranch } from '../types.ts';

/** One thing the trace cannot tell, and the conclusions it voids. */
export interface ContractLimit {
  readonly message: string;
  /** Gap kinds drawn from the misread lines, dropped from the trace. */
  readonly voids: readonly GapKind[];
  /** True when the "correlation id reused" and "only job lines" warnings are artefacts of it. */
  readonly voidsRequestWarnings: boolean;
}

const HTTP_EVENTS: ReadonlySet<string> = new Set([EVENTS.HTTP_REQUEST_RECEIVED, EVENTS.HTTP_REQUEST_COMPLETED]);
const MAP_HINT = 'see docs/log-contract.md, or read your format through --profile or --mapping';

function plural(n: number, word: string): string {
  return n === 1 ? `1 ${word}` : `${n} ${word}s`;
}

/**
 * The contract limits of a trace's lines: `lines` are the timed lines fetched for it,
 * `untimed` those left out for want of a time.
 */
export function contractLimits(
  lines: readonly WorkLine[],
  untimed: number,
  requests: readonly RequestBranch[],
): ContractLimit[] {
  const limits: ContractLimit[] = [];
  if (lines.length === 0) {
    if (untimed > 0)
      limits.push({
        message: `${plural(untimed, 'line')} carry this id but none has a valid @timestamp: cannot order them or tell what happened (${MAP_HINT})`,
        voids: [],
        voidsRequestWarnings: true,
      });
    return limits;
  }
  const known = lines.filter((line) => CONTRACT_EVENTS.has(line.action));
  if (known.length === 0) {
    limits.push({
      message: `none of the ${plural(lines.length, 'line')} names a log-contract event in event.action: cannot rebuild the request or its tasks (${MAP_HINT})`,
      voids: ['never_started', 'never_finished', 'no_api_line'],
      voidsRequestWarnings: true,
    });
    return limits;
  }

  // HTTP lines from a service the explorer does not read as the API are not grouped into
  // requests: nginx's line then looks orphaned and one request looks like several.
  const foreignHttp = new Set<string>();
  for (const line of known)
    if (HTTP_EVENTS.has(line.action) && line.service !== 'api' && line.service !== 'nginx')
      foreignHttp.add(line.service);
  for (const service of foreignHttp)
    limits.push({
      message: `service.name ${service} writes HTTP request events, but only the api role is read as the API: cannot show its requests (name the role api, or map ${service} to api with --mapping)`,
      voids: ['no_api_line'],
      voidsRequestWarnings: true,
    });

  const unnamed = new Map<string, number>();
  for (const line of known)
    if (ATTEMPT_ACTIONS.has(line.action) && line.taskId === undefined)
      unnamed.set(line.instance, (unnamed.get(line.instance) ?? 0) + 1);
  if (unnamed.size > 0) {
    const who = [...unnamed].map(([instance, n]) => `${plural(n, 'line')} of ${instance}`).join(', ');
    limits.push({
      message: `no worker lines carry task_id (${who}): cannot show attempts or the job's result`,
      voids: ['never_started', 'never_finished'],
      voidsRequestWarnings: false,
    });
  }

  // nginx proxied the request and answered below 500, so an upstream handled it: its API lines are missing
  // from these logs (or lack the correlation id), which is not a failure of the request.
  const hasApi = known.some((line) => line.service === 'api');
  if (!hasApi && foreignHttp.size === 0)
    // Only a request nginx proxied: a 4xx nginx gave itself (rate limit, body too large) has no API line.
    for (const request of requests)
      if (request.nginx?.status !== undefined && request.nginx.status < 500 && request.nginx.upstream !== undefined) {
        // The job then hangs under a request of its own: "reused by 2 requests" is an artefact.
        limits.push({
          message: `nginx answered ${request.nginx.status} but no API line carries this correlation id: the API's logs are missing or lack correlation_id, so the API hop is unknown`,
          voids: ['no_api_line'],
          voidsRequestWarnings: true,
        });
        break;
      }
  return limits;
}
