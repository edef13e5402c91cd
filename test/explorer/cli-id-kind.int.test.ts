import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPLORE_ERRORS } from '../../explorer/errors.ts';
import { ensureBuilt, runExplore } from './binary.ts';
import { deadLettered, happyPath } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  const w = deadLettered();
  happyPath(w);
  dir = writeLogDir(w);
});
afterAll(() => removeDir(dir));

describe('dtq-explore given the other kind of id', () => {
  it('says a task id given as a correlation id is a task id, and how to open it', async () => {
    const { code, stderr } = await runExplore(['task-dlq-1', '--logs', dir]);
    expect(code).toBe(EXPLORE_ERRORS.NOT_FOUND.exitCode);
    expect(stderr).toContain('DTQ_ERR_EXPLORE_NOT_FOUND');
    expect(stderr).toContain('task-dlq-1 is a task id: run `dtq-explore --task task-dlq-1`.');
    // And that command opens it.
    const opened = await runExplore(['--task', 'task-dlq-1', '--logs', dir, '--json']);
    expect(opened.code).toBe(0);
    expect(JSON.parse(opened.stdout).correlation_id).toBe('req-dlq-1');
  });

  it('says a correlation id given to --task is a correlation id, and how to open it', async () => {
    const { code, stderr } = await runExplore(['--task', 'req-happy-1', '--logs', dir]);
    expect(code).toBe(EXPLORE_ERRORS.NOT_FOUND.exitCode);
    expect(stderr).toContain('req-happy-1 is a correlation id: run `dtq-explore req-happy-1`.');
  });

  it('still names the nearest ids for an id of neither kind', async () => {
    const { code, stderr } = await runExplore(['task-dlq', '--logs', dir]);
    expect(code).toBe(EXPLORE_ERRORS.NOT_FOUND.exitCode);
    expect(stderr).not.toContain('is a task id');
    expect(stderr).toContain('Check the id');
  });
});
