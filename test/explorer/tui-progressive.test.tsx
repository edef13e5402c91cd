import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTraceProgressively, type TraceLoader, type TraceTarget } from '../../explorer/load-trace.ts';
import type { Trace } from '../../explorer/model/types.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { longPolled, T0 } from './fixtures.ts';
import { press, removeDir, selectedLine, stripAnsi, waitForFrame, writeLogDir } from './helpers.ts';

const { render } = await import('ink-testing-library');
const { App } = await import('../../explorer/components/App.tsx');

const NOW = () => T0 + 600_000;
const TARGET: TraceTarget = { correlationId: 'long-polled' };
let dir: string;
let source: FileSource;

beforeAll(() => {
  dir = writeLogDir(longPolled());
  source = new FileSource(dir);
});
afterAll(() => removeDir(dir));

/** The two steps of the long-polled trace, with the second held back until `release()`. */
async function heldBack(): Promise<{ first: Trace; complete: Promise<Trace>; release(): void }> {
  const progressive = loadTraceProgressively(source, TARGET, NOW, 60);
  const first = (await progressive.first).trace;
  const gate = Promise.withResolvers<void>();
  const complete = gate.promise.then(async () => (await progressive.complete).trace);
  return { first, complete, release: () => gate.resolve() };
}

describe('the trace screen of a long-polled request', () => {
  it('draws the first screen while polls load, says how many, then shows them all', async () => {
    const steps = await heldBack();
    const pending = steps.first.pending?.polls ?? 0;
    expect(pending).toBeGreaterThan(100);
    const shown: Trace[] = [];
    const app = render(
      <App
        target={TARGET}
        initialTrace={steps.first}
        completeTrace={steps.complete}
        loadTrace={async () => {
          throw new Error('the trace was given; nothing to load');
        }}
        loadList={async () => []}
        size={{ columns: 80, rows: 24 }}
        noColor
        onTraceShown={(trace) => shown.push(trace)}
      />,
    );
    const first = await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore long-polled'));
    expect(first).toContain(`loading ${pending} more status polls…`);
    expect(first).toContain('attempt 1 · worker-1');
    expect(first).toContain('status poll → 200');
    // The loading row stands where the polls still to come will go: after the last one shown.
    for (const key of ['/', ...'loading', '\r']) await press(app, key);
    const found = stripAnsi(app.lastFrame() ?? '').split('\n');
    const at = found.findIndex((line) => line.startsWith('› '));
    expect(found[at]).toMatch(/loading \d+ more status polls…/);
    expect(found[at - 1]).toContain('status poll → 200');

    steps.release();
    const complete = await waitForFrame(app.lastFrame, (f) => !f.includes('loading'));
    expect(complete).toMatch(/1 task\(s\) · 0 duplicate\(s\) · \d+ gap\(s\) · \d+ warning\(s\) · \d+ lines/);
    // Each trace is reported once its frame is out (after the frame, so wait for the report).
    await waitForFrame(
      () => String(shown.length),
      (n) => n === '2',
    );
    expect(shown.map((trace) => trace.pending === undefined)).toEqual([false, true]);
    // In its place now: the polls, and the request that came after them.
    expect(selectedLine(stripAnsi(app.lastFrame() ?? ''))).toContain('status poll → 200');
    for (const key of ['/', ...'loading', '\r']) await press(app, key);
    expect(app.lastFrame()).toContain('no match for "loading"');
    app.unmount();
  });

  it('loads a trace opened from the screen in two steps too', async () => {
    const steps = await heldBack();
    const load: TraceLoader = async (_target, onFirst) => {
      onFirst?.(steps.first);
      return steps.complete;
    };
    const app = render(
      <App target={TARGET} loadTrace={load} loadList={async () => []} size={{ columns: 80, rows: 24 }} noColor />,
    );
    await waitForFrame(app.lastFrame, (f) => f.includes('more status polls…'));
    steps.release();
    await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore long-polled') && !f.includes('loading'));
    app.unmount();
  });
});
