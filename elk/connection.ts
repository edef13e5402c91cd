/**
 * How to reach Elasticsearch, read once for every part (shipper, explorer, setup, stats,
 * benchmarks): the node URLs, the credentials and how to trust the server's certificate, from
 * the environment, overridden by a command's flags. Secrets come only from the environment or
 * from files named by flags, never from argv itself, where `ps` shows them to every user.
 *
 * Pure apart from reading the named files; what it returns goes to elk/client.ts.
 */
import { readFileSync } from 'node:fs';
import type { CliOption } from '../contract/cli-args.ts';
import { dtqError } from '../contract/dtq-error.ts';
import { envOptional } from '../contract/env.ts';
import type { TlsTrust } from '../contract/http-client.ts';
import { redactUrl } from '../contract/redact.ts';
import { normalizeFingerprint } from '../contract/tls-pin.ts';
import { ES_ERRORS } from './errors.ts';

/** Where `npm run es` serves by default. */
export const DEFAULT_ES_URL = 'http://127.0.0.1:9200';

/** The environment variables of the connection. */
export const ES_ENV = {
  URL: 'DTQ_ES_URL',
  USERNAME: 'DTQ_ES_USERNAME',
  PASSWORD: 'DTQ_ES_PASSWORD',
  API_KEY: 'DTQ_ES_API_KEY',
  BEARER_TOKEN: 'DTQ_ES_BEARER_TOKEN',
  CA: 'DTQ_ES_CA',
  CA_FINGERPRINT: 'DTQ_ES_CA_FINGERPRINT',
} as const;

/** Which kind of credentials a connection sends. */
export type EsAuthKind = 'basic' | 'api-key' | 'bearer' | 'url' | 'none';

/** Everything needed to reach a cluster. */
export interface EsConnection {
  /** Node URLs, validated, without trailing slashes; requests take turns and fail over. */
  readonly nodes: readonly string[];
  /** Headers of every request: the authorization header, when credentials are set. */
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: EsAuthKind;
  /** The setting(s) the credentials came from, for errors (`DTQ_ES_API_KEY`, `--es-username/DTQ_ES_PASSWORD`). */
  readonly authSetting: string;
  readonly tls: TlsTrust | undefined;
  /** The setting the trust came from, for TLS errors; undefined when the system's CAs are used. */
  readonly trustSetting: string | undefined;
}

/** The connection flags every command that reaches Elasticsearch takes (see {@link ES_CLI_OPTIONS}). */
export interface EsFlags {
  readonly es?: string | undefined;
  readonly 'es-username'?: string | undefined;
  readonly 'es-password-file'?: string | undefined;
  readonly 'es-api-key-file'?: string | undefined;
  readonly 'es-bearer-token-file'?: string | undefined;
  readonly 'es-ca'?: string | undefined;
  readonly 'es-ca-fingerprint'?: string | undefined;
}

/** The flags, declared once for every command's parser, `--help` and completion. */
export const ES_CLI_OPTIONS = {
  es: {
    type: 'string',
    value: 'URL[,URL…]',
    description: 'Elasticsearch node(s), comma-separated (default: DTQ_ES_URL)',
  },
  'es-username': { type: 'string', value: 'NAME', description: 'basic auth user (default: DTQ_ES_USERNAME)' },
  'es-password-file': {
    type: 'string',
    value: 'FILE',
    complete: 'file',
    description: 'file holding the basic auth password (default: DTQ_ES_PASSWORD)',
  },
  'es-api-key-file': {
    type: 'string',
    value: 'FILE',
    complete: 'file',
    description: 'file holding an API key, its encoded form or id:key (default: DTQ_ES_API_KEY)',
  },
  'es-bearer-token-file': {
    type: 'string',
    value: 'FILE',
    complete: 'file',
    description: 'file holding a bearer token (default: DTQ_ES_BEARER_TOKEN)',
  },
  'es-ca': {
    type: 'string',
    value: 'FILE',
    complete: 'file',
    description: 'PEM file of the CA to trust for https (default: DTQ_ES_CA)',
  },
  'es-ca-fingerprint': {
    type: 'string',
    value: 'SHA256',
    description: "trust the server's CA by its SHA-256 fingerprint (default: DTQ_ES_CA_FINGERPRINT)",
  },
} as const satisfies Record<string, CliOption>;

/** The connection's environment, as `--help` lists it. */
export const ES_ENV_HELP: readonly string[] = [
  'DTQ_ES_URL             Elasticsearch node(s), comma-separated (default http://127.0.0.1:9200)',
  'DTQ_ES_API_KEY         API key (encoded, or id:key); or DTQ_ES_USERNAME + DTQ_ES_PASSWORD;',
  '                       or DTQ_ES_BEARER_TOKEN',
  'DTQ_ES_CA              PEM file of the CA to trust; or DTQ_ES_CA_FINGERPRINT (SHA-256)',
];

function badSettings(problem: string): Error {
  return dtqError(ES_ERRORS.BAD_CONNECTION_SETTINGS, { problem });
}

/** Node URLs from `DTQ_ES_URL`/`--es`: comma-separated http(s) URLs, each without its trailing slash. */
export function parseEsNodes(text: string, setting: string = ES_ENV.URL): string[] {
  const nodes = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (nodes.length === 0) throw dtqError(ES_ERRORS.BAD_URL, { url: `${setting}=${JSON.stringify(text)}` });
  return nodes.map((node) => {
    let parsed: URL;
    try {
      parsed = new URL(node);
    } catch {
      throw dtqError(ES_ERRORS.BAD_URL, { url: redactUrl(node) });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw dtqError(ES_ERRORS.BAD_URL, { url: redactUrl(node) });
    return node.replace(/\/+$/, '');
  });
}

/** One secret: from the flag's file (trimmed) when given, else from the environment variable. */
function secret(
  flags: EsFlags,
  flag: keyof EsFlags,
  env: NodeJS.ProcessEnv,
  name: string,
): { value: string; setting: string } | undefined {
  const file = flags[flag];
  if (file !== undefined) {
    let value: string;
    try {
      value = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw badSettings(`--${flag} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (value === '') throw badSettings(`--${flag} ${file} is empty`);
    return { value, setting: `--${flag}` };
  }
  const value = envOptional(name, env);
  return value === undefined ? undefined : { value, setting: name };
}

/** The authorization header for an API key given encoded (as Elasticsearch returns it) or as `id:key`. */
export function apiKeyHeader(key: string): string {
  return `ApiKey ${key.includes(':') ? Buffer.from(key).toString('base64') : key}`;
}

/** A plain setting: the flag when given, else the environment variable, with the name it came from. */
function setting(
  flags: EsFlags,
  flag: keyof EsFlags,
  env: NodeJS.ProcessEnv,
  name: string,
): { value: string; setting: string } | undefined {
  const fromFlag = flags[flag];
  if (fromFlag !== undefined) return { value: fromFlag, setting: `--${flag}` };
  const value = envOptional(name, env);
  return value === undefined ? undefined : { value, setting: name };
}

function credentials(
  env: NodeJS.ProcessEnv,
  flags: EsFlags,
  nodes: readonly string[],
): Pick<EsConnection, 'headers' | 'auth' | 'authSetting'> {
  const apiKey = secret(flags, 'es-api-key-file', env, ES_ENV.API_KEY);
  const bearer = secret(flags, 'es-bearer-token-file', env, ES_ENV.BEARER_TOKEN);
  const username = setting(flags, 'es-username', env, ES_ENV.USERNAME);
  const password = secret(flags, 'es-password-file', env, ES_ENV.PASSWORD);
  const given = [apiKey?.setting, bearer?.setting, username?.setting].filter(
    (name): name is string => name !== undefined,
  );
  if (given.length > 1) throw badSettings(`${given.join(' and ')} are both set; keep one kind of credentials`);
  if (username !== undefined && password === undefined)
    throw badSettings(`${username.setting} is set without a password (DTQ_ES_PASSWORD or --es-password-file)`);
  if (password !== undefined && username === undefined)
    throw badSettings(`${password.setting} is set without a user name (DTQ_ES_USERNAME or --es-username)`);
  if (apiKey !== undefined)
    return { headers: { authorization: apiKeyHeader(apiKey.value) }, auth: 'api-key', authSetting: apiKey.setting };
  if (bearer !== undefined)
    return { headers: { authorization: `Bearer ${bearer.value}` }, auth: 'bearer', authSetting: bearer.setting };
  if (username !== undefined && password !== undefined) {
    const basic = Buffer.from(`${username.value}:${password.value}`).toString('base64');
    return {
      headers: { authorization: `Basic ${basic}` },
      auth: 'basic',
      authSetting: `${username.setting}/${password.setting}`,
    };
  }
  if (nodes.some((node) => new URL(node).username !== ''))
    return { headers: {}, auth: 'url', authSetting: 'the user:password in DTQ_ES_URL' };
  return { headers: {}, auth: 'none', authSetting: `${CREDENTIAL_SETTINGS} (none is set)` };
}

/** The settings that carry Elasticsearch credentials, for messages that ask for one. */
export const CREDENTIAL_SETTINGS = 'DTQ_ES_API_KEY, DTQ_ES_USERNAME/DTQ_ES_PASSWORD or DTQ_ES_BEARER_TOKEN';

function trust(env: NodeJS.ProcessEnv, flags: EsFlags): Pick<EsConnection, 'tls' | 'trustSetting'> {
  const caFile = setting(flags, 'es-ca', env, ES_ENV.CA);
  const pin = setting(flags, 'es-ca-fingerprint', env, ES_ENV.CA_FINGERPRINT);
  if (caFile !== undefined && pin !== undefined)
    throw badSettings(`${caFile.setting} and ${pin.setting} are both set; trust the server by one of them`);
  if (pin !== undefined) {
    const fingerprint = normalizeFingerprint(pin.value);
    if (fingerprint === undefined)
      throw badSettings(
        `${pin.setting} is not a SHA-256 fingerprint (64 hex digits, colons optional, as Elasticsearch prints it)`,
      );
    return { tls: { caFingerprint: fingerprint }, trustSetting: pin.setting };
  }
  if (caFile !== undefined) {
    let ca: Buffer;
    try {
      ca = readFileSync(caFile.value);
    } catch (error) {
      throw dtqError(ES_ERRORS.CA_UNREADABLE, {
        file: caFile.value,
        setting: caFile.setting,
        reason: (error as NodeJS.ErrnoException).code ?? String(error),
      });
    }
    if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
      throw dtqError(ES_ERRORS.CA_UNREADABLE, {
        file: caFile.value,
        setting: caFile.setting,
        reason: 'no PEM certificate in it',
      });
    return { tls: { ca }, trustSetting: `${caFile.setting} (${caFile.value})` };
  }
  return { tls: undefined, trustSetting: undefined };
}

/** The connection from the environment, each flag given overriding its variable. */
export function esConnection(env: NodeJS.ProcessEnv = process.env, flags: EsFlags = {}): EsConnection {
  const nodes =
    flags.es === undefined
      ? parseEsNodes(envOptional(ES_ENV.URL, env) ?? DEFAULT_ES_URL)
      : parseEsNodes(flags.es, '--es');
  return { nodes, ...credentials(env, flags, nodes), ...trust(env, flags) };
}

/** A connection to `url` (one node or a comma-separated list) with no credentials: tests, benchmarks, local nodes. */
export function plainConnection(url: string): EsConnection {
  return esConnection({ [ES_ENV.URL]: url });
}

/** The node list as it may be printed: credentials masked, comma-separated. */
export function describeNodes(connection: EsConnection): string {
  return connection.nodes.map((node) => redactUrl(node)).join(',');
}
