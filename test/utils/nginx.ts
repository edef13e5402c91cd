/**
 * A real nginx for one test: rendered from workload/nginx's template, on a free loopback port,
 * in front of the given upstreams, with its own temporary prefix directory and access log.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogRecord } from '../../contract/vocabulary.ts';
import type { NginxConfigOptions } from '../../workload/nginx/render.ts';
import { writeNginxConfig } from '../../workload/nginx/write-config.ts';
import { ensurePrograms } from '../../workload/stack/binaries.ts';
import { freePort } from './free-port.ts';
import { waitFor } from './wait.ts';

/** A running test nginx. */
export interface TestNginx {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly accessLogPath: string;
  readonly configPath: string;
  /** The access-log lines written so far, parsed (as written: strings, not normalised). */
  accessLog(): LogRecord[];
  /**
   * Wait until `count` lines match and return them. nginx writes a line after it has sent the
   * answer, so a client can hold the answer before its line exists: read through this.
   */
  accessLines(what: string, match: (line: LogRecord) => boolean, count?: number): Promise<LogRecord[]>;
  /** The raw access log. */
  rawAccessLog(): string;
  /** Stop nginx and remove its directory. */
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The nginx binary the stack would run; throws naming the apt-get command when it is missing. */
export function nginxBinary(): string {
  return ensurePrograms(['nginx'], { install: false, say: () => {} }).nginx;
}

/** Options of {@link startNginx}: the renderer's, minus what the helper chooses. */
export type TestNginxOptions = Omit<NginxConfigOptions, 'listen' | 'logDir' | 'runDir'> & { logDir?: string };

/** Start nginx in front of `options.upstreams` (host:port). */
export async function startNginx(options: TestNginxOptions): Promise<TestNginx> {
  const binary = nginxBinary();
  const dir = mkdtempSync(join(tmpdir(), 'dtq-nginx-'));
  const port = await freePort();
  const written = writeNginxConfig({
    ...options,
    listen: `127.0.0.1:${port}`,
    logDir: options.logDir ?? join(dir, 'logs'),
    runDir: join(dir, 'run'),
  });
  const child: ChildProcess = spawn(binary, written.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(
      `nginx on port ${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr.trim()}`);
        return accepts(port);
      },
      { timeoutMs: 10_000 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const rawAccessLog = (): string => {
    try {
      return readFileSync(written.accessLog, 'utf8');
    } catch {
      return '';
    }
  };
  const accessLog = (): LogRecord[] =>
    rawAccessLog()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogRecord);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    accessLogPath: written.accessLog,
    configPath: written.configPath,
    rawAccessLog,
    accessLog,
    accessLines: (what, match, count = 1) =>
      waitFor(`${count} access-log line(s): ${what}`, () => {
        const lines = accessLog().filter(match);
        return lines.length >= count ? lines : undefined;
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
