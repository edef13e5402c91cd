import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../explorer/components/App.tsx';
import { fleetFeed } from '../../explorer/fleet-feed.ts';
import { loadTrace, type TraceTarget } from '../../explorer/load-trace.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { deadLettered, duplicatesScenario, happyPath, LogWriter, T0 } from './fixtures.ts';
import { press, selectedLine, stripAnsi, tempLogDirs, waitForFrame, writeLogDir } from './helpers.ts';

const { track } = tempLogDirs();
const ESC = '\u001b';

/** The fixtures plus a stress_test request run by worker-3. */
function fleetDir(): string {
  const w = duplicatesScenario();
  deadLettered(w);
  happyPath(w);
  w.post({ ms: 2000, cid: 'req-stress', taskId: 'task-stress-9', taskType: 'stress_test', queue: 'low' });
  w.attempt({ ms: 2010, cid: 'req-stress', taskId: 'task-stress-9', worker: 'worker-3', attempt: 1, durationMs: 90 });
  return track(writeLogDir(w));
}

function renderFleet(dir: string, options: { follow?: boolean; columns?: number; copied?: string[] } = {}) {
  const source = new FileSource(dir);
  const fleet = fleetFeed(source, {});
  const load = async (target: TraceTarget) => (await loadTrace(source, target, () => T0 + 60_000)).trace;
  const app = render(
    <App
      loadTrace={load}
      loadList={() => fleet.rows()}
      follow={options.follow}
      copy={(text) => options.copied?.push(text)}
      size={{ columns: options.columns ?? 100, rows: 24 }}
      noColor
    />,
  );
  return { app, source };
}

const frameOf = (app: { lastFrame(): string | undefined }) => stripAnsi(app.lastFrame() ?? '');

describe('the fleet view', () => {
  it('shows each request with its task type, queue, worker, state and attempts, and counts the states', async () => {
    const { app } = renderFleet(fleetDir());
    const frame = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 8 request(s)'));
    expect(frame).toMatch(/sta +state +att +duration +type +queue +worker/);
    const dlq = frame.split('\n').find((line) => line.includes('req-dlq-1')) ?? '';
    expect(dlq).toMatch(/202 dead-lettered +3 +3\.\d+ s calculate_var +high +worker-2/);
    expect(frame).toContain('succeeded 4 · dead-lettered 1 · duplicate 3 · failed 12.5%');
    expect(frame).toMatch(/Fleet: 8 request\(s\) · \d+\.\d\/s [▁-█]{12} · p50 \S+ ms p95 \S+ ms p99 \S+ ms/);
    for (const line of frame.split('\n')) expect([...line].length).toBeLessThanOrEqual(100);
    app.unmount();
  });

  it('keeps the columns that fit a narrow screen, the correlation id last', async () => {
    const { app } = renderFleet(fleetDir(), { columns: 80 });
    const frame = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 8 request(s)'));
    for (const line of frame.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(frame).toMatch(/time \(UTC\)▼ +sta state +duration type +correlation id/);
    expect(frame).toContain('req-dlq-1');
    app.unmount();
  });

  it('finds a task id, a task type and a worker with /', async () => {
    const { app } = renderFleet(fleetDir());
    await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 8 request(s)'));
    await press(app, '/', ...'task-dlq', '\r');
    expect(selectedLine(frameOf(app))).toContain('req-dlq-1');
    await press(app, '/', ...'stress', '\r');
    expect(selectedLine(frameOf(app))).toContain('req-stress');
    await press(app, 'g', '/', ...'worker-3', '\r');
    // worker-3 ran the stress test and the dead-lettered task's second attempt: n goes on to the other.
    const first = selectedLine(frameOf(app));
    await press(app, 'n');
    const second = selectedLine(frameOf(app));
    expect(
      [first, second]
        .map((line) => (line.includes('req-stress') ? 'stress' : line.includes('req-dlq-1') ? 'dlq' : line))
        .sort(),
    ).toEqual(['dlq', 'stress']);
    await press(app, '/', ...'nothing-like-it', '\r');
    expect(frameOf(app)).toContain('no match for "nothing-like-it"');
    app.unmount();
  });

  it('filters with f, clears with F, and sorts by the next column with s and reverses with S', async () => {
    const { app } = renderFleet(fleetDir());
    await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 8 request(s)'));
    await press(app, 'f', ...'dead', '\r');
    const filtered = frameOf(app);
    expect(filtered).toContain('Fleet: 1 request(s) · filter "dead" (8 in all)');
    expect(selectedLine(filtered)).toContain('req-dlq-1');
    await press(app, 'F');
    expect(frameOf(app)).toContain('Fleet: 8 request(s)');
    // time → id: ascending ids.
    await press(app, 's');
    const byId = frameOf(app);
    expect(byId).toContain('correlation id▲');
    const ids = byId
      .split('\n')
      .filter((line) => /^[› ] \d\d:/.test(line))
      .map((line) => line.trim().split(' ').at(-1));
    expect(ids).toEqual([...ids].sort());
    await press(app, 'S');
    expect(frameOf(app)).toContain('correlation id▼');
    app.unmount();
  });

  it('opens the trace on Enter and returns to the same row, sort and filter on Esc', async () => {
    const { app } = renderFleet(fleetDir());
    await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 8 request(s)'));
    await press(app, 'f', ...'worker', '\r', 's', 's', 's', 's', 's', 's');
    const sorted = frameOf(app);
    expect(sorted).toContain('worker▲');
    await press(app, 'j');
    const before = selectedLine(frameOf(app));
    const cid = before.trim().split(' ').at(-1) ?? '';
    await press(app, '\r');
    await waitForFrame(app.lastFrame, (f) => f.includes(`dtq-explore ${cid}`));
    await press(app, ESC);
    const back = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet:'));
    expect(selectedLine(back)).toBe(before);
    expect(back).toContain('worker▲');
    expect(back).toContain('filter "worker"');
    app.unmount();
  });

  it('copies the correlation id of the row under the cursor with y', async () => {
    const copied: string[] = [];
    const { app } = renderFleet(fleetDir(), { copied });
    await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 8 request(s)'));
    await press(app, '/', ...'task-dlq', '\r', 'y');
    expect(copied).toEqual(['req-dlq-1']);
    expect(frameOf(app)).toContain('copied req-dlq-1 (OSC 52');
    app.unmount();
  });

  it('with --follow, shows new requests and new states as their lines arrive, the cursor on its row', async () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-a', taskId: 'task-a' });
    w.post({ ms: 10, cid: 'req-b', taskId: 'task-b' });
    const dir = track(writeLogDir(w));
    const { app } = renderFleet(dir, { follow: true });
    const first = await waitForFrame(
      app.lastFrame,
      (f) => f.includes('Fleet: 2 request(s)') && f.includes('following'),
    );
    expect(selectedLine(first)).toContain('req-b');
    await press(app, 'j');
    expect(selectedLine(frameOf(app))).toContain('req-a');
    const later = new LogWriter();
    later.attempt({ ms: 30, cid: 'req-a', taskId: 'task-a', worker: 'worker-1', attempt: 1, durationMs: 20 });
    later.post({ ms: 40, cid: 'req-c', taskId: 'task-c' });
    for (const [name, text] of later.files()) appendFileSync(join(dir, name), text);
    const updated = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 3 request(s)'), 5000);
    // req-c is now on top; the cursor stayed on req-a, which has succeeded meanwhile.
    expect(selectedLine(updated)).toMatch(/succeeded.*req-a/);
    expect(updated.indexOf('req-c')).toBeLessThan(updated.indexOf('req-a'));
    app.unmount();
  });
});
