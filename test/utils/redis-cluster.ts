/**
 * Real Redis Cluster and Sentinel deployments on loopback for integration tests, made of
 * `redis-server` processes this module starts and kills:
 * - a cluster of 3 masters + 3 replicas (`--cluster-enabled yes`, joined by
 *   `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes`);
 * - a master + 2 replicas watched by 3 sentinels (`redis-server <conf> --sentinel`); the replicas
 *   replicate through a relay that a test can hold or cut, to make a failover lose writes.
 * Each process has its own port and directory; `close()` kills them all and removes the files.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { type ClusterTarget, redisTargetEnv, type SentinelTarget } from '../../workload/queue/redis-target.ts';
import { freePort } from './free-port.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

/** One redis-server process. */
export interface RedisProcess {
  readonly port: number;
  /** The server's process id. */
  readonly pid: number | undefined;
  /** True until killed. */
  readonly alive: boolean;
  /** SIGKILL: a crash, nothing flushed, no goodbye to the cluster or the sentinels. */
  kill(): Promise<void>;
}

class Server implements RedisProcess {
  readonly port: number;
  readonly #child: ChildProcess;
  constructor(port: number, args: readonly string[]) {
    this.port = port;
    this.#child = spawn('redis-server', args, { stdio: 'ignore' });
    this.#child.on('error', () => {});
  }
  get pid(): number | undefined {
    return this.#child.pid;
  }
  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }
  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGKILL');
    await exited;
  }
}

/** True when `port` can be bound on loopback right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port whose cluster bus port (port + 10000) is free too. `redis-cli --cluster create`
 * introduces the nodes by CLUSTER MEET without a bus port, so a node's bus must sit at the
 * default offset, and an ephemeral port (above 55535) would push it past 65535.
 */
async function freeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 25_000);
    if ((await canBind(port)) && (await canBind(port + 10_000))) return port;
  }
  throw new Error('no free port pair (port, port + 10000) between 20000 and 55000');
}

/** The replication stream between a master and its replicas, held or cut on demand. */
export interface ReplicationLink {
  /** Stop forwarding what the master sends: its writes from now on reach no replica. */
  hold(): void;
  /** Drop every connection and what was held in them, as a network partition would. */
  cut(): void;
}

/** A TCP relay the replicas replicate through, so a test can hold back what they receive. */
async function startReplicationLink(masterPort: number): Promise<{ port: number; link: ReplicationLink }> {
  const sockets = new Set<Socket>();
  const upstreams = new Set<Socket>();
  let held = false;
  const server: NetServer = createServer((replica) => {
    const master = createConnection({ port: masterPort, host: '127.0.0.1' });
    for (const socket of [replica, master]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        replica.destroy();
        master.destroy();
      });
    }
    upstreams.add(master);
    if (held) master.pause();
    replica.pipe(master);
    master.pipe(replica);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    link: {
      hold: () => {
        held = true;
        for (const master of upstreams) master.pause();
      },
      cut: () => {
        server.close();
        for (const socket of sockets) socket.destroy();
      },
    },
  };
}

/** The CA to trust on ports that speak TLS only (a TLS cluster's nodes). */
const TLS_CA_BY_PORT = new Map<number, string>();

/** A short-lived admin connection to one server: run `use`, then close. */
async function withAdmin<T>(port: number, use: (redis: Redis) => Promise<T>, password?: string): Promise<T> {
  const ca = TLS_CA_BY_PORT.get(port);
  const redis = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...(password === undefined ? {} : { password }),
    ...(ca === undefined ? {} : { tls: { ca } }),
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** `INFO <section>` as a map of its fields, or undefined when the server does not answer. */
async function infoOf(port: number, section: string): Promise<Record<string, string> | undefined> {
  try {
    const text = await withAdmin(port, (redis) => redis.info(section));
    return Object.fromEntries(
      text
        .split('\r\n')
        .filter((line) => line.includes(':'))
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
    );
  } catch {
    return undefined;
  }
}

/** Run one command on one server. */
export function commandOn(port: number, command: string, ...args: (string | number)[]): Promise<unknown> {
  return withAdmin(port, (redis) => redis.call(command, ...args));
}

const BASE_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'];

/** A running Redis Cluster. */
export interface TestRedisCluster {
  readonly target: ClusterTarget;
  /** DTQ_REDIS_CLUSTER_NODES for a child process. */
  readonly env: Record<string, string>;
  readonly nodes: readonly RedisProcess[];
  /** Ports of the nodes that are masters now and own slots. */
  masters(): Promise<number[]>;
  /** The node that serves `slot` now (its master), as a living node sees the cluster. */
  ownerOf(slot: number): Promise<RedisProcess>;
  close(): Promise<void>;
}

/** Certificate files for a cluster that speaks TLS only (clients, cluster bus and replication). */
export interface ClusterTlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Start 3 masters + 3 replicas and join them into a cluster whose state is ok on every node;
 * with `tls`, every port speaks TLS only, with that certificate, and the target trusts its CA.
 */
export async function startRedisCluster(
  options: { nodeTimeoutMs?: number; tls?: ClusterTlsFiles } = {},
): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-redis-cluster-'));
  const nodes: Server[] = [];
  const { tls } = options;
  const ca = tls === undefined ? undefined : readFileSync(tls.caFile, 'utf8');
  const portArgs = (port: number): string[] =>
    tls === undefined
      ? ['--port', String(port)]
      : [
          ...['--port', '0', '--tls-port', String(port)],
          ...['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile],
          ...['--tls-cluster', 'yes', '--tls-replication', 'yes', '--tls-auth-clients', 'no'],
        ];
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freeClusterPort();
      if (ca !== undefined) TLS_CA_BY_PORT.set(port, ca);
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      nodes.push(
        new Server(port, [
          ...portArgs(port),
          '--dir',
          nodeDir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          String(options.nodeTimeoutMs ?? 2000),
          // Start a replica's first sync at once instead of waiting 5 s for more replicas.
          '--repl-diskless-sync-delay',
          '0',
          ...BASE_ARGS,
        ]),
      );
    }
    for (const node of nodes) {
      await waitFor(`cluster node ${node.port}`, async () => (await infoOf(node.port, 'server')) !== undefined);
    }
    await run(
      'redis-cli',
      [
        ...(tls === undefined ? [] : ['--tls', '--cacert', tls.caFile]),
        ...['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`)],
        ...['--cluster-replicas', '1', '--cluster-yes'],
      ],
      { timeout: 60_000 },
    );
    for (const node of nodes) {
      await waitFor(`cluster_state:ok on ${node.port}`, () => clusterStateOk(node.port), {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
    }
    // Replicas attach after the slots are assigned; a master without a replica that has synced
    // cannot fail over ("Disconnected from master for longer than allowed").
    await waitFor('a replica of every master', () => everyMasterReplicated(nodes[0]?.port ?? 0), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    for (const node of nodes) {
      await waitFor(
        `node ${node.port} to be a master or a replica in sync`,
        async () => {
          const info = await infoOf(node.port, 'replication');
          return info?.role === 'master' || info?.master_link_status === 'up';
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
    }
  } catch (error) {
    await Promise.all(nodes.map((n) => n.kill()));
    for (const node of nodes) TLS_CA_BY_PORT.delete(node.port);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const target: ClusterTarget = {
    kind: 'cluster',
    nodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    ...(tls === undefined || ca === undefined ? {} : { tls: { ca, caFile: tls.caFile } }),
  };
  return {
    target,
    env: redisTargetEnv(target),
    nodes,
    masters: async () => {
      const alive = nodes.find((n) => n.alive);
      if (alive === undefined) return [];
      const text = String(await commandOn(alive.port, 'CLUSTER', 'NODES'));
      return text
        .split('\n')
        .map((line) => line.split(' '))
        .filter((f) => f[2]?.includes('master') && !f[2].includes('fail') && f.length > 8)
        .map((f) => Number(f[1]?.split(':')[1]?.split('@')[0]));
    },
    ownerOf: async (slot) => {
      const alive = nodes.find((n) => n.alive);
      if (alive === undefined) throw new Error('no cluster node is running');
      const ranges = (await commandOn(alive.port, 'CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const range = ranges.find(([start, end]) => start <= slot && slot <= end);
      const node = nodes.find((n) => n.port === Number(range?.[2][1]));
      if (node === undefined) throw new Error(`no node serves slot ${slot}`);
      return node;
    },
    close: async () => {
      await Promise.all(nodes.map((n) => n.kill()));
      for (const node of nodes) TLS_CA_BY_PORT.delete(node.port);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function everyMasterReplicated(port: number): Promise<boolean> {
  const lines = String(await commandOn(port, 'CLUSTER', 'NODES'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' '));
  const masters = lines.filter((f) => f[2]?.includes('master')).map((f) => f[0]);
  const replicated = new Set(lines.filter((f) => f[2]?.includes('slave') && f[3] !== '-').map((f) => f[3]));
  return masters.length === 3 && masters.every((id) => replicated.has(id));
}

async function clusterStateOk(port: number): Promise<boolean> {
  const info = await commandOn(port, 'CLUSTER', 'INFO').catch(() => '');
  return String(info).includes('cluster_state:ok');
}

/** A running master + replicas + sentinels. */
export interface TestRedisSentinel {
  readonly target: SentinelTarget;
  /** DTQ_REDIS_SENTINELS and DTQ_REDIS_SENTINEL_MASTER for a child process. */
  readonly env: Record<string, string>;
  readonly masterName: string;
  /** The data servers, the first started as master. */
  readonly servers: readonly RedisProcess[];
  readonly sentinels: readonly RedisProcess[];
  /** What the first master sends its replicas passes through here. */
  readonly replication: ReplicationLink;
  /** The port of the master as the sentinels see it now. */
  masterPort(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Start a master, `replicas` replicas of it and 3 sentinels that agree (quorum 2) when it is down;
 * with `sentinelPassword`, the sentinels require it of clients and of each other.
 */
export async function startRedisSentinel(
  options: { replicas?: number; downAfterMs?: number; sentinelPassword?: string; tls?: ClusterTlsFiles } = {},
): Promise<TestRedisSentinel> {
  const { sentinelPassword, tls } = options;
  const ca = tls === undefined ? undefined : readFileSync(tls.caFile, 'utf8');
  const tlsArgs =
    tls === undefined
      ? []
      : [
          ...['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile],
          ...['--tls-replication', 'yes', '--tls-auth-clients', 'no'],
        ];
  const portArgs = (port: number): string[] =>
    tls === undefined ? ['--port', String(port)] : ['--port', '0', '--tls-port', String(port), ...tlsArgs];
  const ports: number[] = [];
  const claim = async (port?: number): Promise<number> => {
    const claimed = port ?? (await freePort());
    ports.push(claimed);
    if (ca !== undefined) TLS_CA_BY_PORT.set(claimed, ca);
    return claimed;
  };
  const onSentinel = (port: number, ...args: string[]): Promise<unknown> =>
    withAdmin(port, (redis) => redis.call('SENTINEL', ...args), sentinelPassword);
  const dir = mkdtempSync(join(tmpdir(), 'dtq-redis-sentinel-'));
  const masterName = 'dtq';
  const servers: Server[] = [];
  const sentinels: Server[] = [];
  const closeAll = async () => {
    replication?.cut();
    await Promise.all([...servers, ...sentinels].map((s) => s.kill()));
    for (const port of ports) TLS_CA_BY_PORT.delete(port);
    rmSync(dir, { recursive: true, force: true });
  };
  let replication: ReplicationLink | undefined;
  try {
    const masterPort = await claim();
    const relay = await startReplicationLink(masterPort);
    replication = relay.link;
    for (let i = 0; i <= (options.replicas ?? 2); i++) {
      const port = i === 0 ? masterPort : await claim();
      const serverDir = join(dir, String(port));
      mkdirSync(serverDir);
      const replicaOf = i === 0 ? [] : ['--replicaof', '127.0.0.1', String(relay.port)];
      servers.push(new Server(port, [...portArgs(port), '--dir', serverDir, ...replicaOf, ...BASE_ARGS]));
    }
    for (const server of servers.slice(1)) {
      await waitFor(
        `replica ${server.port} in sync`,
        async () => (await infoOf(server.port, 'replication'))?.master_link_status === 'up',
        { timeoutMs: 20_000, intervalMs: 100 },
      );
    }
    for (let i = 0; i < 3; i++) {
      const port = await claim();
      // A sentinel rewrites its config file with what it learns, so each gets its own.
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          ...(tls === undefined
            ? [`port ${port}`]
            : [
                'port 0',
                `tls-port ${port}`,
                `tls-cert-file ${tls.certFile}`,
                `tls-key-file ${tls.keyFile}`,
                `tls-ca-cert-file ${tls.caFile}`,
                'tls-replication yes',
                'tls-auth-clients no',
              ]),
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          ...(sentinelPassword === undefined
            ? []
            : [`requirepass ${sentinelPassword}`, `sentinel sentinel-pass ${sentinelPassword}`]),
          '',
        ].join('\n'),
      );
      sentinels.push(new Server(port, [conf, '--sentinel']));
    }
    for (const sentinel of sentinels) {
      await waitFor(
        `sentinel ${sentinel.port} to see the replicas and the other sentinels`,
        async () => {
          const master = (await onSentinel(sentinel.port, 'MASTER', masterName)) as string[];
          const field = (name: string) => Number(master[master.indexOf(name) + 1]);
          return field('num-slaves') === servers.length - 1 && field('num-other-sentinels') === sentinels.length - 1;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  const target: SentinelTarget = {
    kind: 'sentinel',
    sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    masterName,
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
    ...(tls === undefined || ca === undefined ? {} : { tls: { ca, caFile: tls.caFile } }),
  };
  return {
    target,
    env: redisTargetEnv(target),
    masterName,
    servers,
    sentinels,
    replication: replication as ReplicationLink,
    masterPort: async () => {
      const sentinel = sentinels.find((s) => s.alive);
      if (sentinel === undefined) throw new Error('no sentinel is running');
      const [, port] = (await onSentinel(sentinel.port, 'GET-MASTER-ADDR-BY-NAME', masterName)) as string[];
      return Number(port);
    },
    close: closeAll,
  };
}
