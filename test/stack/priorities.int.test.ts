/**
 * Priorities under a backlog, measured through the whole stack: with the workers stopped, low
 * tasks are queued first and high ones after; once the workers start again, high tasks start
 * earlier on average although they arrived later.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EVENTS, F, type Priority } from '../../contract/vocabulary.ts';
import { sampleTaskBody } from '../../workload/stack/sample-tasks.ts';
import { startStack, type TestStack } from '../utils/stack.ts';
import { waitFor } from '../utils/wait.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ workers: 2, apis: 1 });
});

afterAll(async () => {
  await stack?.stop();
});

const PER_PRIORITY = 24;

it('starts high tasks before low ones on average when a backlog drains', async () => {
  await Promise.all(stack.workers.map((_, index) => stack.stopWorker(index)));
  const ids = new Map<string, Priority>();
  const submit = async (priority: Priority, count: number) => {
    for (let i = 0; i < count; i++) {
      const response = await stack.postTask(sampleTaskBody('monte_carlo_pricing', priority, i));
      expect(response.status, response.text).toBe(202);
      ids.set((response.json() as { task_id: string }).task_id, priority);
    }
  };
  await submit('low', PER_PRIORITY);
  await submit('high', PER_PRIORITY);

  await Promise.all(stack.workers.map((_, index) => stack.startWorker(index)));
  const starts = await waitFor(
    'every task to start',
    () => {
      const lines = stack
        .readLogs()
        .filter((l) => l[F.EVENT_ACTION] === EVENTS.TASK_STARTED && ids.has(String(l[F.TASK_ID])));
      return lines.length >= ids.size ? lines : undefined;
    },
    { timeoutMs: 120_000 },
  );
  // Rank of each first start in time order; the mean rank per priority is the measure.
  const firstStart = new Map<string, number>();
  for (const line of starts) {
    const id = String(line[F.TASK_ID]);
    const at = Date.parse(String(line[F.TIMESTAMP]));
    firstStart.set(id, Math.min(firstStart.get(id) ?? Number.POSITIVE_INFINITY, at));
  }
  const ordered = [...firstStart.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  const meanRank = (priority: Priority) => {
    const ranks = ordered.flatMap((id, rank) => (ids.get(id) === priority ? [rank] : []));
    return ranks.reduce((sum, rank) => sum + rank, 0) / ranks.length;
  };
  const high = meanRank('high');
  const low = meanRank('low');
  console.log(`mean start rank: high ${high.toFixed(1)}, low ${low.toFixed(1)} of ${ordered.length}`);
  expect(high).toBeLessThan(low);
}, 180_000);
