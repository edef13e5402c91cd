/**
 * nginx's limits on clients: how long a client may take, how much it may send, how many
 * requests it may have in progress and how fast it may send them. Defaults are the documented
 * ones (docs/api.md, "Limits"); each can be set through an environment variable, read here.
 */
import { envInt, envOptional } from '../../contract/env.ts';

/** Per-client limits of the rendered nginx. 0 turns a rate or connection limit off. */
export interface NginxLimits {
  /** Seconds a client may take to send the request line and all headers (client_header_timeout). */
  clientHeaderTimeoutS: number;
  /** Seconds between two reads of the body (client_body_timeout). */
  clientBodyTimeoutS: number;
  /** Seconds between two writes of the answer to the client (send_timeout). */
  sendTimeoutS: number;
  /** Seconds an idle keep-alive connection stays open (keepalive_timeout). */
  keepaliveTimeoutS: number;
  /** Requests in progress at once per client address (limit_conn); 0: no limit. */
  limitConn: number;
  /** Requests per second per client address (limit_req); 0: no limit. */
  rate: number;
  /** Requests over the rate accepted at once before refusing (limit_req burst, nodelay). */
  burst: number;
  /**
   * Addresses or CIDRs the connection and rate limits skip. Loopback by default: on the local
   * stack every client is the host itself (the load generator and benchmarks measure capacity
   * from 127.0.0.1), and a proxy on the same host would make all clients one address.
   */
  limitExempt: readonly string[];
  /** Connections per nginx worker, clients and upstreams together (worker_connections). */
  workerConnections: number;
}

/** The documented defaults. */
export const DEFAULT_NGINX_LIMITS: NginxLimits = {
  clientHeaderTimeoutS: 10,
  clientBodyTimeoutS: 10,
  sendTimeoutS: 10,
  keepaliveTimeoutS: 15,
  limitConn: 128,
  rate: 500,
  burst: 1000,
  limitExempt: ['127.0.0.1', '::1'],
  workerConnections: 1024,
};

/** Environment variable of each limit (docs/api.md lists them with the defaults above). */
export const NGINX_LIMIT_ENV = {
  clientHeaderTimeoutS: 'DTQ_NGINX_HEADER_TIMEOUT_S',
  clientBodyTimeoutS: 'DTQ_NGINX_BODY_TIMEOUT_S',
  sendTimeoutS: 'DTQ_NGINX_SEND_TIMEOUT_S',
  keepaliveTimeoutS: 'DTQ_NGINX_KEEPALIVE_TIMEOUT_S',
  limitConn: 'DTQ_NGINX_LIMIT_CONN',
  rate: 'DTQ_NGINX_RATE',
  burst: 'DTQ_NGINX_BURST',
  limitExempt: 'DTQ_NGINX_LIMIT_EXEMPT',
  workerConnections: 'DTQ_NGINX_WORKER_CONNECTIONS',
} as const satisfies Record<keyof NginxLimits, string>;

/**
 * The limits set in `env` (only those set: the renderer fills in the rest). DTQ_NGINX_LIMIT_EXEMPT
 * is a comma-separated list; `none` exempts nobody.
 */
export function nginxLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<NginxLimits> {
  const limits: Partial<NginxLimits> = {};
  const ints = [
    ['clientHeaderTimeoutS', 1, 3600],
    ['clientBodyTimeoutS', 1, 3600],
    ['sendTimeoutS', 1, 3600],
    ['keepaliveTimeoutS', 0, 3600],
    ['limitConn', 0, 1_000_000],
    ['rate', 0, 1_000_000],
    ['burst', 0, 1_000_000],
    ['workerConnections', 64, 1_000_000],
  ] as const;
  for (const [key, min, max] of ints) {
    const name = NGINX_LIMIT_ENV[key];
    if (envOptional(name, env) !== undefined) limits[key] = envInt(name, 0, { min, max }, env);
  }
  const exempt = envOptional(NGINX_LIMIT_ENV.limitExempt, env);
  if (exempt !== undefined) {
    limits.limitExempt =
      exempt.trim() === 'none'
        ? []
        : exempt
            .split(',')
            .map((entry) => entry.trim())
            .filter((entry) => entry !== '');
  }
  return limits;
}
