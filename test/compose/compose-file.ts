/**
 * Reading docker-compose.yml the way Compose does, for the offline compose tests: YAML with
 * merge keys resolved, `$$` and `${VAR:-default}` interpolation, and commands as argv.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

/** Repository root. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** Path of the compose file. */
export const COMPOSE_PATH = join(ROOT, 'docker-compose.yml');

/** A service as the tests read it (after merge keys). */
export interface Service {
  image?: string;
  build?: { context: string; target?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  profiles?: string[];
  restart?: string;
  init?: boolean;
  container_name?: string;
}

/** The compose file after YAML parsing and merge keys. */
export interface ComposeFile {
  name: string;
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

/** Parse the compose file; throws on a YAML error (Compose would refuse the file too). */
export function loadCompose(path: string = COMPOSE_PATH): ComposeFile {
  const document = parseDocument(readFileSync(path, 'utf8'), { merge: true });
  if (document.errors.length > 0) throw document.errors[0];
  return document.toJS() as ComposeFile;
}

/** Compose interpolation: `$$` is a literal `$`; `${VAR}` and `${VAR:-default}` read `env`. */
export function interpolate(text: string, env: Record<string, string | undefined> = {}): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (whole, name?: string, fallback?: string) => {
      if (whole === '$$') return '$';
      const value = env[name as string];
      return value === undefined || value === '' ? (fallback ?? '') : value;
    },
  );
}

/** The argv a service runs: entrypoint then command. */
export function argv(service: Service): string[] {
  return [...(service.entrypoint ?? []), ...(service.command ?? [])];
}

/** The `node <file>` entry a service runs, also through `sh -c '… exec node <file>'`. */
export function nodeEntry(service: Service): string | undefined {
  const args = argv(service);
  if (args[0] === 'node' && args[1] && !args[1].startsWith('-')) return args[1];
  if (args[0] === 'sh' && args[1] === '-c') return /\bexec node (\S+\.ts)\b/.exec(args[2] ?? '')?.[1];
  return undefined;
}

/** Named volume → container path mounts of a service. */
export function namedMounts(service: Service): Array<{ volume: string; target: string; readOnly: boolean }> {
  return (service.volumes ?? [])
    .map((spec) => spec.split(':'))
    .filter(([source]) => source !== undefined && !source.startsWith('.') && !source.startsWith('/'))
    .map(([volume, target, mode]) => ({ volume: volume as string, target: target as string, readOnly: mode === 'ro' }));
}

/** Published ports as host interface, host port and container port. */
export function publishedPorts(service: Service): Array<{ host: string; hostPort: number; containerPort: number }> {
  return (service.ports ?? []).map((spec) => {
    const parts = spec.split(':');
    const containerPort = Number(parts.at(-1));
    const hostPort = Number(parts.at(-2));
    return { host: parts.length === 3 ? (parts[0] as string) : '', hostPort, containerPort };
  });
}
