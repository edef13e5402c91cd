import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../../workload/stack/supervisor.ts';
import { isAlive } from '../utils/processes.ts';
import { waitFor } from '../utils/wait.ts';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

describe('Supervisor', () => {
  const supervisors: Supervisor[] = [];
  afterEach(async () => {
    await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stopAll(1000)));
  });

  function supervisor(lines: string[] = []): Supervisor {
    const created = new Supervisor({
      stopTimeoutMs: 1000,
      onLine: (child, line, stream) => lines.push(`${child.name}/${stream}: ${line}`),
    });
    supervisors.push(created);
    return created;
  }

  it('hands every stdout and stderr line to the callback under the child name', async () => {
    const lines: string[] = [];
    const child = supervisor(lines).spawn({
      name: 'stubborn',
      command: process.execPath,
      args: [fixture('ignores-sigterm.ts')],
    });
    await waitFor('both lines', () => lines.length >= 2);
    expect(lines).toContain(`stubborn/stdout: ${JSON.stringify({ pid: child.pid })}`);
    expect(lines).toContain('stubborn/stderr: a line on stderr');
  });

  it('escalates to SIGKILL when a child ignores SIGTERM past the deadline', async () => {
    const lines: string[] = [];
    const child = supervisor(lines).spawn({
      name: 'stubborn',
      command: process.execPath,
      args: [fixture('ignores-sigterm.ts')],
    });
    await waitFor('the child to start', () => lines.length >= 1);
    const exit = await child.stop(500);
    expect(exit.signal).toBe('SIGKILL');
    expect(lines).toContain('stubborn/stdout: got SIGTERM, ignoring it');
    expect(isAlive(child.pid)).toBe(false);
  });

  it('stops the whole process group, grandchildren included', async () => {
    const lines: string[] = [];
    const child = supervisor(lines).spawn({
      name: 'forker',
      command: process.execPath,
      args: [fixture('forks-grandchild.ts')],
    });
    const first = await waitFor('the pids', () => lines.find((line) => line.includes('grandchild')));
    const { grandchild } = JSON.parse(first.slice(first.indexOf('{'))) as { grandchild: number };
    expect(isAlive(grandchild)).toBe(true);
    await child.stop(2000);
    await waitFor('the grandchild to die', () => !isAlive(grandchild), { timeoutMs: 5000 });
  });

  it('reports a program that cannot be started as exit code 127 with the reason', async () => {
    const child = supervisor().spawn({ name: 'ghost', command: '/nonexistent/dtq-program', args: [] });
    const exit = await child.exited;
    expect(exit.code).not.toBe(0);
    expect(child.isRunning()).toBe(false);
  });

  it.each([
    ['a child that stops on SIGTERM', []],
    ['a child that ignores SIGTERM, with SIGKILL as its parent-death signal', ['stubborn']],
  ])('leaves no child behind when the supervisor itself is killed with SIGKILL: %s', async (_, args) => {
    const parent = spawn(process.execPath, [fixture('supervises-sleeper.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const rl = createInterface({ input: parent.stdout });
    const [line] = (await once(rl, 'line')) as [string];
    const { child } = JSON.parse(line) as { child: number };
    expect(isAlive(child)).toBe(true);
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    await waitFor('the orphaned child to be stopped', () => !isAlive(child), { timeoutMs: 10_000 });
  });
});
