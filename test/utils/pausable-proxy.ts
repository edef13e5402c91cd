/**
 * A TCP proxy on a free loopback port that forwards bytes both ways and can hold the server's
 * answers: a request still reaches the server (Elasticsearch does the work) while the client
 * waits for an answer that does not come. That is the window in which a crash leaves work done
 * but unacknowledged, made to happen on purpose instead of hoped for.
 *
 * It reads no HTTP beyond this: on a keep-alive connection without pipelining (what Node's
 * http client does), bytes from the client after the server has spoken start a new request,
 * whose first line is the request line.
 */
import { createConnection, createServer, type Socket } from 'node:net';

/** A request whose answer the proxy is holding. */
export interface HeldExchange {
  /** The request line, e.g. `POST /_bulk?filter_path=… HTTP/1.1`. */
  readonly requestLine: string;
  /** The whole request as the client sent it (head and body), as UTF-8. */
  readonly request: string;
  /** Bytes of the answer held so far. */
  readonly heldBytes: number;
}

/** A running proxy. */
export interface PausableProxy {
  /** `http://127.0.0.1:<port>`, to use in place of the target's URL. */
  readonly url: string;
  /**
   * Hold the answers to requests that match (every request when omitted): by request line, or
   * by the whole request (`requestText()` gives it as UTF-8).
   */
  pauseResponses(match?: (requestLine: string, requestText: () => string) => boolean): void;
  /** Deliver what was held and forward answers again. */
  resumeResponses(): void;
  /** The requests whose answers are held now. */
  held(): HeldExchange[];
  /** Close the listener and every connection. */
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  server: Socket;
  /** Chunks of the current request. */
  request: Buffer[];
  /** The server has answered (part of) the current request. */
  answered: boolean;
  held: Buffer[];
  /** The server closed while answers were held: close the client once they are delivered. */
  serverEnded: boolean;
}

function requestLineOf(link: Link): string {
  const head = Buffer.concat(link.request).toString('latin1');
  const end = head.indexOf('\r\n');
  return end === -1 ? head : head.slice(0, end);
}

function requestTextOf(link: Link): string {
  return Buffer.concat(link.request).toString('utf8');
}

/** Start a proxy to `target` (an `http://host:port` URL). */
export async function startPausableProxy(target: string): Promise<PausableProxy> {
  const { hostname, port } = new URL(target);
  const links = new Set<Link>();
  let holds: ((requestLine: string, requestText: () => string) => boolean) | undefined;

  const release = (link: Link): void => {
    for (const chunk of link.held) link.client.write(chunk);
    link.held = [];
    if (link.serverEnded) link.client.end();
  };

  const server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port) });
    const link: Link = { client, server: upstream, request: [], answered: false, held: [], serverEnded: false };
    links.add(link);
    client.on('data', (chunk: Buffer) => {
      if (link.answered) {
        link.request = [];
        link.answered = false;
      }
      link.request.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      link.answered = true;
      // Once one chunk of an answer is held, the rest queue behind it, in order.
      if (link.held.length > 0 || holds?.(requestLineOf(link), () => requestTextOf(link))) link.held.push(chunk);
      else client.write(chunk);
    });
    upstream.on('close', () => {
      if (link.held.length > 0) link.serverEnded = true;
      else client.end();
    });
    client.on('end', () => upstream.end());
    const drop = (): void => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const proxyPort = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    url: `http://127.0.0.1:${proxyPort}`,
    pauseResponses(match = () => true) {
      holds = match;
    },
    resumeResponses() {
      holds = undefined;
      for (const link of links) release(link);
    },
    held() {
      return [...links]
        .filter((link) => link.held.length > 0)
        .map((link) => ({
          requestLine: requestLineOf(link),
          request: requestTextOf(link),
          heldBytes: link.held.reduce((sum, chunk) => sum + chunk.length, 0),
        }));
    },
    async close() {
      for (const link of links) {
        link.client.destroy();
        link.server.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
