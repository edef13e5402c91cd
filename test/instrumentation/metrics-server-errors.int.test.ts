/**
 * An error on the metrics listener after it listens (EMFILE on accept, say) is reported and the
 * process goes on: an 'error' event nobody listens to would be thrown and end the process.
 */
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { createMetricsRegistry, startMetricsServer } from '../../instrumentation/metrics.ts';

const servers: Server[] = [];
vi.mock('node:http', async (importOriginal) => {
  const http = await importOriginal<typeof import('node:http')>();
  const createServer = (...args: Parameters<typeof http.createServer>): Server => {
    const server = http.createServer(...args);
    servers.push(server);
    return server;
  };
  return { ...http, default: { ...http, createServer }, createServer };
});

function emfile(): NodeJS.ErrnoException {
  return Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', errno: -24, syscall: 'accept' });
}

describe('metrics listener errors after listening', () => {
  it('logs them with the error fields and keeps serving', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const registry = createMetricsRegistry({ service: 'worker', instance: 'worker-errors' });
    const metrics = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 }, pino(sink));
    try {
      const server = servers.at(-1);
      expect(server?.listening).toBe(true);
      expect(() => server?.emit('error', emfile())).not.toThrow();
      await vi.waitFor(() => expect(lines.some((line) => line[F.ERROR_CODE] === 'EMFILE')).toBe(true));
      const line = lines.find((l) => l[F.ERROR_CODE] === 'EMFILE');
      expect(line?.[F.ERROR_MESSAGE]).toBe('accept EMFILE');
      expect(line?.level).toBe(50);
      expect((await fetch(metrics.url)).status).toBe(200);
    } finally {
      await metrics.close();
    }
  });

  it('without a logger, reports them as a process warning', async () => {
    const warned = vi.fn();
    process.on('warning', warned);
    const metrics = await startMetricsServer(createMetricsRegistry({ service: 'worker', instance: 'w' }), {
      host: '127.0.0.1',
      port: 0,
    });
    try {
      expect(() => servers.at(-1)?.emit('error', emfile())).not.toThrow();
      await vi.waitFor(() => expect(warned).toHaveBeenCalled());
      expect(warned.mock.calls[0]?.[0]).toMatchObject({
        message: expect.stringMatching(/metrics listener at .* failed: accept EMFILE/),
      });
    } finally {
      process.off('warning', warned);
      await metrics.close();
    }
  });
});
