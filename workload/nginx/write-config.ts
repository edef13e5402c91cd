/** Write a rendered nginx config and create the directories it names, ready for `nginx -c`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostName } from '../../contract/host.ts';
import { nginxLimitsFromEnv } from './limits.ts';
import { type NginxConfigOptions, type NginxPaths, nginxPaths, renderNginxConfig } from './render.ts';

/** The written config and the files nginx will write. */
export interface WrittenNginxConfig extends NginxPaths {
  configPath: string;
  /** Arguments for the nginx binary: prefix, config and early error log. */
  args: string[];
}

/**
 * Render `options` into `<runDir>/nginx.conf`, creating runDir, its temp dir and logDir. Limits
 * not in `options` come from the DTQ_NGINX_* variables of `env`, then the defaults; host.name
 * from `options`, else DTQ_HOST_NAME, else nginx's own `$hostname`.
 */
export function writeNginxConfig(
  options: NginxConfigOptions,
  env: NodeJS.ProcessEnv = process.env,
): WrittenNginxConfig {
  const paths = nginxPaths(options);
  mkdirSync(paths.tempDir, { recursive: true });
  mkdirSync(options.logDir, { recursive: true });
  const configPath = join(options.runDir, 'nginx.conf');
  const host = env.DTQ_HOST_NAME ? { hostName: hostName(env) } : {};
  writeFileSync(configPath, renderNginxConfig({ ...nginxLimitsFromEnv(env), ...host, ...withoutUndefined(options) }));
  // -e: errors before the config's error_log is read (e.g. a bad config) go to the run dir,
  // not to /var/log/nginx, which an unprivileged user cannot write.
  return { ...paths, configPath, args: ['-p', options.runDir, '-c', configPath, '-e', paths.errorLog] };
}

function withoutUndefined(options: NginxConfigOptions): NginxConfigOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as NginxConfigOptions;
}
