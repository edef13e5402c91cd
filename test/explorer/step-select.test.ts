import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { ParsedLines } from '../../explorer/model/lines.ts';
import { selectLines } from '../../explorer/model/steps/select.ts';
import { duplicatesScenario, happyPath, LogWriter } from './fixtures.ts';

function parse(w: LogWriter, cid: string, extra: { source: string; record: Record<string, unknown> }[] = []) {
  return new ParsedLines(cid).add([...w.hits(), ...extra]).lines;
}

describe('step: select', () => {
  it("keeps the correlation id's lines, its tasks' lines and polls, and leaves other requests out", () => {
    const w = happyPath();
    happyPath(w, 'req-other', 'task-other', 5);
    const streams = selectLines(parse(w, 'req-happy-1'), 'req-happy-1', new Set(['task-happy-1']));
    const kept = streams.flat();
    expect(kept.every((l) => l.correlationId?.startsWith('req-happy-1') || l.taskId === 'task-happy-1')).toBe(true);
    // The POST (4), the attempt (2) and two polls by other ids (3 each, nginx's named by path).
    expect(kept).toHaveLength(4 + 2 + 2 * 3);
  });

  it('keeps a duplicate that points at the trace, though it carries another correlation id', () => {
    const lines = parse(duplicatesScenario(), 'orig-req');
    const kept = selectLines(lines, 'orig-req', new Set(['orig-task'])).flat();
    expect(kept.map((l) => l.action)).toEqual(
      expect.arrayContaining([EVENTS.IDEMPOTENCY_REPLAYED, EVENTS.LOCK_CONTENDED]),
    );
  });

  it('gives one stream per process in name order, each in written order, each line once', () => {
    const w = happyPath();
    const hits = w.hits();
    const shuffled = [...hits].reverse();
    const twice = [...shuffled, hits[0] as (typeof hits)[number], hits[3] as (typeof hits)[number]];
    const streams = selectLines(
      new ParsedLines('req-happy-1').add(twice).lines,
      'req-happy-1',
      new Set(['task-happy-1']),
    );
    expect(streams.map((s) => s[0]?.instance)).toEqual(['api-1', 'api-2', 'nginx', 'worker-2']);
    for (const stream of streams) {
      expect(stream.map((l) => l.source)).toEqual([...new Set(stream.map((l) => l.source))]);
      expect(stream.map((l) => l.writtenAt)).toEqual([...stream.map((l) => l.writtenAt)].sort((a, b) => a - b));
    }
    expect(streams.flat()).toHaveLength(hits.length);
  });

  it("orders lines of one millisecond by the writer's sequence, not by the input", () => {
    const w = new LogWriter();
    w.line(5, 'api', 'api-1', EVENTS.HTTP_REQUEST_RECEIVED, { [F.CORRELATION_ID]: 'c' });
    w.line(5, 'api', 'api-1', EVENTS.HTTP_REQUEST_COMPLETED, { [F.CORRELATION_ID]: 'c' });
    const [stream] = selectLines(new ParsedLines('c').add(w.hits().reverse()).lines, 'c', new Set());
    expect(stream?.map((l) => l.sequence)).toEqual([1, 2]);
  });
});
