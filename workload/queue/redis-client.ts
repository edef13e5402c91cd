/**
 * The one place that turns a {@link RedisTarget} into an ioredis client: a `Redis` for a URL, a
 * `Cluster` for seed nodes, a `Redis` that asks the sentinels for a Sentinel-managed master.
 * Every process that talks to Redis (the API's producer and idempotency store, the workers'
 * BullMQ, lock and result connections) opens its clients here, each with its own per-connection
 * options (fail fast, or retry forever as BullMQ needs).
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { type RedisTarget, urlTarget } from './redis-target.ts';

/** An ioredis client for any target: both kinds run the same commands and Lua scripts. */
export type RedisClient = Redis | Cluster;

/**
 * Per-connection options, as for a single Redis. For a cluster they apply to the connection to
 * every node; `retryStrategy` becomes the cluster's `clusterRetryStrategy`.
 */
export type RedisClientOptions = Pick<
  RedisOptions,
  | 'enableOfflineQueue'
  | 'autoResendUnfulfilledCommands'
  | 'maxRetriesPerRequest'
  | 'connectTimeout'
  | 'commandTimeout'
  | 'retryStrategy'
  | 'lazyConnect'
  | 'enableAutoPipelining'
>;

/** How long a client waits before it asks again where a moved slot or a failed-over master is. */
const FAILOVER_RETRY_DELAY_MS = 200;

/** Open an ioredis client for `target` (a string is a URL). */
export function createRedisClient(target: RedisTarget | string, options: RedisClientOptions = {}): RedisClient {
  const resolved = typeof target === 'string' ? urlTarget(target) : target;
  const tls = resolved.tls === undefined ? undefined : resolved.tls.ca === undefined ? {} : { ca: resolved.tls.ca };
  switch (resolved.kind) {
    case 'url':
      // TLS itself comes from a rediss:// scheme; the target only adds the CA to trust.
      return new Redis(resolved.url, tls === undefined ? options : { ...options, tls });
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: resolved.sentinels.map(({ host, port }) => ({ host, port })),
        name: resolved.masterName,
        ...(resolved.password === undefined ? {} : { password: resolved.password }),
        ...(resolved.sentinelPassword === undefined ? {} : { sentinelPassword: resolved.sentinelPassword }),
        // The sentinels and the servers they point at speak TLS alike.
        ...(tls === undefined ? {} : { tls, sentinelTLS: tls, enableTLSForSentinelMode: true }),
        sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
        // ioredis's failoverDetector (reconnect on the sentinels' +switch-master) stays off: in
        // test/redis/failover-loss.int.test.ts it left the client ended for good in 3 of 7
        // failovers. Without it a client finds the new master when its connection to the old
        // one fails, which a dead master's host reports at once.
      });
    case 'cluster': {
      const { retryStrategy, enableOfflineQueue, lazyConnect, enableAutoPipelining, ...perNode } = options;
      const clusterOptions: ClusterOptions = {
        redisOptions: {
          ...perNode,
          ...(resolved.password === undefined ? {} : { password: resolved.password }),
          ...(tls === undefined ? {} : { tls }),
        },
        ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
        ...(lazyConnect === undefined ? {} : { lazyConnect }),
        ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
        ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
        retryDelayOnFailover: FAILOVER_RETRY_DELAY_MS,
        retryDelayOnClusterDown: FAILOVER_RETRY_DELAY_MS,
        retryDelayOnTryAgain: FAILOVER_RETRY_DELAY_MS,
      };
      return new Cluster(
        resolved.nodes.map(({ host, port }) => ({ host, port })),
        clusterOptions,
      );
    }
  }
}
