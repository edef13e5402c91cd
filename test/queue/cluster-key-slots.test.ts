/**
 * The key layout on a Redis Cluster: keys one script touches together share a hash tag (so
 * one slot), and different queues, resources and idempotency records do not (so they spread).
 * Two keys are in the same slot when their hash tags are equal, or, without a tag, when the
 * keys are; the tag rule below is Redis's (cluster spec, "Hash tags").
 */
import { describe, expect, it } from 'vitest';
import { recordKey } from '../../workload/idempotency/scope.ts';
import { cacheKey, fenceKey, lockKey, resultKey } from '../../workload/locks/keys.ts';
import { queuePrefix, waitListKey } from '../../workload/queue/contract.ts';

/** The part of a key Redis hashes to find its slot. */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

describe('keys on a Redis Cluster', () => {
  it('puts the lock, fence, result and cache keys of one resource under one tag', () => {
    for (const resource of ['calculate_var:portfolio:p-1', 'calculate_var:portfolio:{odd}', 'x:}{']) {
      const parts = [lockKey(resource), fenceKey(resource), resultKey(resource), cacheKey(resource, 'abc')].map(
        hashedPart,
      );
      expect(new Set(parts).size).toBe(1);
      expect(parts[0]).not.toBe('');
    }
  });

  it('gives different resources different tags', () => {
    expect(hashedPart(lockKey('calculate_var:portfolio:a'))).not.toBe(hashedPart(lockKey('calculate_var:portfolio:b')));
  });

  it('puts each queue under its own tag and every key of a queue under it', () => {
    expect(waitListKey('high')).toBe('dtq:{high}:high:wait');
    const tags = ['high', 'medium', 'low', 'dead-letter'].map((queue) =>
      hashedPart(`${queuePrefix(queue)}:${queue}:x`),
    );
    expect(tags).toEqual(['high', 'medium', 'low', 'dead-letter']);
  });

  it('leaves idempotency records untagged: each script touches one record, so the whole key spreads them', () => {
    const key = recordKey('a'.repeat(64));
    expect(hashedPart(key)).toBe(key);
  });
});
