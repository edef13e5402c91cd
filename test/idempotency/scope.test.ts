import { describe, expect, it } from 'vitest';
import {
  ANONYMOUS_CLIENT,
  clientIdentity,
  newTaskId,
  recordKey,
  scopeHash,
  taskIdPrefix,
} from '../../workload/idempotency/scope.ts';

const SCOPE = { client: ANONYMOUS_CLIENT, method: 'POST', route: '/api/v1/tasks', key: 'k-1' };

describe('idempotency scope', () => {
  it('identifies a client by a hash of its Authorization header, never the header itself', () => {
    const id = clientIdentity('Bearer s3cr3t-token');
    expect(id).toMatch(/^auth-[0-9a-f]{32}$/);
    expect(id).not.toContain('s3cr3t');
    expect(clientIdentity('Bearer other')).not.toBe(id);
    expect(clientIdentity(undefined)).toBe(ANONYMOUS_CLIENT);
  });

  it('gives a different scope for a different client, method, route or key', () => {
    const base = scopeHash(SCOPE);
    expect(scopeHash({ ...SCOPE })).toBe(base);
    for (const change of [{ client: 'auth-x' }, { method: 'PUT' }, { route: '/api/v2/tasks' }, { key: 'k-2' }]) {
      expect(scopeHash({ ...SCOPE, ...change })).not.toBe(base);
    }
    // Parts cannot run into each other: ("a","bc") and ("ab","c") differ.
    expect(scopeHash({ ...SCOPE, route: 'a', key: 'bc' })).not.toBe(scopeHash({ ...SCOPE, route: 'ab', key: 'c' }));
  });

  it('names the Redis record and task ids from the hash only (no client text, no colon in task ids)', () => {
    const hash = scopeHash({ ...SCOPE, key: 'evil:key\r\nwith spaces' });
    expect(recordKey(hash)).toBe(`dtq:idem:${hash}`);
    const id = newTaskId(hash);
    expect(id.startsWith(taskIdPrefix(hash))).toBe(true);
    expect(id).toMatch(/^idem-[0-9a-f]{32}-[0-9a-f]{8}$/);
    expect(newTaskId(hash)).not.toBe(id);
  });
});
