import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { App } from '../../explorer/components/App.tsx';
import { fleetFeed } from '../../explorer/fleet-feed.ts';
import { overview } from '../../explorer/model/overview.ts';
import { queueDepthOf } from '../../explorer/model/queue-depth.ts';
import { RequestLedger } from '../../explorer/model/request-list.ts';
import { overviewToJson, renderOverviewPlain } from '../../explorer/output/overview-plain.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { happyPath, LogWriter, T0 } from './fixtures.ts';
import { tempLogDirs, waitForFrame, writeLogDir } from './helpers.ts';

const { track } = tempLogDirs();

/** A queue.depth line of `instance` at `ms`. */
function depthLine(w: LogWriter, ms: number, instance: string, high: number, medium: number, low: number) {
  return w.line(ms, 'api', instance, EVENTS.QUEUE_DEPTH, {
    [F.QUEUE_DEPTH]: high + medium + low,
    [F.QUEUE_WAITING_HIGH]: high,
    [F.QUEUE_WAITING_MEDIUM]: medium,
    [F.QUEUE_WAITING_LOW]: low,
  });
}

describe('queue depth from queue.depth lines', () => {
  it('reads each queue and the sum, and nothing from other lines or from a line without a usable sum', () => {
    const w = new LogWriter();
    const line = depthLine(w, 0, 'api-2', 4, 0, 9);
    expect(queueDepthOf(line, T0)).toEqual({
      at: T0,
      instance: 'api-2',
      total: 13,
      queues: [
        { queue: 'high', depth: 4 },
        { queue: 'medium', depth: 0 },
        { queue: 'low', depth: 9 },
      ],
    });
    expect(queueDepthOf({ ...line, [F.QUEUE_DEPTH]: -1 }, T0)).toBeUndefined();
    expect(queueDepthOf({ ...line, [F.QUEUE_DEPTH]: '13' }, T0)).toBeUndefined();
    expect(queueDepthOf({ ...line, [F.QUEUE_WAITING_LOW]: 'many' }, T0)?.queues.map((q) => q.queue)).toEqual([
      'high',
      'medium',
    ]);
    expect(queueDepthOf(happyPath().records[0] ?? {}, T0)).toBeUndefined();
  });

  it('keeps the newest reading of any API instance, whatever order the lines are read in', () => {
    const w = new LogWriter();
    const newest = depthLine(w, 2000, 'api-3', 1, 1, 1);
    const older = [depthLine(w, 1000, 'api-1', 9, 9, 9), depthLine(w, 0, 'api-2', 5, 5, 5)];
    for (const order of [
      [newest, ...older],
      [...older, newest],
    ]) {
      const ledger = new RequestLedger();
      for (const record of order) ledger.add(record);
      expect(ledger.queueDepth()).toMatchObject({ instance: 'api-3', total: 3 });
      // Not a request: the lines add no row.
      expect(ledger.summaries()).toEqual([]);
    }
  });

  it('is part of --stats from files, as text and as JSON, and says when there is none', () => {
    const w = happyPath();
    depthLine(w, 50, 'api-1', 2, 0, 7);
    const ledger = new RequestLedger();
    for (const record of w.records) ledger.add(record);
    const report = overview(ledger.summaries(), ledger.tasks(), ledger.queueDepth());
    expect(renderOverviewPlain(report, 'files')).toContain(
      'queue depth   high 2 · medium 0 · low 7 (sum 9; api-1 at 2026-11-22T10:15:23.050Z)',
    );
    expect(overviewToJson(report, { kind: 'files', description: 'files' }).queue_depth).toEqual({
      at: '2026-11-22T10:15:23.050Z',
      instance: 'api-1',
      total: 9,
      queues: { high: 2, medium: 0, low: 7 },
    });
    const without = overview(ledger.summaries(), ledger.tasks());
    expect(renderOverviewPlain(without, 'files')).toContain('queue depth   - (no queue.depth line in the window)');
    expect(overviewToJson(without, { kind: 'files', description: 'files' }).queue_depth).toBeNull();
  });

  it('is shown in the fleet view’s header, and follows new readings', async () => {
    const w = happyPath();
    depthLine(w, 50, 'api-1', 2, 0, 7);
    const dir = track(writeLogDir(w));
    const fleet = fleetFeed(new FileSource(dir), {});
    const app = render(
      <App
        loadTrace={async () => {
          throw new Error('not in this test');
        }}
        loadList={() => fleet.rows()}
        queueDepth={() => fleet.queueDepth()}
        size={{ columns: 100, rows: 24 }}
        follow
        noColor
      />,
    );
    await waitForFrame(app.lastFrame, (f) => f.includes('queues high 2 · medium 0 · low 7'));
    const later = new LogWriter();
    depthLine(later, 60_000, 'api-2', 0, 1, 0);
    writeLogDir(later, dir);
    await waitForFrame(app.lastFrame, (f) => f.includes('queues high 0 · medium 1 · low 0'));
    app.unmount();
  });
});
