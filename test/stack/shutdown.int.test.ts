/**
 * `npm run workload` as a user runs it: the real command in the foreground, then Ctrl-C (SIGINT)
 * — and, separately, the supervisor killed with SIGKILL. Either way no child process survives.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../utils/free-port.ts';
import { descendantsOf, isAlive } from '../utils/processes.ts';
import { waitFor } from '../utils/wait.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startWorkload(): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-workload-'));
  dirs.push(dir);
  const child = spawn(process.execPath, ['workload/stack/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DTQ_HTTP_PORT: String(await freePort()),
      DTQ_VAR_DIR: dir,
      DTQ_LOG_DIR: join(dir, 'logs'),
      DTQ_STACK_APIS: '2',
      DTQ_STACK_WORKERS: '2',
      DTQ_STACK_OUTPUT: 'pretty',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  await waitFor('the stack to be ready', () => text.includes('ready: http://'), { timeoutMs: 120_000 });
  return { child, output: () => text, exited };
}

describe('npm run workload', () => {
  it('shows prefixed one-line output and stops every child on Ctrl-C', async () => {
    const { child, output, exited } = await startWorkload();
    expect(output()).toMatch(/^api-1 +\| \d\d:\d\d:\d\d\.\d{3} INFO {2}service\.started/m);
    expect(output()).toMatch(/^worker-2 +\| .*service\.started/m);
    const descendants = descendantsOf(child.pid as number);
    // redis, 2 APIs, 2 workers, nginx master (+ its workers).
    expect(descendants.length).toBeGreaterThanOrEqual(6);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toContain('stopped');
    await waitFor('every child to be gone', () => descendants.every((pid) => !isAlive(pid)), { timeoutMs: 5000 });
  }, 180_000);

  it('leaves no child behind even when the supervisor is killed with SIGKILL', async () => {
    const { child, exited } = await startWorkload();
    const descendants = descendantsOf(child.pid as number);
    expect(descendants.length).toBeGreaterThanOrEqual(6);
    child.kill('SIGKILL');
    await exited;
    await waitFor('every orphan to stop', () => descendants.every((pid) => !isAlive(pid)), { timeoutMs: 30_000 });
  }, 180_000);
});
