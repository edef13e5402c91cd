/**
 * Where Redis is, as the environment says it: one server by URL, a Redis Cluster by its seed
 * nodes, or a Sentinel-managed master by its sentinels and master name, each over TLS if asked.
 * Parsing only, apart from reading the CA file DTQ_REDIS_CA names (so a missing one stops the
 * process at start, naming the variable); redis-client.ts turns a target into an ioredis client.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, envFlag, envOptional } from '../../contract/env.ts';
import { redactUrl } from '../../contract/redact.ts';

/** A host and port of a seed node or a sentinel. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** TLS to Redis: on, trusting the system's CAs or the PEM of `ca`. */
export interface RedisTls {
  /** PEM of the CA(s) to trust instead of the system's (the content of DTQ_REDIS_CA's file). */
  readonly ca?: string;
  /** The file `ca` was read from, passed on to child processes. */
  readonly caFile?: string;
}

/**
 * Redis reached through one URL (`redis://` or `rediss://`, credentials and db in the URL), or
 * through a Unix socket given by its absolute path (ioredis reads a path as a socket).
 */
export interface UrlTarget {
  readonly kind: 'url';
  readonly url: string;
  /** The CA to trust for a `rediss://` URL (TLS itself comes from the scheme). */
  readonly tls?: RedisTls;
}

/** A Redis Cluster: any reachable seed node gives ioredis the whole slot map. */
export interface ClusterTarget {
  readonly kind: 'cluster';
  readonly nodes: readonly HostPort[];
  /** AUTH password of the data nodes (DTQ_REDIS_PASSWORD). */
  readonly password?: string;
  /** TLS to every node (DTQ_REDIS_TLS, DTQ_REDIS_CA). */
  readonly tls?: RedisTls;
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
  /** TLS to the sentinels and to the master and replicas (DTQ_REDIS_TLS, DTQ_REDIS_CA). */
  readonly tls?: RedisTls;
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
  TLS: 'DTQ_REDIS_TLS',
  CA: 'DTQ_REDIS_CA',
} as const;

/** The target when nothing is set: a Redis on this host's default port. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** A URL target; a plain string given where a target is expected means this. */
export function urlTarget(url: string): UrlTarget {
  return { kind: 'url', url };
}

/** Read the target from DTQ_REDIS_URL, DTQ_REDIS_CLUSTER_NODES or DTQ_REDIS_SENTINELS (+ _MASTER), with its passwords and TLS. */
export function redisTargetFromEnv(env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const url = envOptional(REDIS_ENV.URL, env);
  const nodes = envOptional(REDIS_ENV.CLUSTER_NODES, env);
  const sentinels = envOptional(REDIS_ENV.SENTINELS, env);
  const master = envOptional(REDIS_ENV.SENTINEL_MASTER, env);
  const password = envOptional(REDIS_ENV.PASSWORD, env);
  const sentinelPassword = envOptional(REDIS_ENV.SENTINEL_PASSWORD, env);
  const tls = tlsFromEnv(env);
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
    const target = withPassword({ kind: 'cluster', nodes: parseHostPorts(REDIS_ENV.CLUSTER_NODES, nodes) }, password);
    return tls === undefined ? target : { ...target, tls };
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
    return {
      ...target,
      ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
      ...(tls === undefined ? {} : { tls }),
    };
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
  if (tls !== undefined && !chosen.startsWith('rediss://')) {
    // A URL says by its scheme whether it is TLS; a flag beside it would be a second answer.
    const name = envFlag(REDIS_ENV.TLS, false, env) ? REDIS_ENV.TLS : REDIS_ENV.CA;
    throw new ConfigError(
      name,
      envOptional(name, env) ?? '',
      `to be used with ${REDIS_ENV.CLUSTER_NODES} or ${REDIS_ENV.SENTINELS}, or with a rediss:// URL (TLS for a URL comes from its scheme)`,
    );
  }
  return tls === undefined ? urlTarget(chosen) : { kind: 'url', url: chosen, tls };
}

/** TLS as DTQ_REDIS_TLS and DTQ_REDIS_CA ask for it (a CA alone turns TLS on), or undefined. */
function tlsFromEnv(env: NodeJS.ProcessEnv): RedisTls | undefined {
  const on = envFlag(REDIS_ENV.TLS, false, env);
  const caFile = envOptional(REDIS_ENV.CA, env);
  if (caFile === undefined) return on ? {} : undefined;
  let ca: string;
  try {
    ca = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new ConfigError(
      REDIS_ENV.CA,
      caFile,
      `a readable PEM file of the CA that signed the Redis servers' certificates (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError(REDIS_ENV.CA, caFile, 'a PEM file of a CA certificate (-----BEGIN CERTIFICATE-----)');
  return { ca, caFile };
}

/**
 * The variables that choose `target`, as {@link redisTargetFromEnv} reads them back: what a
 * parent process puts in a child's environment to send it to the same Redis.
 */
export function redisTargetEnv(target: RedisTarget): Record<string, string> {
  const password = (t: ClusterTarget | SentinelTarget): Record<string, string> =>
    t.password === undefined ? {} : { [REDIS_ENV.PASSWORD]: t.password };
  const ca: Record<string, string> = target.tls?.caFile === undefined ? {} : { [REDIS_ENV.CA]: target.tls.caFile };
  const tls: Record<string, string> = target.tls === undefined ? {} : { [REDIS_ENV.TLS]: '1', ...ca };
  switch (target.kind) {
    case 'url':
      return { [REDIS_ENV.URL]: target.url, ...ca };
    case 'cluster':
      return { [REDIS_ENV.CLUSTER_NODES]: list(target.nodes), ...password(target), ...tls };
    case 'sentinel':
      return {
        [REDIS_ENV.SENTINELS]: list(target.sentinels),
        [REDIS_ENV.SENTINEL_MASTER]: target.masterName,
        ...password(target),
        ...(target.sentinelPassword === undefined ? {} : { [REDIS_ENV.SENTINEL_PASSWORD]: target.sentinelPassword }),
        ...tls,
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

const NOT_TLS = /wrong version number|ERR_SSL_WRONG_VERSION_NUMBER/i;
const TLS_REFUSED =
  /self[- ]signed certificate|unable to (?:verify|get (?:local )?issuer)|certificate (?:has expired|signature failure)|ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match/i;
const AUTH_REFUSED = /\b(?:NOAUTH|WRONGPASS)\b|invalid (?:username-)?password/i;

/**
 * A connection error's message with the setting to check when it is an authentication refusal:
 * ioredis reports a sentinel's refusal as "All sentinels are unreachable … Last error: NOAUTH",
 * which names neither the sentinels' password nor the variable that sets it.
 */
export function explainRedisError(target: RedisTarget, message: string): string {
  if (NOT_TLS.test(message))
    return `${message} (the server does not speak TLS on that port: unset ${REDIS_ENV.TLS} or give its TLS port)`;
  if (TLS_REFUSED.test(message)) {
    const advice =
      target.tls?.ca === undefined
        ? `set ${REDIS_ENV.CA} to the PEM file of the CA that signed the Redis servers' certificates`
        : `the certificate is not signed by the CA of ${REDIS_ENV.CA}`;
    return `${message} (${advice})`;
  }
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
