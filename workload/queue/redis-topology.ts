/**
 * Recognises a Redis Cluster node reached through DTQ_REDIS_URL. Such a node accepts the
 * connection and answers, then refuses every key of another node's slots with `MOVED`, which
 * reads like a broken Redis. The check runs on every connect (`INFO cluster`), so a process
 * says what to set instead of failing request by request.
 *
 * Why not switch to cluster mode by itself: one URL is one seed node, and a client started from
 * it cannot start while that node is down, which a list of seeds survives; a URL's database
 * number has no cluster form. Asking for DTQ_REDIS_CLUSTER_NODES keeps one way to configure a
 * cluster.
 */
import { ConfigError } from '../../contract/env.ts';
import type { RedisClient } from './redis-client.ts';
import { describeRedisTarget, REDIS_ENV, type RedisTarget, urlTarget } from './redis-target.ts';

/** True when the text of `INFO cluster` says the server runs in cluster mode. */
export function isClusterEnabled(info: string): boolean {
  return /^cluster_enabled:1\s*$/m.test(info);
}

/**
 * The error a URL that leads to a cluster node is reported with: a configuration error found by
 * asking the server, like any other wrong setting (DTQ_ERR_CONFIG_INVALID), its password hidden.
 */
export function clusterNodeError(target: RedisTarget | string): ConfigError {
  const resolved = typeof target === 'string' ? urlTarget(target) : target;
  return new ConfigError(
    REDIS_ENV.URL,
    describeRedisTarget(resolved),
    `one Redis server, not a node of a Redis Cluster (which refuses the keys of the other nodes' slots with MOVED): set ${REDIS_ENV.CLUSTER_NODES}=host:port,… (several seed nodes) instead of ${REDIS_ENV.URL}`,
  );
}

/**
 * On every connect of `client`, ask the server whether it is a cluster node, and call `onFound`
 * if so. Only a URL target is checked: a cluster target is meant to be one, and a Sentinel's
 * master cannot be. A server that refuses `INFO` (renamed by a managed service) is not judged.
 */
export function watchForClusterNode(
  client: RedisClient,
  target: RedisTarget | string,
  onFound: (error: ConfigError) => void,
): void {
  if (typeof target !== 'string' && target.kind !== 'url') return;
  client.on('ready', () => {
    client.info('cluster').then(
      (info) => {
        if (isClusterEnabled(info)) onFound(clusterNodeError(target));
      },
      () => {},
    );
  });
}
