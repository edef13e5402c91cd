import { describe, expect, it } from 'vitest';
import { mergeOrdered, ParsedLines } from '../../explorer/model/lines.ts';
import { branchRequests, buildBranches } from '../../explorer/model/steps/branches.ts';
import { classifyLines } from '../../explorer/model/steps/classify.ts';
import { collectPolls } from '../../explorer/model/steps/polls.ts';
import { groupApiRequests, matchNginx } from '../../explorer/model/steps/requests.ts';
import { selectLines } from '../../explorer/model/steps/select.ts';
import { buildTasks, finishTasks } from '../../explorer/model/steps/tasks.ts';
import { happyPath, LogWriter } from './fixtures.ts';

/** The steps before polls and branches, run on a writer's lines. */
function upTo(w: LogWriter, cid: string, taskIds: string[]) {
  const ids = new Set(taskIds);
  const streams = selectLines(new ParsedLines(cid).add(w.hits()).lines, cid, ids);
  const classified = classifyLines(streams, cid, ids);
  const groups = groupApiRequests(classified.apiStreams);
  const orphanNginx = matchNginx(classified.nginxLines, groups);
  mergeOrdered(streams);
  for (const list of classified.taskLines.values()) list.sort((a, b) => a.id - b.id);
  const cores = buildTasks(classified.taskLines);
  return { groups, orphanNginx, cores };
}

describe('step: polls', () => {
  it("hangs every status poll of a traced task off that task, in time order, with nginx's line", () => {
    const w = happyPath();
    const { groups, cores } = upTo(w, 'req-happy-1', ['task-happy-1']);
    const polls = collectPolls(groups, new Set(cores.keys()), () => false);
    expect(polls.get('task-happy-1')?.map((p) => [p.correlationId, p.status, p.lineIds.length])).toEqual([
      ['req-happy-1-poll-1', 200, 2],
      ['req-happy-1-poll-2', 200, 2],
    ]);
  });

  it('leaves out the polls shown as branches and those of tasks without lines', () => {
    const { groups, cores } = upTo(happyPath(), 'req-happy-1', ['task-happy-1']);
    expect(
      collectPolls(groups, new Set(cores.keys()), (g) => g.correlationId === 'req-happy-1-poll-1').get('task-happy-1'),
    ).toHaveLength(1);
    expect(collectPolls(groups, new Set(), () => false).size).toBe(0);
  });
});

describe('step: branches', () => {
  it("makes the correlation id's own requests branches, not the polls of its task by other ids", () => {
    const { groups, orphanNginx, cores } = upTo(happyPath(), 'req-happy-1', ['task-happy-1']);
    const { branches, isBranch } = branchRequests(groups, 'req-happy-1');
    expect(branches.map((g) => g.correlationId)).toEqual(['req-happy-1']);
    expect(groups.filter(isBranch)).toEqual([]);
    const tasks = finishTasks(cores, new Map());
    const requests = buildBranches(branches, orphanNginx, tasks, cores);
    expect(requests.map((r) => [r.index, r.method, r.status, r.nginx?.status, r.taskIds])).toEqual([
      [1, 'POST', 202, 202, ['task-happy-1']],
    ]);
  });

  it('makes branches of the polls of a correlation id that did nothing but poll', () => {
    const w = new LogWriter();
    w.poll(0, 'poller', 't');
    w.poll(50, 'poller', 't');
    const { groups, orphanNginx, cores } = upTo(w, 'poller', ['t']);
    const { branches, isBranch } = branchRequests(groups, 'poller');
    expect(branches).toHaveLength(2);
    expect(groups.every(isBranch)).toBe(true);
    expect(buildBranches(branches, orphanNginx, [], cores).map((r) => r.path)).toEqual([
      '/api/v1/tasks/t',
      '/api/v1/tasks/t',
    ]);
  });

  it('gives an nginx line no API request accounts for a branch of its own', () => {
    const w = new LogWriter();
    w.nginx(10, 'lost', 'POST', '/api/v1/tasks', 502, 0.004);
    const { groups, orphanNginx, cores } = upTo(w, 'lost', []);
    expect(orphanNginx).toHaveLength(1);
    const requests = buildBranches(branchRequests(groups, 'lost').branches, orphanNginx, [], cores);
    expect(requests.map((r) => [r.apiInstance, r.status, r.nginx?.status])).toEqual([[undefined, 502, 502]]);
  });
});
