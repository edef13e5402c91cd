import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../workload/worker/config.ts';

const MAIN = fileURLToPath(new URL('../../workload/worker/main.ts', import.meta.url));

describe('worker configuration', () => {
  it('has defaults that give high the most capacity', () => {
    const config = loadWorkerConfig({});
    expect(config.concurrency.high).toBeGreaterThan(config.concurrency.medium);
    expect(config.concurrency.medium).toBeGreaterThan(config.concurrency.low);
    expect(config.lockTtlMs).toBeGreaterThan(0);
    expect(config.faults).toBe(false);
    // Metrics are served only when asked for.
    expect(config.metrics).toBeUndefined();
    expect(loadWorkerConfig({ DTQ_WORKER_METRICS_PORT: '0' }).metrics).toEqual({ host: '127.0.0.1', port: 0 });
    expect(() => loadWorkerConfig({ DTQ_WORKER_METRICS_PORT: '70000' })).toThrow(/DTQ_WORKER_METRICS_PORT="70000"/);
  });

  it('refuses to start with an invalid setting, naming the variable, exit code 1', () => {
    const run = spawnSync(process.execPath, [MAIN], {
      env: { ...process.env, DTQ_WORKER_CONCURRENCY_HIGH: 'lots', DTQ_LOG_STDOUT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('DTQ_WORKER_CONCURRENCY_HIGH="lots" is not valid');
  });
});
