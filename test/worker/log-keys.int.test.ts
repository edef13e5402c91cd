/**
 * Every line a worker writes must be a document Elasticsearch accepts, and Elasticsearch refuses
 * a document that names a field twice. JSON.parse would hide that, so this run parses the raw
 * lines with a tokenizer, after driving the workers through every path that writes lines:
 * retries, dead letters (exhausted and poison), lock contention, a cache hit, a worker frozen
 * past its lease (stall, redelivery, lost lease, a fenced-off write) and a graceful stop.
 */
import { describe, expect, it } from 'vitest';
import { monitorRedis } from '../utils/redis-monitor.ts';
import { waitFor } from '../utils/wait.ts';
import { duplicateKeys } from './duplicate-keys.ts';
import { lineOf, taskLines, varData, withAction, workerTestbed } from './worker-harness.ts';

const bed = workerTestbed();

describe('duplicateKeys', () => {
  it('finds a key written twice, which JSON.parse silently collapses', () => {
    const line = '{"task.queue":"high","message":"\\"task.queue\\":","task.queue":"dead-letter"}';
    expect(JSON.parse(line)).toEqual({ 'task.queue': 'dead-letter', message: '"task.queue":' });
    expect(duplicateKeys(line)).toEqual(['task.queue']);
    expect(duplicateKeys('{"a":{"b":1,"c":[{"d":1,"d":2}],"b":3},"e":"}"}')).toEqual(['a.c.[].d', 'a.b']);
    expect(duplicateKeys('{"a":1,"b":{"a":2},"c":["a","a"]}')).toEqual([]);
  });
});

describe('the lines of a worker run through every path', () => {
  it('name each key once', async () => {
    const workers = [await bed.harness.spawnWorker('worker-1'), await bed.harness.spawnWorker('worker-2')];
    const stamp = Date.now();

    // Frozen past its lease and its job lock: stall, redelivery, lock.lost.
    const release = `release-keys-frozen-${stamp}`;
    const monitor = await monitorRedis(bed.redis.url);
    const frozenTask = await bed.producer.enqueue(
      'calculate_var',
      varData(`keys-frozen-${stamp}`, { fault: { sleep_ms: 60_000, sleep_until_key: release } }),
      { priority: 'high' },
    );
    const holder = await waitFor(
      'a worker to take the lock',
      () => withAction(taskLines(bed.harness.lines(), frozenTask.taskId), 'lock.acquired')[0],
    );
    const frozen = workers.find((w) => w.instance === holder['service.instance']);
    // Its first poll of the release key proves it is in the pause before its write: freeze it there.
    await monitor.waitForCommand(
      'the holder to poll its release key',
      (c) => c.args[0] === 'exists' && c.args[1] === release,
    );
    await monitor.close();
    frozen?.signal('SIGSTOP');
    // The attempt redelivered to the other worker passes its pause at once.
    await bed.client.set(release, '1');

    const retried = await bed.producer.enqueue(
      'calculate_var',
      varData(`keys-retry-${stamp}`, { fault: { fail_attempts: 1 } }),
    );
    const exhausted = await bed.producer.enqueue(
      'calculate_var',
      varData(`keys-dead-${stamp}`, { fault: { fail_attempts: 3 } }),
    );
    const poisoned = await bed.producer.enqueue('stress_test', {
      ...varData(`keys-poison-${stamp}`),
      fault: { poison: true },
    });
    const contended = await Promise.all(
      [1, 2].map((seed) =>
        bed.producer.enqueue('calculate_var', varData(`keys-contended-${stamp}`, { seed, fault: { sleep_ms: 1500 } }), {
          priority: 'high',
        }),
      ),
    );
    for (const task of [retried, ...contended]) await bed.producer.finished(task.priority, task.taskId, ['completed']);
    for (const task of [exhausted, poisoned]) await lineOf(bed.harness, task.taskId, 'task.dead_lettered');
    const again = await bed.producer.enqueue('calculate_var', varData(`keys-contended-${stamp}`, { seed: 1 }));
    await bed.producer.finished(again.priority, again.taskId, ['completed']);

    await bed.producer.finished('high', frozenTask.taskId, ['completed'], 60_000);
    frozen?.signal('SIGCONT');
    // Frozen while pausing before its write, it is fenced off: result.write_rejected and lock.lost.
    await waitFor('the resumed worker to see its lease lost', () =>
      withAction(taskLines(bed.harness.lines(), frozenTask.taskId), 'lock.lost').find(
        (l) => l['service.instance'] === frozen?.instance,
      ),
    );
    for (const worker of workers) worker.signal('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));

    const actions = new Set(bed.harness.lines().map((l) => l['event.action']));
    for (const action of [
      'task.started',
      'task.failed',
      'task.retry_scheduled',
      'task.dead_lettered',
      'task.completed',
      'task.stalled',
      'lock.acquired',
      'lock.contended',
      'lock.released',
      'lock.lost',
      'result.write_rejected',
      'result.cache_hit',
      'service.stopping',
      'service.stopped',
    ]) {
      expect(actions, action).toContain(action);
    }
    expect(bed.harness.linesWithDuplicateKeys()).toEqual([]);
    // The dead letter names the queue the task came from, like every other line of the task.
    expect(withAction(taskLines(bed.harness.lines(), poisoned.taskId), 'task.dead_lettered')[0]).toMatchObject({
      'task.queue': 'medium',
    });
  });
});
