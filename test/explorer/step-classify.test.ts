import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../contract/vocabulary.ts';
import { ParsedLines } from '../../explorer/model/lines.ts';
import { classifyLines } from '../../explorer/model/steps/classify.ts';
import { selectLines } from '../../explorer/model/steps/select.ts';
import { duplicatesScenario, happyPath } from './fixtures.ts';

function classify(w: ReturnType<typeof happyPath>, cid: string, taskIds: string[]) {
  const ids = new Set(taskIds);
  return classifyLines(selectLines(new ParsedLines(cid).add(w.hits()).lines, cid, ids), cid, ids);
}

describe('step: classify', () => {
  it("sorts a request's lines into API streams per process, its nginx lines and its task's lines", () => {
    const { apiStreams, nginxLines, taskLines, duplicateLines } = classify(happyPath(), 'req-happy-1', [
      'task-happy-1',
    ]);
    // api-1 served the POST, api-2 the two polls of the task by other correlation ids.
    expect(apiStreams.map((s) => [s[0]?.instance, s.length])).toEqual([
      ['api-1', 3],
      ['api-2', 4],
    ]);
    // Only this correlation id's nginx line: the polls' nginx lines belong to their own ids.
    expect(nginxLines.map((l) => l.correlationId)).toEqual(['req-happy-1']);
    expect([...taskLines.keys()]).toEqual(['task-happy-1']);
    expect(taskLines.get('task-happy-1')?.map((l) => l.action)).toEqual([
      EVENTS.TASK_ENQUEUED,
      EVENTS.TASK_STARTED,
      EVENTS.TASK_COMPLETED,
    ]);
    expect(duplicateLines).toEqual([]);
  });

  it('collects the lines that record a blocked duplicate', () => {
    const { duplicateLines } = classify(duplicatesScenario(), 'orig-req', ['orig-task']);
    expect(duplicateLines.map((l) => l.action).sort()).toEqual(
      [
        EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT,
        EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH,
        EVENTS.IDEMPOTENCY_REPLAYED,
        EVENTS.LOCK_CONTENDED,
        EVENTS.RESULT_CACHE_HIT,
      ].sort(),
    );
  });
});
