/**
 * Readiness probes of the local stack: Redis answering PING, an API answering /ready, a process
 * that logged `service.started`; each answers true or false and never throws (the stack decides
 * how long to wait). Plus claimPort, which refuses a taken port before anything is started.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dtqError } from '../../contract/dtq-error.ts';
import { HttpClient } from '../../contract/http-client.ts';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { STACK_ERRORS } from './errors.ts';

/** A free loopback port, or `wanted` after checking nobody listens on it. */
export async function claimPort(wanted: number, what: string, envName: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(dtqError(STACK_ERRORS.PORT_IN_USE, { what, port: wanted, envName }));
      else reject(error);
    });
    server.listen(wanted, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : wanted;
      server.close(() => resolvePort(port));
    });
  });
}

/** True when Redis on the loopback `port` answers PING. */
export function redisPing(port: number): Promise<boolean> {
  return new Promise((resolvePing) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolvePing(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolvePing(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolvePing(false);
    });
  });
}

/** True when a child's output line is the vocabulary's service.started event. */
export function isStartedLine(line: string): boolean {
  if (!line.includes(EVENTS.SERVICE_STARTED)) return false;
  try {
    return (JSON.parse(line) as Record<string, unknown>)[F.EVENT_ACTION] === EVENTS.SERVICE_STARTED;
  } catch {
    return false;
  }
}

/** True when the tail of an NDJSON file has the service.started line of process `pid`. */
export function startedInFile(path: string, pid: number): boolean {
  let text: string;
  try {
    const size = statSync(path).size;
    const length = Math.min(size, 64 * 1024);
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  return text.split('\n').some((line) => {
    if (!isStartedLine(line)) return false;
    return (JSON.parse(line) as Record<string, unknown>)[F.PROCESS_PID] === pid;
  });
}

/** True when GET <url>/ready answers 200 (a fresh connection each time: nothing left open). */
export async function isReady(url: string): Promise<boolean> {
  const client = new HttpClient(url, { maxSockets: 1 });
  try {
    const response = await client.send('GET', '/ready', { timeoutMs: 2000, headers: { connection: 'close' } });
    return response.status === 200;
  } catch {
    return false;
  } finally {
    client.close();
  }
}
