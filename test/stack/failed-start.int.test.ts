/**
 * A start that fails half-way stops what it had started: an API that cannot read its
 * configuration exits, the start fails naming it with its last output, and Redis, the worker and
 * nginx, already running by then, are gone too.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { isAlive } from '../utils/processes.ts';
import { TestStack } from '../utils/stack.ts';

it('stops every child it started when one of them dies before the stack is ready', async () => {
  const varDir = mkdtempSync(join(tmpdir(), 'dtq-failed-start-'));
  const stack = new TestStack(
    {
      varDir,
      logDir: join(varDir, 'logs'),
      httpPort: 0,
      apis: 1,
      workers: 1,
      output: 'none',
      stopTimeoutMs: 5_000,
      readyTimeoutMs: 120_000,
      // Read by the API only: it refuses to start, while Redis and the worker start normally.
      childEnv: { DTQ_RETRY_AFTER_S: 'soon' },
    },
    varDir,
  );
  await expect(stack.start()).rejects.toMatchObject({
    code: 'DTQ_ERR_STACK_CHILD_EXITED',
    message: expect.stringMatching(/^api-1 exited \(exit code 2\) before the stack was ready[\s\S]*DTQ_RETRY_AFTER_S/),
  });
  const names = stack.children().map((child) => child.spec.name);
  expect(names).toEqual(expect.arrayContaining(['redis', 'api-1', 'worker-1', 'nginx']));
  expect(stack.children().filter((child) => child.isRunning() || isAlive(child.pid))).toEqual([]);
});
