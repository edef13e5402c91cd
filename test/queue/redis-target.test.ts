import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../contract/env.ts';
import {
  DEFAULT_REDIS_URL,
  describeRedisTarget,
  explainRedisError,
  parseHostPorts,
  redisTargetEnv,
  redisTargetFromEnv,
} from '../../workload/queue/redis-target.ts';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('redis target from the environment', () => {
  it('defaults to a Redis on this host', () => {
    expect(redisTargetFromEnv({})).toEqual({ kind: 'url', url: DEFAULT_REDIS_URL });
  });

  it('takes a URL, a list of cluster nodes, or sentinels with a master name', () => {
    expect(redisTargetFromEnv({ DTQ_REDIS_URL: 'rediss://:pw@cache:6380/2' })).toEqual({
      kind: 'url',
      url: 'rediss://:pw@cache:6380/2',
    });
    expect(redisTargetFromEnv({ DTQ_REDIS_CLUSTER_NODES: 'a:7000, b:7001,[::1]:7002' })).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    });
    expect(
      redisTargetFromEnv({
        DTQ_REDIS_SENTINELS: 's1:26379,s2:26379',
        DTQ_REDIS_SENTINEL_MASTER: 'dtq',
        DTQ_REDIS_PASSWORD: 'secret',
      }),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'dtq',
      password: 'secret',
    });
  });

  it('names both variables when two ways to reach Redis are set', () => {
    const error = configError(() =>
      redisTargetFromEnv({ DTQ_REDIS_URL: 'redis://x:1', DTQ_REDIS_CLUSTER_NODES: 'a:1' }),
    );
    expect(error.code).toBe('DTQ_ERR_CONFIG_INVALID');
    expect(error.message).toContain('DTQ_REDIS_URL and DTQ_REDIS_CLUSTER_NODES are both set');
  });

  it('asks for the master name when only sentinels are given, and for sentinels when only a name is', () => {
    expect(configError(() => redisTargetFromEnv({ DTQ_REDIS_SENTINELS: 's:26379' })).message).toMatch(
      /^DTQ_REDIS_SENTINEL_MASTER="" is not valid: expected the master name/,
    );
    expect(configError(() => redisTargetFromEnv({ DTQ_REDIS_SENTINEL_MASTER: 'dtq' })).message).toContain(
      'to be set together with DTQ_REDIS_SENTINELS',
    );
  });

  it('quotes the entry that is not host:port and names its variable', () => {
    const error = configError(() => redisTargetFromEnv({ DTQ_REDIS_CLUSTER_NODES: 'a:7000,b' }));
    expect(error.message).toMatch(/^DTQ_REDIS_CLUSTER_NODES="a:7000,b" is not valid: .*"b" is not one/);
    expect(() => parseHostPorts('X', 'a:0')).toThrow(ConfigError);
    expect(() => parseHostPorts('X', 'a:65536')).toThrow(ConfigError);
    expect(() => parseHostPorts('X', ' , ')).toThrow(ConfigError);
  });

  it('refuses a URL that is not redis:// without echoing its password', () => {
    const error = configError(() => redisTargetFromEnv({ DTQ_REDIS_URL: 'http://user:hunter2@cache:6379' }));
    expect(error.message).toContain('DTQ_REDIS_URL=');
    expect(error.message).not.toContain('hunter2');
  });

  it('takes the absolute path of a Unix socket as the URL, and refuses a relative one', () => {
    expect(redisTargetFromEnv({ DTQ_REDIS_URL: '/var/run/redis/redis.sock' })).toEqual({
      kind: 'url',
      url: '/var/run/redis/redis.sock',
    });
    expect(() => redisTargetFromEnv({ DTQ_REDIS_URL: 'var/redis.sock' })).toThrow(ConfigError);
  });

  it('refuses DTQ_REDIS_PASSWORD beside a URL (the URL carries its own) without echoing it', () => {
    const error = configError(() => redisTargetFromEnv({ DTQ_REDIS_PASSWORD: 'hunter2' }));
    expect(error.message).toContain('DTQ_REDIS_PASSWORD');
    expect(error.message).not.toContain('hunter2');
  });

  it('describes a target for logs without its password', () => {
    expect(describeRedisTarget({ kind: 'url', url: 'redis://:hunter2@cache:6379' })).not.toContain('hunter2');
    expect(describeRedisTarget({ kind: 'cluster', nodes: [{ host: '::1', port: 7000 }], password: 'hunter2' })).toBe(
      'Redis Cluster [::1]:7000',
    );
    expect(
      describeRedisTarget({ kind: 'sentinel', sentinels: [{ host: 's', port: 1 }], masterName: 'dtq', password: 'x' }),
    ).toBe('Sentinel master "dtq" via s:1');
  });

  it('writes the environment that reads back as the same target, for a child process', () => {
    const targets = [
      { kind: 'url', url: 'redis://:pw@cache:6379/1' },
      {
        kind: 'cluster',
        nodes: [
          { host: 'a', port: 7000 },
          { host: '::1', port: 7001 },
        ],
        password: 'pw',
      },
      { kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], masterName: 'dtq' },
      { kind: 'sentinel', sentinels: [{ host: 's1', port: 1 }], masterName: 'm', password: 'a', sentinelPassword: 'b' },
    ] as const;
    for (const target of targets) expect(redisTargetFromEnv(redisTargetEnv(target))).toEqual(target);
  });

  it('refuses DTQ_REDIS_SENTINEL_PASSWORD without sentinels, without echoing it', () => {
    const error = configError(() =>
      redisTargetFromEnv({ DTQ_REDIS_URL: 'redis://x:1', DTQ_REDIS_SENTINEL_PASSWORD: 'hunter2' }),
    );
    expect(error.message).toContain('DTQ_REDIS_SENTINEL_PASSWORD');
    expect(error.message).toContain('together with DTQ_REDIS_SENTINELS');
    expect(error.message).not.toContain('hunter2');
  });

  it('names the password setting to check when Redis or the sentinels refuse authentication', () => {
    const sentinel = { kind: 'sentinel', sentinels: [{ host: 's', port: 1 }], masterName: 'm' } as const;
    const refused =
      'All sentinels are unreachable. Retrying from scratch after 800ms. Last error: NOAUTH Authentication required.';
    expect(explainRedisError(sentinel, refused)).toBe(
      `${refused} (the sentinels require a password: set DTQ_REDIS_SENTINEL_PASSWORD)`,
    );
    expect(explainRedisError({ ...sentinel, sentinelPassword: 'x' }, refused)).toContain(
      'the sentinels refused DTQ_REDIS_SENTINEL_PASSWORD',
    );
    expect(explainRedisError({ kind: 'cluster', nodes: [] }, 'NOAUTH Authentication required.')).toContain(
      'Redis requires a password: set DTQ_REDIS_PASSWORD',
    );
    expect(
      explainRedisError({ kind: 'url', url: 'redis://x:1' }, 'WRONGPASS invalid username-password pair'),
    ).toContain('check the password in DTQ_REDIS_URL');
    expect(explainRedisError(sentinel, 'connect ECONNREFUSED 127.0.0.1:1')).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });

  describe('TLS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-redis-ca-'));
    const caFile = join(dir, 'ca.crt');
    const pem = '-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n';
    writeFileSync(caFile, pem);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('turns TLS on for a cluster or sentinels with DTQ_REDIS_TLS, trusting the CA of DTQ_REDIS_CA', () => {
      expect(redisTargetFromEnv({ DTQ_REDIS_CLUSTER_NODES: 'a:1', DTQ_REDIS_TLS: '1' })).toEqual({
        kind: 'cluster',
        nodes: [{ host: 'a', port: 1 }],
        tls: {},
      });
      const sentinel = redisTargetFromEnv({
        DTQ_REDIS_SENTINELS: 's:1',
        DTQ_REDIS_SENTINEL_MASTER: 'm',
        DTQ_REDIS_CA: caFile,
      });
      expect(sentinel).toMatchObject({ kind: 'sentinel', tls: { ca: pem, caFile } });
      expect(redisTargetFromEnv(redisTargetEnv(sentinel))).toEqual(sentinel);
    });

    it('takes a CA for a rediss:// URL, and refuses TLS settings beside a redis:// URL', () => {
      const url = redisTargetFromEnv({ DTQ_REDIS_URL: 'rediss://cache:6380', DTQ_REDIS_CA: caFile });
      expect(url).toEqual({ kind: 'url', url: 'rediss://cache:6380', tls: { ca: pem, caFile } });
      expect(redisTargetFromEnv(redisTargetEnv(url))).toEqual(url);
      const error = configError(() => redisTargetFromEnv({ DTQ_REDIS_URL: 'redis://cache:6379', DTQ_REDIS_TLS: '1' }));
      expect(error.message).toMatch(/^DTQ_REDIS_TLS="1" is not valid: .*rediss:\/\/ URL/);
    });

    it('names DTQ_REDIS_CA when its file cannot be read or holds no certificate', () => {
      const missing = configError(() =>
        redisTargetFromEnv({ DTQ_REDIS_CLUSTER_NODES: 'a:1', DTQ_REDIS_CA: join(dir, 'missing.crt') }),
      );
      expect(missing.message).toMatch(/^DTQ_REDIS_CA=".*missing\.crt" is not valid: .*\(ENOENT\)/);
      const notPem = join(dir, 'key.txt');
      writeFileSync(notPem, 'not a certificate');
      expect(() => redisTargetFromEnv({ DTQ_REDIS_CLUSTER_NODES: 'a:1', DTQ_REDIS_CA: notPem })).toThrow(
        /DTQ_REDIS_CA=.* a PEM file of a CA certificate/,
      );
    });

    it('names DTQ_REDIS_CA when a certificate is refused', () => {
      const target = { kind: 'cluster', nodes: [], tls: {} } as const;
      expect(explainRedisError(target, 'self-signed certificate in certificate chain')).toContain(
        'set DTQ_REDIS_CA to the PEM file of the CA',
      );
      expect(explainRedisError({ ...target, tls: { ca: pem } }, 'unable to verify the first certificate')).toContain(
        'not signed by the CA of DTQ_REDIS_CA',
      );
    });
  });
});
