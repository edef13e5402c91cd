/**
 * The real binary in a real terminal: tmux runs bin/dtq-explore.js at 80x24, the test types
 * keys with send-keys and reads the screen with capture-pane.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, copyFileSync, readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { indexForTimestamp } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { BIN, ensureBuilt, ROOT } from './binary.ts';
import { deadLettered, duplicatesScenario, happyPath, LogWriter } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';
import { bulkLoad } from './load-es.ts';

// A server per test: a new session on the socket of a server still shutting down can fail.
let socket = '';
beforeEach(() => {
  socket = `dtq-explore-e2e-${randomUUID().slice(0, 8)}`;
});

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** Start the binary in a fresh tmux session (80x24 unless told); the shell prints EXIT=<code> after it. */
function start(args: string[], env: Record<string, string>, columns = 80): void {
  const vars = Object.entries(env)
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join(' ');
  const command = `cd ${shellQuote(ROOT)} && env ${vars} ${shellQuote(process.execPath)} ${shellQuote(BIN)} ${args.map(shellQuote).join(' ')}; echo EXIT=$?; sleep 120`;
  tmux('new-session', '-d', '-s', 'e2e', '-x', String(columns), '-y', '24', command);
}

function screen(): string {
  return tmux('capture-pane', '-p', '-t', 'e2e');
}

async function waitForScreen(test: (text: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = screen();
    if (test(last)) return last;
    await sleep(50);
  }
  throw new Error(`screen never showed ${what}; last screen:\n${last}`);
}

async function keys(...names: string[]): Promise<void> {
  for (const name of names) {
    tmux('send-keys', '-t', 'e2e', name);
    await sleep(120);
  }
}

function selected(text: string): string {
  return text.split('\n').find((line) => line.startsWith('› ')) ?? '';
}

/** The selected line once it holds `text`: the TUI redraws after a key at the machine's pace. */
async function selectedHolding(text: string): Promise<string> {
  return selected(await waitForScreen((s) => selected(s).includes(text), `"${text}" selected`));
}

let dir: string;
beforeAll(() => {
  ensureBuilt();
  const w = duplicatesScenario();
  deadLettered(w);
  happyPath(w);
  dir = writeLogDir(w);
});
afterEach(() => {
  try {
    tmux('kill-server');
  } catch {
    // Already gone.
  }
});
afterAll(() => removeDir(dir));

describe('dtq-explore in a real terminal', () => {
  it('shows a trace from the log files, opens details, searches, helps and quits cleanly', async () => {
    start(['req-dlq-1', '--logs', dir], { DTQ_ES_URL: '', TERM: 'xterm-256color' });
    const first = await waitForScreen((s) => s.includes('dtq-explore req-dlq-1'), 'the trace');
    expect(first).toContain('FAILED');
    expect(first).toContain('⚠ 202 at 10:15:23.017, job was dead-lettered 3 attempts later');
    for (const line of first.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    await keys('e', 'e');
    expect(await selectedHolding('attempt 1 · worker-1')).toContain('attempt 1 · worker-1');
    await keys('Enter');
    await waitForScreen((s) => s.includes('"event.action": "task.started"'), 'the details JSON');
    await keys('Escape');
    await waitForScreen((s) => selected(s).includes('attempt 1 · worker-1'), 'the trace again');
    await keys('/', 'w', 'o', 'r', 'k', 'e', 'r', '-', '2', 'Enter');
    expect(await selectedHolding('attempt 3 · worker-2')).toContain('attempt 3 · worker-2');
    await keys('?');
    await waitForScreen((s) => s.includes('dtq-explore keys'), 'help');
    await keys('x', 'q');
    await waitForScreen((s) => s.includes('EXIT=0'), 'a clean exit');
  });

  it('lists the fleet, filters it, opens a request, returns to the same row, and shows lines as they arrive', async () => {
    // Lines of now, so the default window (--since 1h) holds them.
    const base = Date.now() - 60_000;
    const w = new LogWriter(base);
    w.post({ ms: 0, cid: 'req-a', taskId: 'task-a', taskType: 'stress_test' });
    w.attempt({ ms: 10, cid: 'req-a', taskId: 'task-a', worker: 'worker-3', attempt: 1 });
    w.post({ ms: 100, cid: 'req-b', taskId: 'task-b' });
    w.attempt({ ms: 110, cid: 'req-b', taskId: 'task-b', worker: 'worker-1', attempt: 1 });
    w.post({ ms: 200, cid: 'req-c', taskId: 'task-c' });
    const live = writeLogDir(w);
    try {
      start(['--logs', live, '--follow'], { DTQ_ES_URL: '', NO_COLOR: '1', TERM: 'xterm-256color' });
      const list = await waitForScreen(
        (s) => s.includes('Fleet: 3 request(s)') && s.includes('following'),
        'the fleet view',
      );
      for (const line of list.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
      expect(selected(list)).toMatch(/queued .*req-c/);
      await keys('f', 'w', 'o', 'r', 'k', 'e', 'r', '-', '3', 'Enter');
      const filtered = await waitForScreen((s) => s.includes('filter "worker-3"'), 'the filtered list');
      expect(filtered).toContain('Fleet: 1 request(s)');
      expect(selected(filtered)).toContain('req-a');
      await keys('F');
      // A search typed before the cleared list is back would lose its '/' and quit on its 'q'.
      await waitForScreen((s) => s.includes('Fleet: 3 request(s)') && !s.includes('filter "'), 'the filter cleared');
      await keys('/', 'r', 'e', 'q', '-', 'b', 'Enter');
      expect(await selectedHolding('req-b')).toContain('req-b');
      await keys('Enter');
      await waitForScreen((s) => s.includes('dtq-explore req-b'), 'the trace');
      await keys('Escape');
      const back = await waitForScreen((s) => s.includes('Fleet:'), 'the list again');
      expect(selected(back)).toContain('req-b');
      const later = new LogWriter(base);
      later.attempt({ ms: 300, cid: 'req-c', taskId: 'task-c', worker: 'worker-2', attempt: 1, durationMs: 50 });
      later.post({ ms: 400, cid: 'req-d', taskId: 'task-d' });
      for (const [name, text] of later.files()) appendFileSync(join(live, name), text);
      const updated = await waitForScreen((s) => s.includes('Fleet: 4 request(s)'), 'the new request');
      expect(updated).toMatch(/succeeded .*req-c/);
      expect(selected(updated)).toContain('req-b');
      await keys('q');
      await waitForScreen((s) => s.includes('EXIT=0'), 'a clean exit');
    } finally {
      removeDir(live);
    }
  });

  it('lists what a fresh view lists after a copytruncate rotation under --follow, no line folded twice', async () => {
    const w = duplicatesScenario();
    deadLettered(w);
    happyPath(w);
    const live = writeLogDir(w);
    // The rows as a screen shows them, the cursor's marker aside; wide enough for the dup column.
    const rowsOf = (text: string) =>
      text
        .split('\n')
        .filter((line) => /^. \d\d:\d\d:\d\d/.test(line))
        .map((line) => line.slice(2).trimEnd());
    const args = ['--since', '36500d', '--logs', live];
    const env = { DTQ_ES_URL: '', NO_COLOR: '1', TERM: 'xterm-256color' };
    try {
      start([...args, '--follow'], env, 200);
      await waitForScreen((s) => s.includes('Fleet: 7 request(s)') && s.includes('following'), 'the fleet view');
      // logrotate's copytruncate: each file copied to .1, then truncated in place, then written on.
      for (const name of readdirSync(live)) {
        copyFileSync(join(live, name), join(live, `${name}.1`));
        truncateSync(join(live, name), 0);
      }
      const later = new LogWriter();
      later.post({ ms: 5000, cid: 'req-after', taskId: 'task-after' });
      for (const [name, text] of later.files()) appendFileSync(join(live, name), text);
      const following = await waitForScreen((s) => s.includes('Fleet: 8 request(s)'), 'the request written after');
      await keys('q');
      await waitForScreen((s) => s.includes('EXIT=0'), 'a clean exit');
      tmux('kill-server');
      // A server of its own: the socket of one shutting down may refuse a new session.
      socket = `dtq-explore-e2e-${randomUUID().slice(0, 8)}`;
      start(args, env, 200);
      const fresh = await waitForScreen((s) => s.includes('Fleet: 8 request(s)'), 'a fresh fleet view');
      expect(rowsOf(fresh), fresh).toHaveLength(8);
      expect(rowsOf(following)).toEqual(rowsOf(fresh));
    } finally {
      removeDir(live);
    }
  });

  it('scrolls with the wheel and opens with clicks, with mouse reporting on only while it runs (Ctrl-C too)', async () => {
    const mouseFlags = () => tmux('display', '-p', '-t', 'e2e', '#{mouse_standard_flag} #{mouse_sgr_flag}').trim();
    // What the terminal sends for a wheel notch down and a left press at (10, line), 1-based.
    const report = (button: number, line: number) =>
      tmux(
        'send-keys',
        '-t',
        'e2e',
        '-H',
        ...[...`\u001b[<${button};10;${line}M`].map((c) => c.charCodeAt(0).toString(16)),
      );
    start(['--since', '36500d', '--logs', dir], { DTQ_ES_URL: '', NO_COLOR: '1', TERM: 'xterm-256color' });
    const list = await waitForScreen((s) => s.includes('Fleet: 7 request(s)'), 'the fleet view');
    expect(mouseFlags()).toBe('1 1');
    const rows = list.split('\n').filter((line) => /^[› ] \d\d:/.test(line));
    report(65, 5);
    await waitForScreen((s) => selected(s) === rows[3]?.replace(/^ /, '›'), 'the cursor three rows down');
    const line = list.split('\n').findIndex((text) => text.includes('req-happy-1')) + 1;
    report(0, line);
    await waitForScreen((s) => selected(s).includes('req-happy-1'), 'the clicked row selected');
    report(0, line);
    await waitForScreen((s) => s.includes('dtq-explore req-happy-1'), 'its trace, on a second click');
    await keys('C-c');
    await waitForScreen((s) => s.includes('EXIT='), 'the exit');
    expect(mouseFlags()).toBe('0 0');
  });

  describe('against Elasticsearch', () => {
    let url: string;
    let prefix: string;
    beforeAll(async () => {
      ({ url } = await testElasticsearch());
      prefix = uniqueIndexPrefix();
      await runSetup({ url, prefix, steps: CORE_STEPS });
      const w = duplicatesScenario();
      deadLettered(w);
      happyPath(w);
      await bulkLoad(url, w.hits(), (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));
    });
    afterAll(async () => {
      if (url && prefix) await deleteIndicesWithPrefix(url, prefix);
    });

    it('goes from the request list to a duplicate, jumps to its original with o, and back with Esc', async () => {
      start(['--since', '3650d'], {
        DTQ_ES_URL: url,
        DTQ_ES_INDEX_PREFIX: prefix,
        NO_COLOR: '1',
        TERM: 'xterm-256color',
      });
      await waitForScreen((s) => s.includes('Fleet: 7 request(s)'), 'the request list');
      await keys('/', 'o', 't', 'h', 'e', 'r', 'Enter');
      expect(await selectedHolding('other-req')).toContain('other-req');
      await keys('Enter');
      await waitForScreen((s) => s.includes('dtq-explore other-req'), 'the duplicate’s trace');
      await keys('/', 'c', 'a', 'c', 'h', 'e', 'Space', 'h', 'i', 't', 'Enter');
      expect(await selectedHolding('result cache hit → original task')).toContain('result cache hit → original task');
      await keys('o');
      const original = await waitForScreen((s) => s.includes('dtq-explore orig-req'), 'the original’s trace');
      expect(selected(original)).toContain('task orig-task');
      await keys('Escape');
      await waitForScreen((s) => s.includes('dtq-explore other-req'), 'the duplicate again');
      await keys('Escape');
      await waitForScreen((s) => s.includes('Fleet:'), 'the list again');
      await keys('q');
      await waitForScreen((s) => s.includes('EXIT=0'), 'a clean exit');
    });
  });
});
