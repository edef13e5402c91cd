import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, ROOT } from './binary.ts';
import { LogWriter } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  // Far more text than a pipe buffers (64 KiB), so the reader leaves while output is pending.
  const w = new LogWriter();
  w.post({ ms: 0, cid: 'chatty', taskId: 'chatty-task' });
  w.attempt({ ms: 10, cid: 'chatty', taskId: 'chatty-task', worker: 'worker-1', attempt: 1, durationMs: 60_000 });
  for (let i = 0; i < 3000; i++) w.poll(20 + i * 10, 'chatty', 'chatty-task');
  dir = writeLogDir(w);
});
afterAll(() => removeDir(dir));

describe('dtq-explore writing into a pipe', () => {
  it('leaves quietly with status 0 when the reader stops early, as `| head` does', async () => {
    const { code, stderr, received } = await new Promise<{ code: number | null; stderr: string; received: number }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'chatty', '--logs', dir, '--plain'], {
          cwd: ROOT,
          env: { ...process.env, DTQ_ES_URL: '', NO_COLOR: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderrText = '';
        let bytes = 0;
        child.stdout.once('data', (chunk: Buffer) => {
          bytes = chunk.length;
          child.stdout.destroy();
        });
        child.stderr.on('data', (chunk: Buffer) => {
          stderrText += chunk.toString();
        });
        child.on('error', reject);
        child.on('close', (exitCode) => resolve({ code: exitCode, stderr: stderrText, received: bytes }));
      },
    );
    expect(received).toBeGreaterThan(0);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
