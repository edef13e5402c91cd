/**
 * The producer's Redis connection, tuned to fail fast: an HTTP request must get a 503 within a
 * second while Redis is down instead of waiting in a queue of unsent commands, and the
 * connection must come back by itself when Redis does. It also reports outages and recoveries
 * as `dependency.unavailable` / `dependency.recovered`, once per transition.
 */
import { once } from 'node:events';
import type { Logger } from 'pino';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { errorFields, logEvent } from '../../instrumentation/logger.ts';
import { createRedisClient, type RedisClient } from './redis-client.ts';
import { explainRedisError, type RedisTarget, urlTarget } from './redis-target.ts';
import { watchClusterTls } from './redis-tls-probe.ts';
import { watchForClusterNode } from './redis-topology.ts';

/** How long a TCP connect to Redis may take before it counts as failed. */
export const REDIS_CONNECT_TIMEOUT_MS = 1000;
/** Longest pause between reconnect attempts, so recovery is noticed within about a second. */
export const REDIS_MAX_RECONNECT_DELAY_MS = 1000;

/** A Redis connection and whether it can take commands right now. */
export interface ProducerRedis {
  readonly client: RedisClient;
  /** True while the connection is ready for commands. */
  isAvailable(): boolean;
  /** Why Redis is unavailable (the last connection error), for error messages. */
  lastError(): string;
  /** Resolves true once the connection is ready, or false if it is not within `timeoutMs`; never rejects. */
  whenReady(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Open a fail-fast connection to `target` (a string is a URL) that logs outages and recoveries on `logger`. */
export function createProducerRedis(target: RedisTarget | string, logger: Logger): ProducerRedis {
  const resolved = typeof target === 'string' ? urlTarget(target) : target;
  const client = createRedisClient(resolved, {
    // Commands sent while disconnected are rejected at once rather than buffered: a request
    // handler must never wait for a reconnect that may take minutes.
    enableOfflineQueue: false,
    // A command whose answer was lost with the connection is not sent again after a reconnect:
    // its caller has already answered (an enqueue's client was told the outcome is unknown),
    // and a late resend would queue a task seconds after the client was told to retry.
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, REDIS_MAX_RECONNECT_DELAY_MS),
    // The producer runs no blocking commands; any reply slower than this is an outage.
    commandTimeout: 2000,
  });
  // Whether commands can go out is ioredis's own status; only the outage report is ours.
  let reportedDown = false;
  let lastError = 'not connected yet';
  // Set when a URL leads to a Redis Cluster node: it would answer, then refuse most keys with
  // MOVED, which reads like a broken Redis. Said once, with the setting to use instead.
  let misconfigured: string | undefined;

  const markDown = (reason: string, error?: unknown): void => {
    lastError = reason;
    if (reportedDown) return;
    reportedDown = true;
    logEvent(
      logger,
      'error',
      EVENTS.DEPENDENCY_UNAVAILABLE,
      { [F.DEPENDENCY_NAME]: 'redis', ...(error === undefined ? {} : errorFields(error)) },
      `Redis unavailable: ${reason}`,
    );
  };

  watchForClusterNode(client, target, (error) => {
    misconfigured = error.message;
    markDown(misconfigured, error);
  });
  client.on('ready', () => {
    if (!reportedDown || misconfigured !== undefined) return;
    reportedDown = false;
    logEvent(logger, 'info', EVENTS.DEPENDENCY_RECOVERED, { [F.DEPENDENCY_NAME]: 'redis' }, 'Redis reachable again');
  });
  // Without an 'error' listener ioredis prints every reconnect failure to stderr.
  // A TLS cluster hides a refused certificate behind "Failed to refresh slots cache": the probe's
  // finding stays the reason until a connection succeeds.
  let tlsProblem: string | undefined;
  client.on('error', (error: Error) => markDown(tlsProblem ?? explainRedisError(resolved, error.message), error));
  watchClusterTls(client, resolved, (reason) => {
    tlsProblem = reason;
    markDown(reason);
  });
  client.on('ready', () => {
    tlsProblem = undefined;
  });
  // A close after an error keeps that error as the reason; a close alone (Redis shut down) is one.
  client.on('close', () => {
    if (!reportedDown) markDown('connection closed');
  });

  return {
    client,
    isAvailable: () => client.status === 'ready' && misconfigured === undefined,
    lastError: () => misconfigured ?? lastError,
    whenReady: async (timeoutMs) => {
      const signal = AbortSignal.timeout(timeoutMs);
      while (client.status !== 'ready') {
        try {
          await once(client, 'ready', { signal });
        } catch {
          // events.once also rejects on an 'error' event: a failed connect attempt, after which
          // ioredis tries again by itself. Only the deadline ends the wait.
          if (signal.aborted) return false;
        }
      }
      return true;
    },
    close: async () => {
      reportedDown = true; // a deliberate close is not an outage
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
