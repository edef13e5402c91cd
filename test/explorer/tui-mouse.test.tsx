import { EventEmitter } from 'node:events';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../explorer/components/App.tsx';
import { fleetFeed } from '../../explorer/fleet-feed.ts';
import { loadTrace, type TraceTarget } from '../../explorer/load-trace.ts';
import { MOUSE_OFF, MOUSE_ON } from '../../explorer/output/mouse-mode.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { runTui } from '../../explorer/tui.tsx';
import { deadLettered, duplicatesScenario, happyPath, T0 } from './fixtures.ts';
import { press, selectedLine, stripAnsi, tempLogDirs, waitForFrame, writeLogDir } from './helpers.ts';

const { track } = tempLogDirs();

const wheel = (delta: 1 | -1, line = 5) => `\u001b[<${delta === 1 ? 65 : 64};10;${line}M`;
/** A left click on the 0-based screen line `line`, as the terminal reports it (1-based). */
const click = (line: number) => `\u001b[<0;10;${line + 1}M`;

function fleetDir(): string {
  const w = duplicatesScenario();
  deadLettered(w);
  happyPath(w);
  return track(writeLogDir(w));
}

function renderFleet(dir: string) {
  const source = new FileSource(dir);
  const fleet = fleetFeed(source, {});
  const load = async (target: TraceTarget) => (await loadTrace(source, target, () => T0 + 60_000)).trace;
  return render(<App loadTrace={load} loadList={() => fleet.rows()} size={{ columns: 100, rows: 24 }} noColor />);
}

const frameOf = (app: { lastFrame(): string | undefined }) => stripAnsi(app.lastFrame() ?? '');
const lineIndexOf = (frame: string, text: string) => frame.split('\n').findIndex((line) => line.includes(text));
const rowLines = (frame: string) => frame.split('\n').filter((line) => /^[› ] \d\d:/.test(line));

describe('the mouse in the fleet view', () => {
  it('moves the cursor three rows per wheel notch, down and back up', async () => {
    const app = renderFleet(fleetDir());
    const frame = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 7 request(s)'));
    const rows = rowLines(frame);
    expect(selectedLine(frame)).toBe(rows[0]);
    await press(app, wheel(1));
    expect(selectedLine(frameOf(app))).toBe(rows[3]?.replace(/^ /, '›'));
    await press(app, wheel(-1));
    expect(selectedLine(frameOf(app))).toBe(rows[0]);
    app.unmount();
  });

  it('selects the clicked row, opens its trace on a second click, and Esc returns to it', async () => {
    const app = renderFleet(fleetDir());
    const frame = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 7 request(s)'));
    const target = lineIndexOf(frame, 'req-dlq-1');
    expect(target).toBeGreaterThan(0);
    await press(app, click(target));
    expect(selectedLine(frameOf(app))).toContain('req-dlq-1');
    await press(app, click(target));
    await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore req-dlq-1'));
    await press(app, '\u001b');
    const back = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet:'));
    expect(selectedLine(back)).toContain('req-dlq-1');
    app.unmount();
  });

  it('ignores a click above the rows', async () => {
    const app = renderFleet(fleetDir());
    const frame = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 7 request(s)'));
    const before = selectedLine(frame);
    app.stdin.write(click(0));
    app.stdin.write(click(lineIndexOf(frame, 'correlation id')));
    // A key that renders, so the clicks above have been handled when the frame is read.
    await press(app, '?');
    await press(app, 'x');
    expect(selectedLine(frameOf(app))).toBe(before);
    app.unmount();
  });
});

describe('the mouse in the trace view', () => {
  it('selects the clicked row, opens its details on a second click and scrolls them with the wheel', async () => {
    const dir = fleetDir();
    const source = new FileSource(dir);
    const load = async (target: TraceTarget) => (await loadTrace(source, target, () => T0 + 60_000)).trace;
    const trace = await load({ correlationId: 'req-dlq-1' });
    const app = render(
      <App
        target={{ correlationId: 'req-dlq-1' }}
        initialTrace={trace}
        loadTrace={load}
        loadList={async () => []}
        size={{ columns: 80, rows: 24 }}
        noColor
      />,
    );
    const frame = await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore req-dlq-1'));
    const attempt = frame.split('\n').findIndex((line) => line.includes('attempt 2'));
    expect(attempt).toBeGreaterThan(0);
    await press(app, click(attempt));
    expect(selectedLine(frameOf(app))).toContain('attempt 2');
    await press(app, click(attempt));
    const details = await waitForFrame(app.lastFrame, (f) => f.includes('"event.action"'));
    const firstLine = details.split('\n')[1];
    await press(app, wheel(1));
    expect(frameOf(app).split('\n')[1]).not.toBe(firstLine);
    await press(app, wheel(-1));
    expect(frameOf(app).split('\n')[1]).toBe(firstLine);
    app.unmount();
  });
});

/** A terminal for runTui: stdin as ink-testing-library's, stdout collecting what is written. */
function fakeTerminal() {
  const stdin = Object.assign(new EventEmitter(), {
    isTTY: true,
    data: null as string | null,
    write(data: string) {
      stdin.data = data;
      stdin.emit('readable');
      stdin.emit('data', data);
    },
    read() {
      const { data } = stdin;
      stdin.data = null;
      return data;
    },
    setEncoding() {},
    setRawMode() {},
    resume() {},
    pause() {},
    ref() {},
    unref() {},
  });
  const written: string[] = [];
  const stdout = Object.assign(new EventEmitter(), {
    isTTY: true,
    columns: 100,
    rows: 24,
    // Ink waits for the callback of its last write before it reports the exit.
    write(text: string, done?: () => void) {
      written.push(text);
      done?.();
      return true;
    },
  });
  return { stdin, stdout, written };
}

/** Poll what was written, escape sequences and all, until `test` accepts it. */
async function waitForOutput(written: readonly string[], test: (all: string) => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!test(written.join(''))) {
    if (Date.now() > deadline) throw new Error(`never written; got:\n${JSON.stringify(written.join(''))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the terminal after the TUI', () => {
  it('has mouse reporting on while the TUI runs and off after Ctrl-C', async () => {
    const terminal = fakeTerminal();
    const running = runTui({
      loadTrace: async () => {
        throw new Error('no trace in this test');
      },
      loadList: async () => [],
      noColor: true,
      terminal: terminal as unknown as { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream },
    });
    await waitForOutput(terminal.written, (all) => all.includes(MOUSE_ON) && all.includes('0 request(s)'));
    terminal.stdin.write('\u0003');
    await running;
    const all = terminal.written.join('');
    expect(all.lastIndexOf(MOUSE_OFF)).toBeGreaterThan(all.lastIndexOf(MOUSE_ON));
  });

  it('leaves the mouse alone with --no-mouse', async () => {
    const terminal = fakeTerminal();
    const running = runTui({
      loadTrace: async () => {
        throw new Error('no trace in this test');
      },
      loadList: async () => [],
      noColor: true,
      mouse: false,
      terminal: terminal as unknown as { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream },
    });
    await waitForOutput(terminal.written, (all) => all.includes('0 request(s)'));
    terminal.stdin.write('q');
    await running;
    expect(terminal.written.join('')).not.toContain('\u001b[?1000h');
  });
});
