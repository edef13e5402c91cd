/**
 * Finding the system programs the local stack runs (redis-server, nginx) and, when allowed,
 * installing the missing ones with scripts/install-system-deps.sh (apt-get, as root only).
 * nginx lives in /usr/sbin on Debian, which is not on a normal user's PATH, so the well-known
 * system directories are searched too.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { dtqError } from '../../contract/dtq-error.ts';
import { STACK_ERRORS } from './errors.ts';

/** System programs of the stack and the Debian package that provides each. */
export const SYSTEM_PROGRAMS = { 'redis-server': 'redis-server', nginx: 'nginx' } as const;

/** A system program of the stack. */
export type SystemProgram = keyof typeof SYSTEM_PROGRAMS;

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The script that installs system dependencies; the single place that knows apt-get. */
export const INSTALL_SCRIPT = resolve(import.meta.dirname, '../../scripts/install-system-deps.sh');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of `program`, searching PATH then the system directories; undefined if absent. */
export function findProgram(
  program: string,
  env: NodeJS.ProcessEnv = process.env,
  systemDirs: readonly string[] = SYSTEM_DIRS,
): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...systemDirs];
  for (const dir of dirs) {
    const candidate = join(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The exact command a user runs to install Debian packages. */
export function installCommand(packages: readonly string[], asRoot: boolean): string {
  const sudo = asRoot ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}

/** Options of {@link ensurePrograms}. */
export interface EnsureOptions {
  /** Install what is missing when running as root on a machine with apt-get. */
  install: boolean;
  /** Where to say what is happening. */
  say: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Directories searched after PATH (default: the usual sbin and bin directories). */
  systemDirs?: readonly string[];
}

/**
 * Paths of the programs, installing missing ones first when allowed; otherwise throws
 * DTQ_ERR_STACK_BINARY_MISSING naming the install command.
 */
export function ensurePrograms(
  programs: readonly SystemProgram[],
  options: EnsureOptions,
): Record<SystemProgram, string> {
  const env = options.env ?? process.env;
  const dirs = options.systemDirs ?? SYSTEM_DIRS;
  const missing = programs.filter((program) => findProgram(program, env, dirs) === undefined);
  const isRoot = process.getuid?.() === 0;
  if (missing.length > 0) {
    const packages = missing.map((program) => SYSTEM_PROGRAMS[program]);
    const command = installCommand(packages, isRoot);
    const canInstall = options.install && isRoot && existsSync('/usr/bin/apt-get');
    if (!canInstall) {
      throw dtqError(STACK_ERRORS.BINARY_MISSING, { binary: missing.join(' and '), installCommand: command });
    }
    options.say(`${missing.join(' and ')} missing: installing ${packages.join(' ')} with apt-get (running as root)`);
    const result = spawnSync('bash', [INSTALL_SCRIPT, '--workload'], { stdio: 'inherit', env });
    if (result.status !== 0) {
      throw dtqError(STACK_ERRORS.INSTALL_FAILED, {
        packages: packages.join(' '),
        exitCode: result.status ?? result.signal,
        installCommand: command,
      });
    }
  }
  const found = {} as Record<SystemProgram, string>;
  for (const program of programs) {
    const path = findProgram(program, env, dirs);
    if (path === undefined) {
      throw dtqError(STACK_ERRORS.BINARY_MISSING, {
        binary: program,
        installCommand: installCommand([SYSTEM_PROGRAMS[program]], isRoot),
      });
    }
    found[program] = path;
  }
  return found;
}
