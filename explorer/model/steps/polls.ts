/**
 * Step: polls. Later GETs of a task's status hang off the task they ask about instead of
 * becoming branches of their own, whoever sent them.
 */
import type { WorkLine } from '../lines.ts';
import type { Poll } from '../types.ts';
import { apiDurationMs, type HttpGroup, statusOf } from './requests.ts';

/**
 * Each traced task's status polls, in time order. `isBranch` names the poll requests that
 * are shown as branches instead (a correlation id that did nothing but poll).
 */
export function collectPolls(
  groups: readonly HttpGroup[],
  taskIds: ReadonlySet<string>,
  isBranch: (group: HttpGroup) => boolean,
): Map<string, Poll[]> {
  const polls = new Map<string, Poll[]>();
  groups.forEach((group) => {
    const polled = group.polled;
    if (polled === undefined || !taskIds.has(polled) || isBranch(group)) return;
    const start = group.received ?? group.lines[0];
    if (start === undefined) return;
    const poll: Poll = {
      correlationId: group.correlationId,
      at: start.at,
      status: statusOf(group),
      durationMs: apiDurationMs(group),
      lineIds: [...group.lines, ...(group.nginx ? [group.nginx] : [])].map((line: WorkLine) => line.id),
    };
    const list = polls.get(polled);
    if (list) list.push(poll);
    else polls.set(polled, [poll]);
  });
  for (const list of polls.values()) list.sort((a, b) => a.at - b.at);
  return polls;
}
