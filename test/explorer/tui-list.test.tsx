import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../explorer/components/App.tsx';
import { loadTrace, type TraceTarget } from '../../explorer/load-trace.ts';
import { summariseRequests } from '../../explorer/model/request-list.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { renderFollowed } from '../utils/follow-app.tsx';
import { deadLettered, duplicatesScenario, happyPath, LogWriter, T0 } from './fixtures.ts';
import { press, removeDir, selectedLine, stripAnsi, waitForFrame, writeLogDir } from './helpers.ts';

describe('the list of recent requests', () => {
  let dir: string;
  let source: FileSource;
  beforeAll(() => {
    const w = duplicatesScenario();
    deadLettered(w);
    happyPath(w);
    dir = writeLogDir(w);
    source = new FileSource(dir);
  });
  afterAll(() => removeDir(dir));

  it('lists requests newest first, opens one on Enter and returns on Esc', async () => {
    const loadList = async () => summariseRequests(await source.recent(undefined, 10_000));
    const load = async (target: TraceTarget) => (await loadTrace(source, target, () => T0 + 60_000)).trace;
    const app = render(<App loadTrace={load} loadList={loadList} size={{ columns: 80, rows: 24 }} noColor />);
    const list = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 7 request(s)'));
    for (const line of list.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(selectedLine(list)).toContain('mismatch-req');
    await press(app, 'e');
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('req-dlq-1');
    await press(app, '\r');
    const trace = await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore req-dlq-1'));
    expect(trace).toContain('FAILED');
    await press(app, '\u001b');
    // The list loads again on the way back: wait for it, not for its "loading…" header.
    const back = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 7 request(s)'));
    expect(selectedLine(back)).toContain('req-dlq-1');
    app.unmount();
  });
});

describe('--follow', () => {
  let dir: string;
  afterAll(() => removeDir(dir));

  it('refreshes an in-flight request until it ends', async () => {
    // Real time: the request is in flight only while its lines are recent.
    const base = Date.now() - 500;
    const w = new LogWriter(base);
    w.post({ ms: 0, cid: 'live', taskId: 'live-task' });
    dir = writeLogDir(w);
    const { app, initial } = await renderFollowed(dir, 'live');
    expect(initial.inFlight).toBe(true);
    const first = await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore live'));
    expect(first).toContain('IN FLIGHT');
    expect(first).toContain('following');
    const later = new LogWriter(base);
    later.attempt({ ms: 30, cid: 'live', taskId: 'live-task', worker: 'worker-1', attempt: 1, durationMs: 50 });
    for (const [name, text] of later.files()) appendFileSync(join(dir, name), text);
    const done = await waitForFrame(app.lastFrame, (f) => f.includes('SUCCEEDED'), 5000);
    expect(done).not.toContain('following');
    expect(done).toContain('attempt 1 · worker-1');
    app.unmount();
  });
});
