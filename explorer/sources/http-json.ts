/**
 * A minimal JSON-over-HTTP call on node:http(s). The explorer uses it instead of the global
 * fetch because fetch loads Node's bundled undici on first use, which costs more start-up
 * time than a whole short trace query; node:http is part of the core already loaded.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';

/** A response: status and body text. */
export interface JsonResponse {
  readonly status: number;
  readonly text: string;
}

/** A transport failure (refused, reset, timed out): the server was not reached or hung. */
export class TransportError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}

const agents = new Map<string, HttpAgent>();

/** Send `body` as JSON with `method` to `url`; resolves with the status and text. */
export async function requestJson(
  method: string,
  url: string,
  body: unknown,
  timeoutMs: number,
): Promise<JsonResponse> {
  const target = new URL(url);
  // getBuiltinModule, not import(): the ESM facade of node:http reads every export, and its
  // lazy getters (WebSocket, EventSource…) load undici, about 60 ms of start-up for nothing.
  const http =
    target.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  let agent = agents.get(target.protocol);
  if (!agent) {
    agent = new http.Agent({ keepAlive: true });
    agents.set(target.protocol, agent);
  }
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = http.request(
      target,
      {
        method,
        agent,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length },
        timeout: timeoutMs,
      },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', (error: NodeJS.ErrnoException) =>
          reject(new TransportError(error.code ?? 'ERESPONSE', error.message)),
        );
      },
    );
    request.on('timeout', () => request.destroy(new TransportError('ETIMEDOUT', `no answer within ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) =>
      reject(error instanceof TransportError ? error : new TransportError(error.code ?? 'EREQUEST', error.message)),
    );
    request.end(payload);
  });
}

/** Let the process exit: close kept-alive sockets. */
export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}
