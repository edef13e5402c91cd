import { describe, expect, it } from 'vitest';
import { injectedPause } from '../../workload/worker/faults.ts';

/** A stand-in for the Redis client: answers EXISTS from a list, then repeats the last answer. */
function fakeRedis(answers: (number | Error)[]) {
  const calls: string[] = [];
  return {
    calls,
    exists: async (key: string) => {
      calls.push(key);
      const answer = answers[Math.min(calls.length, answers.length) - 1];
      if (answer instanceof Error) throw answer;
      return answer ?? 0;
    },
  };
}

const running = () => new AbortController().signal;

describe('the injected pause (data.fault.sleep_ms)', () => {
  it('lasts until the release key exists, even when sleep_ms is far longer', async () => {
    const redis = fakeRedis([0, 0, 1]);
    await injectedPause({ sleep_ms: 600_000, sleep_until_key: 'release-me' }, redis, running());
    expect(redis.calls).toEqual(['release-me', 'release-me', 'release-me']);
  });

  it('ends after sleep_ms when the release key never appears', async () => {
    const redis = fakeRedis([0]);
    const started = performance.now();
    await injectedPause({ sleep_ms: 120, sleep_until_key: 'never' }, redis, running());
    // Timers may fire a millisecond early; a pause that gave up on the first 0 would take ~0 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect(redis.calls.length).toBeGreaterThan(1);
  });

  it('ends at once when its signal fires (lease lost, shutdown)', async () => {
    const redis = fakeRedis([0]);
    await injectedPause({ sleep_ms: 600_000, sleep_until_key: 'never' }, redis, AbortSignal.abort());
    await injectedPause({ sleep_ms: 600_000 }, redis, AbortSignal.abort());
    expect(redis.calls.length).toBeLessThanOrEqual(1);
  });

  it('ends when Redis cannot answer, leaving the failure to the fenced write that follows', async () => {
    const redis = fakeRedis([new Error('connection is closed')]);
    await injectedPause({ sleep_ms: 600_000, sleep_until_key: 'release-me' }, redis, running());
    expect(redis.calls).toEqual(['release-me']);
  });

  it('does not pause or touch Redis without sleep_ms', async () => {
    const redis = fakeRedis([0]);
    await injectedPause(undefined, redis, running());
    await injectedPause({ sleep_until_key: 'release-me' }, redis, running());
    expect(redis.calls).toEqual([]);
  });
});
