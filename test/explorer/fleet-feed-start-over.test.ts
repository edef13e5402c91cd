/** fleetFeed and a feed's per-pass start-over signal, over a feed that says what each pass is. */
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../contract/vocabulary.ts';
import { fleetFeed } from '../../explorer/fleet-feed.ts';
import type { LineFeed, LogSource } from '../../explorer/sources/source.ts';
import { LogWriter } from './fixtures.ts';

/** One pass of a scripted feed: its lines, and whether it starts over. */
interface ScriptedPass {
  readonly lines: readonly LogRecord[];
  readonly startOver: boolean;
}

/** A source whose feed plays `passes` in order, each waiting on `gate` before it delivers. */
function scripted(passes: ScriptedPass[], gate: () => Promise<void> = async () => {}) {
  let running = 0;
  let overlapped = false;
  const feed: LineFeed = {
    next: async (visit, startOver) => {
      running++;
      if (running > 1) overlapped = true;
      const pass = passes.shift();
      await gate();
      if (pass?.startOver) startOver();
      for (const record of pass?.lines ?? []) visit(record, undefined);
      running--;
    },
  };
  const source = { feed: () => feed } as unknown as LogSource;
  return { source, overlapped: () => overlapped };
}

function post(cid: string, ms: number): LogRecord[] {
  const w = new LogWriter();
  w.post({ ms, cid, taskId: `task-${cid}` });
  return w.records;
}

describe('a fleet feed whose passes may start over', () => {
  it('folds a pass that does not start over into the rows it has, and one that does into fresh rows', async () => {
    const { source } = scripted([
      { lines: post('req-1', 0), startOver: false },
      { lines: post('req-2', 10_000), startOver: false },
      { lines: [...post('req-1', 0), ...post('req-3', 20_000)], startOver: true },
    ]);
    const fleet = fleetFeed(source, {});
    expect((await fleet.rows()).map((row) => row.correlationId)).toEqual(['req-1']);
    expect((await fleet.rows()).map((row) => [row.correlationId, row.requests])).toEqual([
      ['req-2', 1],
      ['req-1', 1],
    ]);
    // The window again: req-2 is gone, req-1 is folded once.
    expect((await fleet.rows()).map((row) => [row.correlationId, row.requests])).toEqual([
      ['req-3', 1],
      ['req-1', 1],
    ]);
  });

  it('runs one pass at a time, however many refreshes are asked for at once', async () => {
    const { source, overlapped } = scripted(
      [
        { lines: post('req-1', 0), startOver: true },
        { lines: post('req-1', 0), startOver: true },
        { lines: post('req-2', 10_000), startOver: false },
      ],
      () => new Promise((resolve) => setTimeout(resolve, 5)),
    );
    const fleet = fleetFeed(source, {});
    const [, , last] = await Promise.all([fleet.rows(), fleet.rows(), fleet.rows()]);
    expect(overlapped()).toBe(false);
    expect(last?.map((row) => [row.correlationId, row.requests])).toEqual([
      ['req-2', 1],
      ['req-1', 1],
    ]);
  });
});
