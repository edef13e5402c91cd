import { describe, expect, it } from 'vitest';
import { clusterNodeError, isClusterEnabled } from '../../workload/queue/redis-topology.ts';

describe('recognising a Redis Cluster node behind a URL', () => {
  it("reads cluster mode from INFO's cluster section", () => {
    expect(isClusterEnabled('# Cluster\r\ncluster_enabled:1\r\n')).toBe(true);
    expect(isClusterEnabled('# Cluster\r\ncluster_enabled:0\r\n')).toBe(false);
    expect(isClusterEnabled('')).toBe(false);
  });

  it('names the setting to use, with the URL shown without its password', () => {
    const error = clusterNodeError('redis://:hunter2@cache-0:6379');
    expect(error.code).toBe('DTQ_ERR_CONFIG_INVALID');
    expect(error.message).toMatch(
      /^DTQ_REDIS_URL="redis:\/\/[^"]*cache-0:6379" is not valid: expected one Redis server, not a node of a Redis Cluster/,
    );
    expect(error.message).toContain('set DTQ_REDIS_CLUSTER_NODES=host:port');
    expect(error.message).toContain('cache-0:6379');
    expect(error.message).not.toContain('hunter2');
  });
});
