/** The shared metrics pieces: listener settings from the environment, and the /metrics listener. */
import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, metricsListenFromEnv, startMetricsServer } from '../../instrumentation/metrics.ts';
import { sampleValue } from '../utils/prometheus.ts';

describe('metrics listener settings', () => {
  it('serves nothing unless the port variable is set; 0 means any free port', () => {
    expect(metricsListenFromEnv('DTQ_X_METRICS_PORT', {})).toBeUndefined();
    expect(metricsListenFromEnv('DTQ_X_METRICS_PORT', { DTQ_X_METRICS_PORT: '' })).toBeUndefined();
    expect(metricsListenFromEnv('DTQ_X_METRICS_PORT', { DTQ_X_METRICS_PORT: '0' })).toEqual({
      host: '127.0.0.1',
      port: 0,
    });
    expect(
      metricsListenFromEnv('DTQ_X_METRICS_PORT', { DTQ_X_METRICS_PORT: '9464', DTQ_METRICS_HOST: '0.0.0.0' }),
    ).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it('refuses a port that is not one, naming the variable', () => {
    expect(() => metricsListenFromEnv('DTQ_X_METRICS_PORT', { DTQ_X_METRICS_PORT: 'http' })).toThrow(
      /DTQ_X_METRICS_PORT="http" is not valid: expected an integer from 0 to 65535/,
    );
  });
});

describe('metrics listener', () => {
  it('answers GET /metrics with the registry in Prometheus format, labelled with service and instance, 404 otherwise', async () => {
    const registry = createMetricsRegistry({ service: 'worker', instance: 'worker-9' });
    const counter = new Counter({ name: 'dtq_test_things_total', help: 'Things.', registers: [registry] });
    counter.inc(3);
    const server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
    try {
      expect(server.port).toBeGreaterThan(0);
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(registry.contentType);
      const text = await response.text();
      expect(sampleValue(text, 'dtq_test_things_total', { service: 'worker', instance: 'worker-9' })).toBe(3);
      expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
      const elsewhere = await fetch(server.url.replace('/metrics', '/other'));
      expect(elsewhere.status).toBe(404);
      expect(await elsewhere.text()).toContain('GET /metrics');
    } finally {
      await server.close();
    }
  });

  it('fails to start on a port already taken', async () => {
    const registry = createMetricsRegistry({ service: 'shipper', instance: 's' });
    const first = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
    try {
      await expect(startMetricsServer(registry, { host: '127.0.0.1', port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
