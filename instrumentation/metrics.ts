/**
 * Prometheus metrics, one way for every dtq process: a prom-client registry labelled with the
 * process's service and instance, and a small HTTP listener that serves it at `GET /metrics`
 * for processes that have no HTTP server of their own (workers, shipper). The API serves the
 * same registry from a Fastify route instead.
 *
 * prom-client rather than OpenTelemetry metrics: dtq's processes are scraped, not pushing, and
 * prom-client is the Prometheus exposition format itself (one small dependency, synchronous
 * counters, `collect()` callbacks for values read at scrape time), where the OpenTelemetry SDK
 * plus its Prometheus exporter would add a meter provider, readers and views to get the same
 * text out. Names follow Prometheus conventions: a `dtq_` prefix, the unit in the name
 * (`_seconds`, `_bytes`), `_total` on counters.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { envInt, envString } from '../contract/env.ts';
import { EVENTS, F, type ServiceName } from '../contract/vocabulary.ts';
import { errorFields, logEvent } from './logger.ts';

/** Prefix of every dtq metric name. */
export const METRIC_PREFIX = 'dtq_';

/** Path the metrics are served at. */
export const METRICS_PATH = '/metrics';

/** Latency buckets in seconds, from a no-op request (sub-millisecond) to a slow Redis deadline. */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Job duration buckets in seconds: a cache hit takes milliseconds, a 1M-path VaR minutes. */
export const JOB_DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Who the metrics are about: every series carries these as `service` and `instance` labels. */
export interface MetricsIdentity {
  readonly service: ServiceName;
  readonly instance: string;
}

/**
 * A registry for one process, with prom-client's standard process and Node.js metrics
 * (`process_*`, `nodejs_*`: left without the dtq prefix so stock dashboards read them).
 */
export function createMetricsRegistry(identity: MetricsIdentity): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: identity.service, instance: identity.instance });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Where a metrics listener binds, from the environment. */
export interface MetricsListenOptions {
  readonly host: string;
  readonly port: number;
}

/**
 * The listener settings from `portVariable` (unset or empty: no listener; `0`: any free port,
 * logged at start) and DTQ_METRICS_HOST (default 127.0.0.1; `0.0.0.0` in a container).
 */
export function metricsListenFromEnv(
  portVariable: string,
  env: NodeJS.ProcessEnv = process.env,
): MetricsListenOptions | undefined {
  const raw = env[portVariable];
  if (raw === undefined || raw === '') return undefined;
  return {
    port: envInt(portVariable, 0, { min: 0, max: 65_535 }, env),
    host: envString('DTQ_METRICS_HOST', '127.0.0.1', env),
  };
}

/** A running metrics listener. */
export interface MetricsServer {
  /** The port it listens on (the chosen one when asked for 0). */
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** The exposition text of `registry`, answered to GET /metrics; 404 for anything else. */
async function answer(registry: Registry, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '').split('?')[0];
  if (request.method !== 'GET' || path !== METRICS_PATH) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end(`Only GET ${METRICS_PATH} is served here.\n`);
    return;
  }
  try {
    const text = await registry.metrics();
    response.writeHead(200, { 'content-type': registry.contentType }).end(text);
  } catch (error) {
    response.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${String(error)}\n`);
  }
}

/**
 * Serve `registry` at `http://<host>:<port>/metrics` and log `metrics.listening` with the
 * address (so a port chosen by the system can be found). The listener does not keep the process
 * alive: a process that is otherwise done exits without closing it.
 */
export async function startMetricsServer(
  registry: Registry,
  listen: MetricsListenOptions,
  logger?: Logger,
): Promise<MetricsServer> {
  const server = createServer((request, response) => void answer(registry, request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  const url = `http://${listen.host}:${port}${METRICS_PATH}`;
  // An error after listening (EMFILE on accept) must not kill the process the metrics are about:
  // an 'error' event with no listener is thrown. It is reported, and the listener carries on.
  server.on('error', (error) => {
    const message = `metrics listener at ${url} failed: ${error.message}; the process goes on, scrapes may fail`;
    if (logger === undefined) process.emitWarning(message, { code: 'DTQ_METRICS_LISTENER_ERROR' });
    else logger.error({ ...errorFields(error), [F.SERVER_PORT]: port }, message);
  });
  if (logger !== undefined) {
    logEvent(
      logger,
      'info',
      EVENTS.METRICS_LISTENING,
      { [F.SERVER_ADDRESS]: listen.host, [F.SERVER_PORT]: port },
      `Prometheus metrics at ${url}`,
    );
  }
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
