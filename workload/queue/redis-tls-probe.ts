/**
 * Why a TLS Redis Cluster cannot be reached, when ioredis cannot say: its cluster client reports
 * a certificate it refused only as "Failed to refresh slots cache" ("Connection is closed" from
 * every node). On that error this module makes one TLS handshake with a seed node, with the
 * target's trust, and reports the certificate problem it finds in words that name DTQ_REDIS_CA.
 */
import { connect } from 'node:tls';
import { isTlsErrorCode } from '../../contract/http-client.ts';
import type { RedisClient } from './redis-client.ts';
import { explainRedisError, type HostPort, type RedisTarget, type RedisTls } from './redis-target.ts';

/** How long the probe's handshake may take. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * The certificate error of a TLS handshake with `node` under `tls`, or undefined when the
 * handshake succeeds or fails for another reason (unreachable, timed out).
 */
function tlsHandshakeProblem(node: HostPort, tls: RedisTls): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({
      host: node.host,
      port: node.port,
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      timeout: PROBE_TIMEOUT_MS,
    });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.once('secureConnect', () => done(undefined));
    socket.once('timeout', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(error.code !== undefined && isTlsErrorCode(error.code) ? `${error.code}: ${error.message}` : undefined),
    );
  });
}

/**
 * When `client` (of a TLS cluster target) reports that no node answered, find out whether a
 * certificate was refused, and call `onProblem` with the explained reason: once until the client
 * is ready again, one probe at a time.
 */
export function watchClusterTls(client: RedisClient, target: RedisTarget, onProblem: (reason: string) => void): void {
  if (target.kind !== 'cluster' || target.tls === undefined || target.nodes[0] === undefined) return;
  const { tls } = target;
  const seed = target.nodes[0];
  let probing = false;
  let reported = false;
  client.on('ready', () => {
    reported = false;
  });
  client.on('error', (error: Error) => {
    if (probing || reported || error.name !== 'ClusterAllFailedError') return;
    probing = true;
    void tlsHandshakeProblem(seed, tls).then((problem) => {
      probing = false;
      if (problem === undefined || client.status === 'ready') return;
      reported = true;
      onProblem(explainRedisError(target, problem));
    });
  });
}
