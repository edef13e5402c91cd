/**
 * A TLS-terminating, authenticating reverse proxy in front of a real Elasticsearch, standing in
 * for Elasticsearch's own security module (the Maven distribution has none). It answers as
 * Elasticsearch 8 does: 401 with `security_exception` and a WWW-Authenticate header for missing
 * or wrong credentials, 403 `security_exception` for a known principal without the privilege;
 * everything else goes to the real node with the credentials removed.
 *
 * Principals have a role: `all` may do anything; `read` may search, count, open and close points
 * in time and read cluster state, as the built-in `viewer` role may, and nothing else.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** What a principal may do. */
export type ProxyRole = 'all' | 'read';

/** Who the proxy knows. */
export interface ProxyPrincipals {
  /** user name → password and role. */
  readonly users?: Readonly<Record<string, { password: string; role: ProxyRole }>>;
  /** Encoded API key (base64 of id:key, as Elasticsearch returns it) → role. */
  readonly apiKeys?: Readonly<Record<string, ProxyRole>>;
  /** Bearer token → role. */
  readonly tokens?: Readonly<Record<string, ProxyRole>>;
}

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** `Basic`, `ApiKey`, `Bearer` or `none`. */
  readonly scheme: string;
  readonly status: number;
}

/** A running proxy. */
export interface AuthProxy {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

const READ_PATHS = /\/(_search|_msearch|_count|_pit|_resolve\/index|_cluster\/health|_nodes|_mapping|_cat)(\/|\?|$)/;

function readOnly(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  return (method === 'POST' || method === 'DELETE') && READ_PATHS.test(path);
}

function securityError(response: ServerResponse, status: 401 | 403, reason: string): void {
  const body = JSON.stringify({
    error: { root_cause: [{ type: 'security_exception', reason }], type: 'security_exception', reason },
    status,
  });
  response.writeHead(status, {
    'content-type': 'application/json',
    ...(status === 401
      ? { 'www-authenticate': 'Basic realm="security", charset="UTF-8", ApiKey, Bearer realm="security"' }
      : {}),
  });
  response.end(body);
}

/** Who sent the request, or why they are not known. */
function authenticate(
  header: string | undefined,
  principals: ProxyPrincipals,
): { scheme: string; name?: string; role?: ProxyRole } {
  if (header === undefined) return { scheme: 'none' };
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  const value = space === -1 ? '' : header.slice(space + 1);
  if (scheme === 'Basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = decoded.slice(0, colon);
    const user = principals.users?.[name];
    return user !== undefined && user.password === decoded.slice(colon + 1)
      ? { scheme, name, role: user.role }
      : { scheme, name };
  }
  if (scheme === 'ApiKey') {
    const role = principals.apiKeys?.[value];
    return role === undefined ? { scheme } : { scheme, name: 'api key', role };
  }
  if (scheme === 'Bearer') {
    const role = principals.tokens?.[value];
    return role === undefined ? { scheme } : { scheme, name: 'token', role };
  }
  return { scheme };
}

/** Start the proxy on a free loopback port in front of `target` (an http URL). */
export async function startAuthProxy(options: {
  target: string;
  key: string | Buffer;
  cert: string | Buffer;
  principals: ProxyPrincipals;
}): Promise<AuthProxy> {
  const target = new URL(options.target);
  const requests: ProxiedRequest[] = [];
  const server = createServer({ key: options.key, cert: options.cert }, (request: IncomingMessage, response) => {
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const who = authenticate(request.headers.authorization, options.principals);
    const record = (status: number) => requests.push({ method, path, scheme: who.scheme, status });
    if (who.role === undefined) {
      request.resume();
      record(401);
      return securityError(
        response,
        401,
        who.scheme === 'none'
          ? `missing authentication credentials for REST request [${path}]`
          : `unable to authenticate ${who.name === undefined ? 'with provided credentials' : `user [${who.name}]`} for REST request [${path}]`,
      );
    }
    if (who.role === 'read' && !readOnly(method, path)) {
      request.resume();
      record(403);
      return securityError(
        response,
        403,
        `action [${method} ${path.split('?')[0]}] is unauthorized for user [${who.name}] with effective roles [viewer]`,
      );
    }
    const headers = { ...request.headers, host: target.host };
    delete headers.authorization;
    const upstream = httpRequest({ host: target.hostname, port: target.port, method, path, headers }, (answer) => {
      record(answer.statusCode ?? 0);
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', (error) => {
      record(502);
      response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`proxy: ${error.message}`);
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
