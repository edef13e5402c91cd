import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisClient } from '../../workload/queue/redis-client.ts';

// lazyConnect: the clients are built, never connected (the unit lane allows no sockets).
describe('the Redis client factory', () => {
  it('opens a Redis for a URL, with the per-connection options as given', () => {
    const client = createRedisClient('redis://cache:6380/2', { lazyConnect: true, maxRetriesPerRequest: null });
    expect(client).toBeInstanceOf(Redis);
    expect(client.options).toMatchObject({ host: 'cache', port: 6380, db: 2, maxRetriesPerRequest: null });
    client.disconnect();
  });

  it('opens a Cluster for seed nodes, each node connection with the per-connection options', () => {
    const retry = (attempt: number) => attempt;
    const client = createRedisClient(
      { kind: 'cluster', nodes: [{ host: 'a', port: 7000 }], password: 'pw' },
      {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        commandTimeout: 2000,
        retryStrategy: retry,
      },
    );
    expect(client).toBeInstanceOf(Cluster);
    const options = (client as Cluster).options;
    expect(options.enableOfflineQueue).toBe(false);
    expect(options.clusterRetryStrategy).toBe(retry);
    expect(options.redisOptions).toMatchObject({ maxRetriesPerRequest: 1, commandTimeout: 2000, password: 'pw' });
    client.disconnect();
  });

  it('opens a Redis that asks the sentinels for the named master', () => {
    const client = createRedisClient(
      { kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], masterName: 'dtq' },
      { lazyConnect: true },
    );
    expect(client).toBeInstanceOf(Redis);
    expect(client.options).toMatchObject({ name: 'dtq', sentinels: [{ host: 's1', port: 26379 }] });
    client.disconnect();
  });
});
