import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../explorer/components/App.tsx';
import { loadTrace, type TraceTarget } from '../../explorer/load-trace.ts';
import { originalFor, wrapText } from '../../explorer/model/navigation.ts';
import { osc52 } from '../../explorer/output/clipboard.ts';
import { jsonTokens } from '../../explorer/output/json-tokens.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { renderFollowed } from '../utils/follow-app.tsx';
import { duplicatesScenario, LogWriter, T0 } from './fixtures.ts';
import { ESC, press, selectedLine, stripAnsi, tempLogDirs, waitForFrame, writeLogDir } from './helpers.ts';

const { track } = tempLogDirs();
const REASON =
  'DTQ_ERR_WORKER_FAULT_TRANSIENT: injected transient fault on attempt 1 of 20 (data.fault.fail_attempts) while pricing portfolio p-42 against the upstream price feed';

async function open(dir: string, correlationId: string, copied: string[] = []) {
  const source = new FileSource(dir);
  const load = async (target: TraceTarget) => (await loadTrace(source, target, () => T0 + 60_000)).trace;
  const app = render(
    <App
      target={{ correlationId }}
      initialTrace={await load({ correlationId })}
      loadTrace={load}
      loadList={async () => []}
      size={{ columns: 80, rows: 24 }}
      noColor
      copy={(text) => copied.push(text)}
    />,
  );
  await waitForFrame(app.lastFrame, (f) => f.includes(`dtq-explore ${correlationId}`));
  return app;
}

const frameOf = (app: { lastFrame(): string | undefined }) => stripAnsi(app.lastFrame() ?? '');

describe('the trace screen, polished', () => {
  it('shows a failure reason cut at the screen edge whole, wrapped below the rows', async () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-long', taskId: 'task-long' });
    w.attempt({ ms: 10, cid: 'req-long', taskId: 'task-long', worker: 'worker-1', attempt: 1, fail: REASON });
    const app = await open(track(writeLogDir(w)), 'req-long');
    await press(app, 'e', 'e');
    const frame = frameOf(app);
    expect(selectedLine(frame)).toContain('attempt 1 · worker-1');
    expect(selectedLine(frame)).toContain('…');
    const lines = frame.split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    expect(lines.length).toBeLessThanOrEqual(24);
    const start = lines.findIndex((line) => line.startsWith('» '));
    expect(start).toBeGreaterThan(0);
    const wrapped = lines
      .slice(start, start + 4)
      .map((line) => line.slice(2).trim())
      .join(' ');
    expect(wrapped).toContain(`failed: DTQ_ERR_TASK_TRANSIENT: ${REASON}`);
    // Moving to a row that fits takes the wrapped lines away.
    await press(app, 'g');
    expect(frameOf(app)).not.toContain('» ');
    app.unmount();
  });

  it('jumps with o from a group of duplicates to the first duplicate in it', async () => {
    const app = await open(track(writeLogDir(duplicatesScenario())), 'orig-req');
    await press(app, '/', ...'pointing here', '\r');
    const group = frameOf(app);
    expect(selectedLine(group)).toContain('3 duplicate(s) blocked pointing here');
    expect(group).toContain('» ⇐ 3 duplicate(s) blocked pointing here · key key-1');
    await press(app, 'o');
    await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore conflict-req'));
    app.unmount();
  });

  it('copies the id under the cursor with y, and prints it for terminals without OSC 52', async () => {
    const copied: string[] = [];
    const app = await open(track(writeLogDir(duplicatesScenario())), 'orig-req', copied);
    await press(app, 'y');
    expect(copied).toEqual(['orig-req']);
    expect(frameOf(app)).toContain('copied orig-req (OSC 52');
    await press(app, '/', ...'attempt 1', '\r', 'y');
    expect(copied.at(-1)).toBe('orig-task');
    await press(app, '/', ...'replay', '\r', 'y');
    expect(copied.at(-1)).toBe('replay-req');
    expect(frameOf(app)).toContain('copied replay-req');
    app.unmount();
  });
});

describe('the details of a row', () => {
  it('colours the JSON and finds a line with /, n going on to the next', async () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-d', taskId: 'task-d' });
    w.attempt({ ms: 10, cid: 'req-d', taskId: 'task-d', worker: 'worker-1', attempt: 1, fail: 'boom' });
    const source = new FileSource(track(writeLogDir(w)));
    const load = async (target: TraceTarget) => (await loadTrace(source, target, () => T0 + 60_000)).trace;
    const app = render(
      <App
        target={{ correlationId: 'req-d' }}
        initialTrace={await load({ correlationId: 'req-d' })}
        loadTrace={load}
        loadList={async () => []}
        size={{ columns: 80, rows: 12 }}
      />,
    );
    await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore req-d'));
    await press(app, '/', ...'attempt 1', '\r', '\r');
    const details = await waitForFrame(app.lastFrame, (f) => f.includes('"event.action": "task.started"'));
    // Keys cyan, strings green, numbers yellow (the colour theme).
    const raw = app.lastFrame() ?? '';
    expect(raw).toContain('\u001b[36m"event.action"');
    expect(raw).toContain('\u001b[32m"task.started"');
    expect(raw).toMatch(new RegExp(`${ESC}\\[33m\\d+`));
    // The failure is further down than the screen shows: a search brings it up.
    expect(details).not.toContain('"error.message": "boom"');
    await press(app, '/', ...'error.message', '\r');
    const found = frameOf(app);
    expect(found).toContain('"error.message": "boom"');
    await press(app, '/', ...'task_id', '\r');
    const first = frameOf(app);
    expect(first.split('\n')[1]).toContain('"task_id": "task-d"');
    await press(app, 'n');
    // The next line with task_id belongs to the row's next log line: the view scrolled on to it.
    const second = frameOf(app);
    expect(second).not.toBe(first);
    // The line it landed on is the one in inverse video.
    const marked = (app.lastFrame() ?? '').split('\n').filter((line) => line.includes('\u001b[7m'));
    expect(marked.map(stripAnsi)).toEqual([expect.stringContaining('"task_id": "task-d"')]);
    await press(app, '/', ...'nowhere-at-all', '\r');
    expect(frameOf(app)).toContain('no match for "nowhere-at-all"');
    app.unmount();
  });
});

describe('a trace followed in flight', () => {
  it('grows the running attempt’s bar with the clock, not with its last line', async () => {
    // Real time: the request is in flight only while its lines are recent.
    const w = new LogWriter(Date.now() - 200);
    w.post({ ms: 0, cid: 'req-live', taskId: 'task-live' });
    w.attempt({ ms: 10, cid: 'req-live', taskId: 'task-live', worker: 'worker-1', attempt: 1, die: true });
    const { app, initial } = await renderFollowed(track(writeLogDir(w)), 'req-live');
    expect(initial.inFlight).toBe(true);
    // The lines span 10 ms; the attempt has run for as long as the test has.
    expect(initial.endedAt - initial.startedAt).toBeLessThan(100);
    const grown = await waitForFrame(app.lastFrame, (f) => /0 … \d+\.\d+ s/.test(f), 5000);
    const attempt = grown.split('\n').find((line) => line.includes('attempt 1 · worker-1')) ?? '';
    // Its bar now reaches the right edge of the time axis.
    expect(attempt).toMatch(/█ +attempt 1/);
    app.unmount();
  });
});

describe('the pieces behind the keys', () => {
  it('writes OSC 52 with the text in base64', () => {
    expect(osc52('req-1')).toBe('\u001b]52;c;cmVxLTE=\u0007');
    // Any logged byte is carried as base64, never raw into the terminal.
    const sequence = osc52('a\u001b]0;x\u0007');
    expect(sequence.slice(0, 7)).toBe('\u001b]52;c;');
    expect(sequence.at(-1)).toBe('\u0007');
    expect(sequence.slice(7, -1)).toMatch(/^[A-Za-z0-9+/=]+$/);
  });

  it('cuts a JSON line into keys, strings, numbers and literals, and gives the line back whole', () => {
    const kinds = (line: string) => jsonTokens(line).filter((t) => t.kind !== 'plain');
    expect(kinds('  "event.duration": 18797407,')).toEqual([
      { text: '"event.duration"', kind: 'key' },
      { text: '18797407', kind: 'number' },
    ]);
    expect(kinds('  "message": "a \\"q\\" b: c",').map((t) => t.kind)).toEqual(['key', 'string']);
    expect(kinds('  "ok": true').map((t) => t.kind)).toEqual(['key', 'literal']);
    for (const line of ['  "x": "cut at the ed…', '}', '  "a": [1, -2.5e3, null]'])
      expect(
        jsonTokens(line)
          .map((t) => t.text)
          .join(''),
      ).toBe(line);
  });

  it('wraps at spaces, cuts a long word, and marks text left over', () => {
    expect(wrapText('one two three four', 9, 3)).toEqual(['one two', 'three', 'four']);
    expect(wrapText('abcdefghijkl', 5, 3)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrapText('one two three four five', 9, 2)).toEqual(['one two', 'three…']);
    expect(wrapText('', 9, 2)).toEqual([]);
  });

  it('finds the original of a row, or of the first duplicate under it', () => {
    const rows = [
      { depth: 0 },
      { depth: 1, original: { correlationId: 'a', taskId: undefined } },
      { depth: 0 },
      { depth: 1 },
      { depth: 0, original: { correlationId: 'b', taskId: 't' } },
    ];
    expect(originalFor(rows, 0)?.correlationId).toBe('a');
    expect(originalFor(rows, 2)).toBeUndefined();
    expect(originalFor(rows, 4)?.taskId).toBe('t');
    expect(originalFor(rows, 9)).toBeUndefined();
  });
});
