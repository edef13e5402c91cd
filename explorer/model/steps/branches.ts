/**
 * Step: branches. Each HTTP request of the correlation id becomes a branch (a client may
 * reuse an id for several), with its nginx span and the tasks it enqueued; an nginx line no
 * API request accounts for is a branch of its own.
 */
import { F } from '../../../contract/vocabulary.ts';
import { num, str } from '../fields.ts';
import type { WorkLine } from '../lines.ts';
import type { RequestBranch, TaskTrace } from '../types.ts';
import { apiDurationMs, type HttpGroup, methodOf, nginxStart, pathOf, statusOf } from './requests.ts';
import { type TaskCore, taskFirstAt } from './tasks.ts';

/**
 * The requests of `cid` that become branches: its own requests, or its status polls when it
 * did nothing but poll. `isBranch` tells a poll shown as a branch from one hung off its task.
 */
export function branchRequests(
  groups: readonly HttpGroup[],
  cid: string,
): { readonly branches: HttpGroup[]; readonly isBranch: (group: HttpGroup) => boolean } {
  const own = groups.filter((group) => group.correlationId === cid);
  const primary = own.filter((group) => group.polled === undefined);
  if (primary.length > 0) return { branches: primary, isBranch: () => false };
  return { branches: own, isBranch: (group) => group.correlationId === cid };
}

interface Draft {
  readonly group: HttpGroup | undefined;
  readonly nginx: WorkLine | undefined;
  readonly start: number;
  readonly taskIds: string[];
}

function draftOf(group: HttpGroup): Draft {
  const nginx = group.nginx ? nginxStart(group.nginx) : Number.POSITIVE_INFINITY;
  const api = (group.received ?? group.lines[0])?.at ?? Number.POSITIVE_INFINITY;
  return { group, nginx: group.nginx, start: Math.min(nginx, api), taskIds: [] };
}

/** The branches in time order, each with the tasks it enqueued. */
export function buildBranches(
  groups: readonly HttpGroup[],
  orphanNginx: readonly WorkLine[],
  tasks: readonly TaskTrace[],
  cores: ReadonlyMap<string, TaskCore>,
): RequestBranch[] {
  const drafts: Draft[] = [
    ...groups.map(draftOf),
    ...orphanNginx.map((nginx) => ({ group: undefined, nginx, start: nginxStart(nginx), taskIds: [] })),
  ].sort((a, b) => a.start - b.start);

  const draftOfLine = new Map<WorkLine, Draft>();
  for (const draft of drafts) for (const line of draft.group?.lines ?? []) draftOfLine.set(line, draft);
  for (const task of tasks) {
    const enqueue = cores.get(task.taskId)?.enqueueLine;
    let owner = enqueue ? draftOfLine.get(enqueue) : undefined;
    // No enqueue line in any request of this id (missing, or --task on a job enqueued
    // elsewhere): hang it on the latest request that started before the job's first line.
    owner ??=
      drafts.findLast((d) => d.group !== undefined && d.start <= taskFirstAt(task)) ?? drafts.find((d) => d.group);
    if (owner === undefined) {
      owner = { group: undefined, nginx: undefined, start: taskFirstAt(task), taskIds: [] };
      drafts.push(owner);
    }
    owner.taskIds.push(task.taskId);
  }
  return drafts.map((draft, i) => branchOf(draft, i + 1));
}

function branchOf(draft: Draft, index: number): RequestBranch {
  const { group, nginx } = draft;
  const lineIds = [...(group?.lines.map((l) => l.id) ?? []), ...(nginx ? [nginx.id] : [])].sort((a, b) => a - b);
  return {
    index,
    method: (group ? methodOf(group) : undefined) ?? (nginx ? str(nginx.record, F.HTTP_METHOD) : undefined),
    path: (group ? pathOf(group) : undefined) ?? (nginx ? str(nginx.record, F.URL_PATH) : undefined),
    route: group?.lines.map((l) => str(l.record, F.HTTP_ROUTE)).find((r) => r !== undefined),
    status: (group ? statusOf(group) : undefined) ?? (nginx ? num(nginx.record, F.HTTP_STATUS) : undefined),
    apiInstance: group?.instance,
    receivedAt: group?.received?.at,
    respondedAt: group?.completed?.at,
    apiDurationMs: group ? apiDurationMs(group) : undefined,
    nginx: nginx
      ? {
          startedAt: nginxStart(nginx),
          endedAt: nginx.at,
          status: num(nginx.record, F.HTTP_STATUS),
          upstream: str(nginx.record, F.NGINX_UPSTREAM_ADDRESS),
          lineId: nginx.id,
        }
      : undefined,
    idempotencyKey: group?.lines.map((l) => str(l.record, F.IDEMPOTENCY_KEY)).find((k) => k !== undefined),
    traceId: group?.traceId ?? (nginx ? str(nginx.record, F.TRACE_ID) : undefined),
    spanId: group?.spanId,
    taskIds: draft.taskIds,
    lineIds,
  };
}
