/**
 * Sentinels that require a password of their clients (`requirepass` on each sentinel, as secured
 * Sentinel deployments run them): an API and a worker process given DTQ_REDIS_SENTINEL_PASSWORD
 * find the master through them and run a task; an API without it is refused by the sentinels and
 * says which variable to set, instead of only "All sentinels are unreachable".
 */
import { describe, expect, it } from 'vitest';
import { startRedisSentinel } from '../utils/redis-cluster.ts';
import { apiAndWorkerOn, refusalOf, runTask } from './topology-rig.ts';

const SENTINEL_PASSWORD = 'S3ntinel-only-pw';

const rig = apiAndWorkerOn('sentinel-auth', () =>
  startRedisSentinel({ replicas: 1, sentinelPassword: SENTINEL_PASSWORD }),
);

describe('sentinels that require a password', () => {
  it('runs a task when the API and the worker are given DTQ_REDIS_SENTINEL_PASSWORD', async () => {
    expect(rig.topology.env.DTQ_REDIS_SENTINEL_PASSWORD).toBe(SENTINEL_PASSWORD);
    await runTask(rig, 'high');
  });

  it('names DTQ_REDIS_SENTINEL_PASSWORD when the sentinels refuse a client without it', async () => {
    const { sentinelPassword: _, ...withoutPassword } = rig.topology.target;
    const { error, available } = await refusalOf(withoutPassword, 'the sentinels to refuse', (e) =>
      /NOAUTH/.test(e.message),
    );
    expect(error.code).toBe('DTQ_ERR_QUEUE_REDIS_UNAVAILABLE');
    expect(error.message).toContain('the sentinels require a password: set DTQ_REDIS_SENTINEL_PASSWORD');
    expect(error.message).not.toContain(SENTINEL_PASSWORD);
    expect(available).toBe(false);
  });
});
