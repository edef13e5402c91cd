/**
 * Locate the nginx binary. Debian installs it in /usr/sbin, which is not on every user's PATH,
 * so the usual system directories are searched after DTQ_NGINX_BIN and PATH.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { dtqError } from '../common/dtq-error.ts';
import { NGINX_ERRORS } from './errors.ts';

const SYSTEM_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin', '/usr/bin', '/sbin'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of nginx; throws DTQ_ERR_NGINX_NOT_INSTALLED naming the apt-get command. */
export function resolveNginxBinary(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.DTQ_NGINX_BIN;
  const candidates =
    explicit !== undefined && explicit !== ''
      ? [explicit]
      : [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS].map((dir) => join(dir, 'nginx'));
  const found = candidates.find(executable);
  if (found !== undefined) return found;
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  throw dtqError(NGINX_ERRORS.NOT_INSTALLED, {
    searched: explicit ? explicit : 'PATH and /usr/sbin',
    installCommand: `${sudo}apt-get update && ${sudo}apt-get install -y nginx`,
  });
}
