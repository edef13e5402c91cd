/**
 * The host a process runs on, as its lines name it (`host.name`) and as default instance names
 * and shipper document ids include it, so that many hosts can write and ship into one index.
 */
import { hostname } from 'node:os';
import { ConfigError } from './env.ts';

/** What DTQ_HOST_NAME may hold: a DNS name or label, which is also a safe file-name part. */
export const HOST_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

/** The host name: DTQ_HOST_NAME, or the operating system's. Throws ConfigError on an unusable DTQ_HOST_NAME. */
export function hostName(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.DTQ_HOST_NAME;
  if (value === undefined || value === '') return hostname();
  if (!HOST_NAME_PATTERN.test(value)) {
    throw new ConfigError('DTQ_HOST_NAME', value, 'a host name: letters, digits, ".", "-" and "_", up to 253');
  }
  return value;
}

/**
 * The service.instance a process takes when DTQ_INSTANCE is unset: `<name>@<host>`
 * (`api-1@web-3`), so the same default on two hosts names two lanes and two log files. The
 * operating system's name is used as it is unless it holds a character unsafe in a file name.
 */
export function defaultInstance(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${name}@${hostName(env).replace(/[^A-Za-z0-9._-]/g, '-')}`;
}
