import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskCompletions } from '../../bench/task-completions.ts';
import { EVENTS, F } from '../../contract/vocabulary.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-task-completions-'));
  dirs.push(dir);
  return dir;
}

function line(action: string, taskId: string, at: string): string {
  return `${JSON.stringify({ [F.TIMESTAMP]: at, [F.EVENT_ACTION]: action, [F.TASK_ID]: taskId })}\n`;
}

describe('task completions from the workers logs', () => {
  it('takes each task.completed time from every log file, and nothing from other lines', () => {
    const dir = logDir();
    writeFileSync(join(dir, 'worker-1.ndjson'), line(EVENTS.TASK_STARTED, 'a', '2026-12-04T10:00:00.000Z'));
    writeFileSync(join(dir, 'worker-2.1.ndjson'), line(EVENTS.TASK_COMPLETED, 'b', '2026-12-04T10:00:01.500Z'));
    writeFileSync(join(dir, 'notes.txt'), line(EVENTS.TASK_COMPLETED, 'c', '2026-12-04T10:00:02.000Z'));
    const completions = new TaskCompletions(dir);
    expect([...completions.poll()]).toEqual([['b', Date.parse('2026-12-04T10:00:01.500Z')]]);
    appendFileSync(join(dir, 'worker-1.ndjson'), line(EVENTS.TASK_COMPLETED, 'a', '2026-12-04T10:00:03.000Z'));
    expect(completions.poll().get('a')).toBe(Date.parse('2026-12-04T10:00:03.000Z'));
  });

  it('waits for the rest of a line still being written', () => {
    const dir = logDir();
    const path = join(dir, 'worker-1.ndjson');
    const text = line(EVENTS.TASK_COMPLETED, 'half', '2026-12-04T10:00:00.000Z');
    writeFileSync(path, text.slice(0, 30));
    const completions = new TaskCompletions(dir);
    expect(completions.poll().size).toBe(0);
    appendFileSync(path, text.slice(30));
    expect(completions.poll().has('half')).toBe(true);
  });
});
