/**
 * Which files `--logs` names: a directory (walked, subdirectories included, one per host or
 * service), a single file, a glob (`*`, `?`, `**`, `[…]`) or `-` for standard input. Files
 * that cannot be read as logs (a FIFO, a socket, a symlink loop, a directory the user cannot
 * list) are skipped with a notice instead of hanging or throwing: the explorer says what it
 * left out and reads the rest.
 *
 * Node 20 has no `fs.glob` (Node 22), and a glob of three wildcards does not justify a
 * dependency: the matcher below compiles the pattern to a regular expression and the walk
 * stops at the depth the pattern can reach.
 */
import { readdirSync, realpathSync, type Stats, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { dtqError } from '../../contract/dtq-error.ts';
import { EXPLORE_ERRORS } from '../errors.ts';

/** What `--logs` names. */
export type LogInput =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'glob'; readonly pattern: string; readonly base: string; readonly rest: string }
  | { readonly kind: 'stdin' };

/** A file to read, as listed now. */
export interface LogFile {
  /** Absolute path. */
  readonly path: string;
  /** Path shown in hits and notices: relative to the directory or glob base. */
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Device and inode: a file rotated away and replaced under the same name is another file. */
  readonly dev: number;
  readonly ino: number;
  readonly gzip: boolean;
  /** The text after the last newline is a whole line: the file is no longer written to. */
  readonly complete: boolean;
  /** An open descriptor to read instead of the path (standard input, spooled to an unlinked file). */
  readonly fd?: number;
}

/** The files found, and what was skipped and why. */
export interface Listing {
  readonly files: LogFile[];
  readonly notices: string[];
  /** False when the path named nothing at all (a glob always "exists"). */
  readonly exists: boolean;
  /** True when the path is a directory (or a glob, whose base is one): false for a single file. */
  readonly directory: boolean;
}

/** Names a directory walk reads: NDJSON, JSON and .log files, rotated (`.1`, `-20261122`) and gzipped. */
const LOG_NAME = /\.(?:ndjson|jsonl|json|log)(?:[.-]\d+)*(?:\.gz)?$/;

/** What a directory walk reads, for messages. */
export const LOG_NAMES_TEXT = '*.ndjson, *.jsonl, *.json, *.log, rotated (.1, -20261122) and .gz';

const GLOB_CHARS = /[*?[]/;

/** Whether a directory walk reads a file of this name. */
export function isLogFileName(name: string): boolean {
  return LOG_NAME.test(name);
}

/** How `--logs` names its input. A path that exists is a path even if it holds `*` or `?`. */
export function parseLogInput(argument: string, exists: (path: string) => boolean): LogInput {
  if (argument === '-') return { kind: 'stdin' };
  const absolute = resolve(argument);
  if (!GLOB_CHARS.test(argument) || exists(absolute)) return { kind: 'path', path: absolute };
  const segments = absolute.split(sep);
  const firstWild = segments.findIndex((segment) => GLOB_CHARS.test(segment));
  const rest = segments.slice(firstWild).join('/');
  try {
    globToRegExp(rest);
  } catch (error) {
    // A class the regular expression refuses (`[z-a]`): the user's argument, not a crash.
    throw dtqError(EXPLORE_ERRORS.USAGE, {
      problem: `--logs ${argument} is not a glob the explorer can read (${(error as Error).message})`,
    });
  }
  return { kind: 'glob', pattern: argument, base: segments.slice(0, firstWild).join(sep) || sep, rest };
}

/**
 * A glob over `/`-separated relative paths as a regular expression: `*` and `?` stay within
 * one segment, a `**` segment spans any number of them (none included), `[…]` is a class.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  const segments = glob.split('/');
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '**') {
      source += last ? '.*' : '(?:[^/]*/)*';
      return;
    }
    for (let i = 0; i < segment.length; i++) {
      const c = segment[i] as string;
      if (c === '*') source += '[^/]*';
      else if (c === '?') source += '[^/]';
      else if (c === '[') {
        const close = segment.indexOf(']', i + 2);
        if (close === -1) {
          source += '\\[';
          continue;
        }
        let body = segment.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        source += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      } else source += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
    if (!last) source += '/';
  });
  return new RegExp(`^${source}$`);
}

/** The one-line notice for a path that could not be read. */
export function noticeFor(name: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ELOOP':
      return `${name}: symlink loop, skipped`;
    case 'EACCES':
    case 'EPERM':
      return `${name}: permission denied, skipped`;
    case 'ENOENT':
      return `${name}: vanished while reading (rotated or deleted), skipped`;
    case 'Z_DATA_ERROR':
    case 'Z_BUF_ERROR':
      return `${name}: not a complete gzip file, skipped`;
    default:
      return `${name}: unreadable (${code ?? (error instanceof Error ? error.message : String(error))}), skipped`;
  }
}

function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function fileOf(path: string, name: string, stat: Stats): LogFile {
  const gzip = path.endsWith('.gz');
  // A compressed file was finished before it was compressed: its last line is whole.
  return { path, name, size: stat.size, mtimeMs: stat.mtimeMs, dev: stat.dev, ino: stat.ino, gzip, complete: gzip };
}

/** The file system calls a listing makes: a seam for tests that need a file to vanish between two of them. */
export interface ListingFs {
  readonly statSync: (path: string) => Stats;
  readonly readdirSync: (path: string) => string[];
  readonly realpathSync: (path: string) => string;
}

const NODE_FS: ListingFs = { statSync, readdirSync, realpathSync };

/**
 * The files a path or glob names now, sorted by name, with notices for what was skipped. Any
 * file or directory may vanish between two calls (rotation, above all under --follow): each
 * call on one is guarded, so it is skipped with a notice instead of failing the listing.
 */
export function listLogFiles(input: Exclude<LogInput, { kind: 'stdin' }>, fs: ListingFs = NODE_FS): Listing {
  const files: LogFile[] = [];
  const notices: string[] = [];
  const root = input.kind === 'path' ? input.path : input.base;
  let stat: Stats;
  let realRoot: string;
  try {
    stat = fs.statSync(root);
    realRoot = fs.realpathSync(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { files, notices, exists: input.kind === 'glob', directory: input.kind === 'glob' };
    notices.push(noticeFor(root, error));
    return { files, notices, exists: true, directory: false };
  }
  if (input.kind === 'path' && !stat.isDirectory()) {
    // A file named on the command line is read whatever its name: the user chose it.
    if (stat.isFile()) files.push(fileOf(root, basename(root), stat));
    else notices.push(`${root}: ${kindOf(stat)}, skipped (pipe logs with --logs - instead)`);
    return { files, notices, exists: true, directory: false };
  }
  if (!stat.isDirectory()) return { files, notices, exists: true, directory: false };
  const match = input.kind === 'glob' ? globToRegExp(input.rest) : undefined;
  const maxDepth = input.kind === 'glob' && !input.rest.split('/').includes('**') ? input.rest.split('/').length : 64;
  // Directories on the path from the root (a symlink back to one is a loop) and every
  // directory and file read so far (a second path to one would read its lines twice).
  const ancestors = new Set<string>([realRoot]);
  const visited = new Set<string>(ancestors);

  // Stat found it a moment ago: if it is gone now, it was rotated or deleted, which is worth a notice.
  const realOf = (path: string, name: string): string | undefined => {
    try {
      return fs.realpathSync(path);
    } catch (error) {
      notices.push(noticeFor(name, error));
      return undefined;
    }
  };

  const walk = (dir: string, rel: string, depth: number): void => {
    let entries: string[];
    try {
      entries = fs.readdirSync(dir).sort();
    } catch (error) {
      notices.push(noticeFor(rel === '' ? dir : `${rel}/`, error));
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      const name = rel === '' ? entry : `${rel}/${entry}`;
      const wanted = match ? match.test(name) : isLogFileName(entry);
      let entryStat: Stats;
      try {
        entryStat = fs.statSync(path);
      } catch (error) {
        // A dangling symlink among the logs is noise; a loop or a refusal is worth a notice.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') notices.push(noticeFor(name, error));
        continue;
      }
      if (entryStat.isDirectory()) {
        if (match && wanted) notices.push(`${name}: a directory, not a log file, skipped`);
        if (depth + 1 >= maxDepth) continue;
        const real = realOf(path, name);
        if (real === undefined) continue;
        if (ancestors.has(real)) {
          notices.push(`${name}: symlink loop (leads back to ${relative(root, real) || '.'}), skipped`);
          continue;
        }
        if (visited.has(real)) continue;
        visited.add(real);
        ancestors.add(real);
        walk(path, name, depth + 1);
        ancestors.delete(real);
      } else if (wanted) {
        if (entryStat.isFile()) {
          const real = realOf(path, name);
          if (real === undefined || visited.has(real)) continue;
          visited.add(real);
          files.push(fileOf(path, name, entryStat));
        } else notices.push(`${name}: ${kindOf(entryStat)}, skipped (pipe logs with --logs - instead)`);
      }
    }
  };
  walk(root, '', 0);
  return { files, notices, exists: true, directory: true };
}

/** A path as the user would recognise it in a message. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
