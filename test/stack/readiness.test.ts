/**
 * The stack's readiness wait with stand-in children: ends on an announcement without polling,
 * on a probe's yes, early when the child exits, and with NOT_READY at its deadline or when the
 * stack gives up the start.
 */
import { EventEmitter, once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { waitUntilReady } from '../../workload/stack/readiness.ts';
import type { ExitInfo, SupervisedChild } from '../../workload/stack/supervisor.ts';

/** A child that exits when `exit` is called. */
function standInChild(lines: string[] = []): SupervisedChild & { exit(info: ExitInfo): void } {
  let exit: (info: ExitInfo) => void = () => {};
  const exited = new Promise<ExitInfo>((resolve) => {
    exit = resolve;
  });
  return {
    spec: { name: 'worker-1', command: 'node', args: [] },
    pid: 1234,
    exited,
    isRunning: () => true,
    tail: () => lines,
    signal: () => {},
    stop: async () => exited,
    exit: (info) => exit(info),
  };
}

const never = new AbortController().signal;

describe('waitUntilReady', () => {
  it('resolves when the child announces itself, without waiting for the probe to be asked again', async () => {
    const emitter = new EventEmitter();
    let probes = 0;
    const waiting = waitUntilReady('worker-1 service.started', standInChild(), {
      timeoutMs: 60_000,
      abandon: never,
      announced: (signal) => once(emitter, 'started', { signal }),
      probe: async () => {
        probes++;
        return false;
      },
      intervalMs: 60_000,
    });
    emitter.emit('started');
    await waiting;
    // Asked once at the start; its next turn is a minute away, so the announcement ended the wait.
    expect(probes).toBe(1);
    // Nothing is left listening once the wait is over.
    expect(emitter.listenerCount('started')).toBe(0);
  });

  it('asks the probe again until it says yes', async () => {
    let answers = 0;
    await waitUntilReady('api-1 /ready', standInChild(), {
      timeoutMs: 60_000,
      abandon: never,
      probe: async () => ++answers === 3,
      intervalMs: 1,
    });
    expect(answers).toBe(3);
  });

  it('counts a probe that throws as not ready yet', async () => {
    let answers = 0;
    await waitUntilReady('redis', standInChild(), {
      timeoutMs: 60_000,
      abandon: never,
      probe: async () => {
        if (++answers < 2) throw new Error('ECONNREFUSED');
        return true;
      },
      intervalMs: 1,
    });
    expect(answers).toBe(2);
  });

  it('fails at once with the last lines of a child that exits while waited on', async () => {
    const child = standInChild(['booting', 'Error: listen EADDRINUSE']);
    const waiting = waitUntilReady('api-1 /ready', child, {
      timeoutMs: 60_000,
      abandon: never,
      probe: async () => false,
      intervalMs: 1,
    });
    child.exit({ code: 1, signal: null });
    await expect(waiting).rejects.toMatchObject({
      code: 'DTQ_ERR_STACK_CHILD_EXITED',
      message: expect.stringContaining('worker-1 exited (exit code 1) before the stack was ready'),
    });
    await expect(waiting).rejects.toThrow('Error: listen EADDRINUSE');
  });

  it('shows control characters in the exited child’s last lines as escapes', async () => {
    const child = standInChild(['GET /\u001b]0;owned\u0007 404', 'Error: listen EADDRINUSE']);
    const waiting = waitUntilReady('api-1 /ready', child, {
      timeoutMs: 60_000,
      abandon: never,
      probe: async () => false,
      intervalMs: 1,
    });
    child.exit({ code: 1, signal: null });
    await expect(waiting).rejects.toThrow('GET /\\x1b]0;owned\\x07 404\nError: listen EADDRINUSE');
  });

  it('gives up at its deadline with NOT_READY, naming what it waited for', async () => {
    await expect(
      waitUntilReady('redis on port 1', standInChild(), {
        timeoutMs: 50,
        abandon: never,
        probe: async () => false,
        intervalMs: 5,
      }),
    ).rejects.toMatchObject({
      code: 'DTQ_ERR_STACK_NOT_READY',
      message: expect.stringMatching(/^redis on port 1 was not/),
    });
  });

  it('gives up when the stack abandons the start, and says so', async () => {
    const abandon = new AbortController();
    const emitter = new EventEmitter();
    const waiting = waitUntilReady('worker-2 service.started', standInChild(), {
      timeoutMs: 60_000,
      abandon: abandon.signal,
      announced: (signal) => once(emitter, 'started', { signal }),
    });
    abandon.abort();
    await expect(waiting).rejects.toThrow('worker-2 service.started (start abandoned)');
    expect(emitter.listenerCount('started')).toBe(0);
  });
});
