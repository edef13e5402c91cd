import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrace, type TraceTarget } from '../../explorer/load-trace.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { deadLettered, duplicatesScenario, T0 } from './fixtures.ts';
import { ESC, press, removeDir, selectedLine, stripAnsi, waitForFrame, writeLogDir } from './helpers.ts';

// Colour support is decided when chalk loads: force it so NO_COLOR is what turns it off.
const { render } = await import('ink-testing-library');
const { App } = await import('../../explorer/components/App.tsx');

let dir: string;
let source: FileSource;
const load = async (target: TraceTarget) => (await loadTrace(source, target, () => T0 + 60_000)).trace;

beforeAll(() => {
  const w = duplicatesScenario();
  deadLettered(w);
  dir = writeLogDir(w);
  source = new FileSource(dir);
});
afterAll(() => removeDir(dir));

async function open(correlationId: string, extra: { noColor?: boolean; onExit?: () => void } = {}) {
  const trace = await load({ correlationId });
  const app = render(
    <App
      target={{ correlationId }}
      initialTrace={trace}
      loadTrace={load}
      loadList={async () => []}
      size={{ columns: 80, rows: 24 }}
      noColor={extra.noColor ?? true}
      onExit={extra.onExit}
    />,
  );
  await waitForFrame(app.lastFrame, (f) => f.includes(`dtq-explore ${correlationId}`));
  return app;
}

describe('the trace screen', () => {
  it('fits 80 columns and 24 rows and states the outcome and the divergence', async () => {
    const app = await open('req-dlq-1');
    const frame = stripAnsi(app.lastFrame() ?? '');
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    expect(lines[0]).toContain('FAILED');
    expect(frame).toContain('⚠ 202 at 10:15:23.017, job was dead-lettered 3 attempts later');
    expect(frame).toContain('attempt 2 · worker-3 · 40 ms · failed');
    expect(frame).toContain('backoff 2.00 s');
    app.unmount();
  });

  it('moves with j/k and arrows, and jumps between errors with e and E', async () => {
    const app = await open('req-dlq-1');
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('request 1');
    await press(app, 'j', '\u001b[B');
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('api-1 POST');
    await press(app, 'k');
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('nginx → 202');
    await press(app, 'e');
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('task task-dlq-1');
    await press(app, 'e');
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('attempt 1 · worker-1');
    await press(app, 'E');
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('task task-dlq-1');
    app.unmount();
  });

  it('searches with / and steps through matches with n and N', async () => {
    const app = await open('req-dlq-1');
    await press(app, '/', 'w', 'o', 'r', 'k', 'e', 'r', '-', '3');
    expect(stripAnsi(app.lastFrame() ?? '')).toContain('/worker-3');
    await press(app, '\r');
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('attempt 2 · worker-3');
    await press(app, '/', 'f', 'a', 'i', 'l', 'e', 'd', '\r');
    const first = selectedLine(stripAnsi(app.lastFrame() ?? ''));
    await press(app, 'n');
    const second = selectedLine(stripAnsi(app.lastFrame() ?? ''));
    expect(second).not.toBe(first);
    await press(app, 'N');
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toBe(first);
    app.unmount();
  });

  it('shows the selected row’s log lines as pretty JSON on Enter and goes back on Esc', async () => {
    const app = await open('req-dlq-1');
    await press(app, 'e', 'e', '\r', ' ');
    const details = stripAnsi(app.lastFrame() ?? '');
    expect(details).toContain('"event.action": "task.failed"');
    expect(details).toContain('"error.message": "upstream price feed timed out"');
    await press(app, '\u001b');
    await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore req-dlq-1'));
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('attempt 1 · worker-1');
    app.unmount();
  });

  it('jumps from a duplicate to its original with o, and back with Esc', async () => {
    const app = await open('other-req');
    await press(app, '/', 'l', 'o', 'c', 'k', ' ', 'c', 'o', 'n', '\r');
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('lock contended → original task');
    await press(app, 'o');
    const original = await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore orig-req'));
    expect(original).toContain('3 duplicate(s) blocked pointing here');
    // The original's task is selected, ready to inspect.
    expect(selectedLine(original)).toContain('task orig-task');
    await press(app, '\u001b');
    const back = await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore other-req'));
    expect(selectedLine(back)).toContain('lock contended');
    app.unmount();
  });

  it('shows help on ? and closes it on any key; q quits', async () => {
    const quit = Promise.withResolvers<void>();
    const app = await open('req-dlq-1', { onExit: quit.resolve });
    await press(app, '?');
    expect(stripAnsi(app.lastFrame() ?? '')).toContain('jump to the original of a duplicate');
    await press(app, 'x');
    expect(stripAnsi(app.lastFrame() ?? '')).toContain('dtq-explore req-dlq-1');
    // Quitting renders nothing: the exit itself is what the test waits for.
    app.stdin.write('q');
    await quit.promise;
    app.unmount();
  });

  it('uses colour for errors, and none at all under NO_COLOR', async () => {
    const coloured = await open('req-dlq-1', { noColor: false });
    expect(coloured.lastFrame()).toContain(`${ESC}[31m`);
    coloured.unmount();
    const plain = await open('req-dlq-1', { noColor: true });
    const frame = plain.lastFrame() ?? '';
    expect(frame).not.toMatch(new RegExp(`${ESC}\\[(3[0-9]|9[0-7]|2)m`));
    // Selection stays visible without colour: inverse video is not a colour.
    expect(frame).toContain(`${ESC}[7m`);
    plain.unmount();
  });
});
