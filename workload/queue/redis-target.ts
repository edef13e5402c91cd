/**
 * Where Redis is, as the environment says it: one server by URL, a Redis Cluster by its seed
 * nodes, or a Sentinel-managed master by its sentinels and master name. Pure: parsing only;
 * redis-client.ts turns a target into an ioredis client.
 */
import { ConfigError, envOptional } from '../../contract/env.ts';
import { redactUrl } from '../../contract/redact.ts';

/** A host and port of a seed node or a sentinel. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Redis reached through one URL (`redis://` or `rediss://`, credentials and db in the URL), or
 * through a Unix socket given by its absolute path (ioredis reads a path as a socket).
 */
export interface UrlTarget {
  readonly kind: 'url';
  readonly url: string;
}

/** A Redis Cluster: any reachable seed node gives ioredis the whole slot map. */
export interface ClusterTarget {
  readonly kind: 'cluster';
  readonly nodes: readonly HostPort[];
  /** AUTH password of the data nodes (DTQ_REDIS_PASSWORD). */
  readonly password?: string;
}

/** A master watched by Sentinel: ioredis asks the sentinels where the master is, again after a failover. */
export interface SentinelTarget {
  readonly kind: 'sentinel';
  readonly sentinels: readonly HostPort[];
  /** The name the sentinels monitor the master under (`sentinel monitor <name> …`). */
  readonly masterName: string;
  /** AUTH password of the master and replicas (DTQ_REDIS_PASSWORD). */
  readonly password?: string;
  /** AUTH password of the sentinels themselves, when they require one (DTQ_REDIS_SENTINEL_PASSWORD). */
  readonly sentinelPassword?: string;
}

/** One of the three ways to reach Redis. */
export type RedisTarget = UrlTarget | ClusterTarget | SentinelTarget;

/** The variables that choose a target; at most one of the first three may be set. */
export const REDIS_ENV = {
  URL: 'DTQ_REDIS_URL',
  CLUSTER_NODES: 'DTQ_REDIS_CLUSTER_NODES',
  SENTINELS: 'DTQ_REDIS_SENTINELS',
  SENTINEL_MASTER: 'DTQ_REDIS_SENTINEL_MASTER',
  PASSWORD: 'DTQ_REDIS_PASSWORD',
  SENTINEL_PASSWORD: 'DTQ_REDIS_SENTINEL_PASSWORD',
} as const;

/** The target when nothing is set: a Redis on this host's default port. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** A URL target; a plain string given where a target is expected means this. */
export function urlTarget(url: string): UrlTarget {
  return { kind: 'url', url };
}

/** Read the target from DTQ_REDIS_URL, DTQ_REDIS_CLUSTER_NODES or DTQ_REDIS_SENTINELS (+ _MASTER). */
export function redisTargetFromEnv(env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const url = envOptional(REDIS_ENV.URL, env);
  const nodes = envOptional(REDIS_ENV.CLUSTER_NODES, env);
  const sentinels = envOptional(REDIS_ENV.SENTINELS, env);
  const master = envOptional(REDIS_ENV.SENTINEL_MASTER, env);
  const password = envOptional(REDIS_ENV.PASSWORD, env);
  const sentinelPassword = envOptional(REDIS_ENV.SENTINEL_PASSWORD, env);
  const set = [
    [REDIS_ENV.URL, url],
    [REDIS_ENV.CLUSTER_NODES, nodes],
    [REDIS_ENV.SENTINELS, sentinels],
  ].filter(([, value]) => value !== undefined);
  if (set.length > 1) {
    const [name, value] = set[1] as [string, string];
    throw new ConfigError(
      name,
      value,
      `only one of ${REDIS_ENV.URL}, ${REDIS_ENV.CLUSTER_NODES} and ${REDIS_ENV.SENTINELS} (${set.map(([n]) => n).join(' and ')} are both set)`,
    );
  }
  if (sentinelPassword !== undefined && sentinels === undefined) {
    throw new ConfigError(REDIS_ENV.SENTINEL_PASSWORD, '<hidden>', `to be set together with ${REDIS_ENV.SENTINELS}`);
  }
  if (master !== undefined && sentinels === undefined) {
    throw new ConfigError(REDIS_ENV.SENTINEL_MASTER, master, `to be set together with ${REDIS_ENV.SENTINELS}`);
  }
  if (nodes !== undefined) {
    return withPassword({ kind: 'cluster', nodes: parseHostPorts(REDIS_ENV.CLUSTER_NODES, nodes) }, password);
  }
  if (sentinels !== undefined) {
    if (master === undefined) {
      throw new ConfigError(
        REDIS_ENV.SENTINEL_MASTER,
        '',
        `the master name the sentinels monitor (sentinel monitor <name> …), required with ${REDIS_ENV.SENTINELS}`,
      );
    }
    const parsed = parseHostPorts(REDIS_ENV.SENTINELS, sentinels);
    const target = withPassword({ kind: 'sentinel', sentinels: parsed, masterName: master }, password);
    return sentinelPassword === undefined ? target : { ...target, sentinelPassword };
  }
  if (password !== undefined) {
    // A URL carries its own credentials; a second place for them would let the two disagree.
    throw new ConfigError(
      REDIS_ENV.PASSWORD,
      '<hidden>',
      `to be used with ${REDIS_ENV.CLUSTER_NODES} or ${REDIS_ENV.SENTINELS}; put a URL's password in the URL (redis://:password@host:port)`,
    );
  }
  const chosen = url ?? DEFAULT_REDIS_URL;
  if (!/^rediss?:\/\/[^/?#]/.test(chosen) && !/^\/[^\0]+$/.test(chosen)) {
    throw new ConfigError(
      REDIS_ENV.URL,
      redactUrl(chosen),
      'a redis:// or rediss:// URL such as redis://host:6379, or the absolute path of a Unix socket',
    );
  }
  return urlTarget(chosen);
}

/**
 * The variables that choose `target`, as {@link redisTargetFromEnv} reads them back: what a
 * parent process puts in a child's environment to send it to the same Redis.
 */
export function redisTargetEnv(target: RedisTarget): Record<string, string> {
  const password = (t: ClusterTarget | SentinelTarget): Record<string, string> =>
    t.password === undefined ? {} : { [REDIS_ENV.PASSWORD]: t.password };
  switch (target.kind) {
    case 'url':
      return { [REDIS_ENV.URL]: target.url };
    case 'cluster':
      return { [REDIS_ENV.CLUSTER_NODES]: list(target.nodes), ...password(target) };
    case 'sentinel':
      return {
        [REDIS_ENV.SENTINELS]: list(target.sentinels),
        [REDIS_ENV.SENTINEL_MASTER]: target.masterName,
        ...password(target),
        ...(target.sentinelPassword === undefined ? {} : { [REDIS_ENV.SENTINEL_PASSWORD]: target.sentinelPassword }),
      };
  }
}

function withPassword<T extends ClusterTarget | SentinelTarget>(target: T, password: string | undefined): T {
  return password === undefined ? target : { ...target, password };
}

/** `host:port,host:port`, IPv6 hosts in brackets: the form parseHostPorts reads. */
function list(nodes: readonly HostPort[]): string {
  return nodes.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)).join(',');
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

/** Parse `host:port,host:port` (IPv6 as `[::1]:port`); throws ConfigError naming `name`. */
export function parseHostPorts(name: string, value: string): HostPort[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigError(name, value, 'a comma-separated list of host:port');
  return entries.map((entry) => {
    const match = HOST_PORT.exec(entry);
    const port = Number(match?.[3]);
    if (match === null || port < 1 || port > 65_535) {
      throw new ConfigError(name, value, `a comma-separated list of host:port (${JSON.stringify(entry)} is not one)`);
    }
    return { host: (match[1] ?? match[2]) as string, port };
  });
}

/** The target for messages and logs: never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  switch (target.kind) {
    case 'url':
      return redactUrl(target.url);
    case 'cluster':
      return `Redis Cluster ${list(target.nodes)}`;
    case 'sentinel':
      return `Sentinel master "${target.masterName}" via ${list(target.sentinels)}`;
  }
}

const AUTH_REFUSED = /\b(?:NOAUTH|WRONGPASS)\b|invalid (?:username-)?password/i;

/**
 * A connection error's message with the setting to check when it is an authentication refusal:
 * ioredis reports a sentinel's refusal as "All sentinels are unreachable … Last error: NOAUTH",
 * which names neither the sentinels' password nor the variable that sets it.
 */
export function explainRedisError(target: RedisTarget, message: string): string {
  if (!AUTH_REFUSED.test(message)) return message;
  if (target.kind === 'sentinel' && /sentinel/i.test(message)) {
    const advice =
      target.sentinelPassword === undefined
        ? `the sentinels require a password: set ${REDIS_ENV.SENTINEL_PASSWORD}`
        : `the sentinels refused ${REDIS_ENV.SENTINEL_PASSWORD}`;
    return `${message} (${advice})`;
  }
  if (target.kind === 'url') return `${message} (check the password in ${REDIS_ENV.URL})`;
  const advice =
    target.password === undefined
      ? `Redis requires a password: set ${REDIS_ENV.PASSWORD}`
      : `check ${REDIS_ENV.PASSWORD}`;
  return `${message} (${advice})`;
}
