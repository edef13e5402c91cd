/**
 * Tailing the log directory like Filebeat: finds `*.ndjson` files (and rotated `*.ndjson.N`),
 * reads complete lines from where the registry says, keeps reading a file after it is renamed
 * (rotation), and notices when a file is truncated or replaced (copytruncate).
 *
 * Identity. A file is known by the fingerprint of its first line (up to 1 KiB), not by its
 * inode: logrotate's copytruncate leaves a copy of the old content under a new inode, and an
 * inode-keyed identity would ship that copy a second time under new `_id`s. Device and inode
 * only say where an open file is (a renamed file keeps them). Content that starts over
 * (truncation, a new file at the same path) has a new first line, so a new identity, so new
 * `_id`s: nothing of it is mistaken for what was already shipped. Limit: two different files
 * whose first lines are byte-identical are taken for one; pino lines start with a millisecond
 * timestamp and a pid, so dtq's writers never produce that.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dtqError } from '../contract/dtq-error.ts';
import { SHIPPER_ERRORS } from './errors.ts';
import type { SourceLine } from './line.ts';

/** Files the shipper reads: live NDJSON files and their numbered rotations. */
export const SOURCE_FILE_PATTERN = /\.ndjson(\.\d+)?$/;

/** Bytes of the first line that identify a file. */
export const FINGERPRINT_BYTES = 1024;

/**
 * Bytes read from a file at a time. Every file being read holds up to two chunks (the rest of
 * one and the next), and none once it is read to its end: many files with a backlog cost little.
 */
const READ_CHUNK_BYTES = 64 * 1024;
const TRUNCATED_HEAD_CHARS = 1024;
const EMPTY = Buffer.alloc(0);
const FAIR_SHARE_LINES = 500;

/** Options of {@link Tailer}. */
export interface TailerOptions {
  dir: string;
  maxLineBytes: number;
  /** Where to resume a file: its acknowledged offset from the registry. */
  resumeOffset(fingerprint: string): number;
  /** Called when a file's content is found to start over (for logs and tests). */
  onTruncated?(path: string): void;
}

interface OpenFile {
  fd: number;
  dev: number;
  ino: number;
  path: string;
  /** Undefined until the file has a complete first line (or 1 KiB). */
  fingerprint: string | undefined;
  fingerprintBytes: number;
  size: number;
  /** Bytes read from the file but not yet handed out, starting at file offset bufferStart. */
  buffer: Buffer;
  /** The reusable memory `buffer` is a view of (allocated on first read). */
  store: Buffer | undefined;
  bufferStart: number;
  /** A line longer than the limit being skipped: where it started and its first characters. */
  skipping: { start: number; head: string } | undefined;
  seenInLastScan: boolean;
  lastProgressAt: number;
}

/** What the tailer knows about one open file (for metrics and tests). */
export interface TailedFile {
  path: string;
  fingerprint: string | undefined;
  size: number;
  /** Offset of the next line to hand out. */
  position: number;
  /**
   * Where the file's last line starts when it has no newline yet and everything before it was
   * handed out (the writer may be mid-line, so it is not a line yet); undefined otherwise. A
   * file whose first line is incomplete has no fingerprint and reports 0.
   */
  unterminatedFrom: number | undefined;
}

/** Fingerprint of the first line of an open file, or undefined when it is not complete yet. */
export function fingerprintOf(fd: number): { fingerprint: string; bytes: number } | undefined {
  const head = Buffer.alloc(FINGERPRINT_BYTES);
  const read = readSync(fd, head, 0, FINGERPRINT_BYTES, 0);
  const newline = head.subarray(0, read).indexOf(10);
  const bytes = newline >= 0 ? newline + 1 : read === FINGERPRINT_BYTES ? FINGERPRINT_BYTES : -1;
  if (bytes <= 0) return undefined;
  return { fingerprint: createHash('sha256').update(head.subarray(0, bytes)).digest('hex').slice(0, 32), bytes };
}

/** Reads complete lines from every source file of a directory. */
export class Tailer {
  readonly #options: TailerOptions;
  readonly #files = new Map<string, OpenFile>();
  /** Furthest position handed out per fingerprint, so a copy (copytruncate) resumes after it. */
  readonly #handedOut = new Map<string, number>();
  /** Round-robin position, and lines taken from the current file since it became current. */
  #cursor = 0;
  #streak = 0;
  /** Open files in round-robin order (rebuilt by scan, not per line). */
  #order: OpenFile[] = [];

  constructor(options: TailerOptions) {
    this.#options = options;
  }

  /** Look for new, renamed, rotated, truncated and vanished files. */
  scan(now = Date.now()): void {
    let names: string[];
    try {
      names = readdirSync(this.#options.dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') names = [];
      else throw dtqError(SHIPPER_ERRORS.LOG_DIR_UNREADABLE, { dir: this.#options.dir, reason: code }, error);
    }
    for (const file of this.#files.values()) file.seenInLastScan = false;
    for (const name of names.filter((n) => SOURCE_FILE_PATTERN.test(n)).sort()) {
      const path = join(this.#options.dir, name);
      let stat: ReturnType<typeof statSync>;
      try {
        stat = statSync(path);
      } catch {
        continue; // vanished between readdir and stat
      }
      if (!stat.isFile()) continue;
      const key = `${stat.dev}:${stat.ino}`;
      const open = this.#files.get(key);
      if (open) {
        open.seenInLastScan = true;
        open.path = path;
        continue;
      }
      this.#open(key, path, stat.dev, stat.ino, now);
    }
    for (const [key, file] of this.#files) {
      this.#checkStartedOver(file);
      this.#identify(file);
      // A file renamed out of the pattern or deleted is read to its end, then let go.
      if (!file.seenInLastScan && this.#atEnd(file) && now - file.lastProgressAt > 5_000) {
        closeSync(file.fd);
        this.#files.delete(key);
      }
    }
    this.#order = [...this.#files.values()];
  }

  #open(key: string, path: string, dev: number, ino: number, now: number): void {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return;
    }
    const file: OpenFile = {
      fd,
      dev,
      ino,
      path,
      fingerprint: undefined,
      fingerprintBytes: 0,
      size: 0,
      buffer: Buffer.alloc(0),
      store: undefined,
      bufferStart: 0,
      skipping: undefined,
      seenInLastScan: true,
      lastProgressAt: now,
    };
    this.#files.set(key, file);
    this.#identify(file);
  }

  /** Give an open file its identity once it has a first line, and its resume position. */
  #identify(file: OpenFile): void {
    file.size = fstatSync(file.fd).size;
    if (file.fingerprint !== undefined) return;
    const identity = fingerprintOf(file.fd);
    if (identity === undefined) return;
    // Another open file holds this content (the copy copytruncate made, before the original is
    // seen truncated): wait, it takes over once the original has moved on.
    for (const other of this.#files.values()) if (other.fingerprint === identity.fingerprint) return;
    file.fingerprint = identity.fingerprint;
    file.fingerprintBytes = identity.bytes;
    const resume = Math.max(
      this.#options.resumeOffset(identity.fingerprint),
      this.#handedOut.get(identity.fingerprint) ?? 0,
    );
    file.bufferStart = Math.min(resume, file.size);
    file.buffer = Buffer.alloc(0);
    file.skipping = undefined;
  }

  /** Detect truncation or replacement of an open file's content. */
  #checkStartedOver(file: OpenFile): void {
    if (file.fingerprint === undefined) return;
    const size = fstatSync(file.fd).size;
    const position = file.bufferStart + file.buffer.length;
    const sameStart = size >= file.fingerprintBytes && fingerprintOf(file.fd)?.fingerprint === file.fingerprint;
    if (size >= position && sameStart) return;
    this.#options.onTruncated?.(file.path);
    file.fingerprint = undefined;
    file.fingerprintBytes = 0;
    file.buffer = Buffer.alloc(0);
    file.bufferStart = 0;
    file.skipping = undefined;
  }

  #atEnd(file: OpenFile): boolean {
    return file.fingerprint === undefined || file.bufferStart + file.buffer.length >= file.size;
  }

  /** The next complete line of any file (round robin), or undefined when all are read to the end. */
  nextLine(now = Date.now()): SourceLine | undefined {
    const files = this.#order;
    // Move on to the next file now and then, so one busy file cannot starve the others.
    if (++this.#streak > FAIR_SHARE_LINES) {
      this.#streak = 0;
      this.#cursor++;
    }
    for (let i = 0; i < files.length; i++) {
      const index = (this.#cursor + i) % files.length;
      const file = files[index] as OpenFile;
      const line = this.#lineOf(file);
      if (line !== undefined) {
        if (index !== this.#cursor % files.length) this.#streak = 0;
        this.#cursor = index;
        file.lastProgressAt = now;
        this.#handedOut.set(line.fingerprint, line.end);
        return line;
      }
    }
    return undefined;
  }

  /** Lines of one file, a chunk at a time; at most one chunk plus one line is held in memory. */
  #lineOf(file: OpenFile): SourceLine | undefined {
    const fingerprint = file.fingerprint;
    if (fingerprint === undefined) return undefined;
    for (;;) {
      const newline = file.buffer.indexOf(10);
      if (newline >= 0) {
        const offset = file.bufferStart;
        const end = file.bufferStart + newline + 1;
        const bytes = file.buffer.subarray(0, newline);
        file.buffer = file.buffer.subarray(newline + 1);
        file.bufferStart = end;
        if (file.skipping !== undefined) {
          const { start, head } = file.skipping;
          file.skipping = undefined;
          return { fingerprint, path: file.path, offset: start, end, text: head, truncatedFrom: end - 1 - start };
        }
        if (bytes.length > this.#options.maxLineBytes) {
          const head = bytes.subarray(0, TRUNCATED_HEAD_CHARS).toString('utf8');
          return { fingerprint, path: file.path, offset, end, text: head, truncatedFrom: bytes.length };
        }
        const text = bytes.toString('utf8');
        // Decoding puts U+FFFD where bytes are invalid; only a line that has one can be invalid,
        // and a one-byte string (nearly every log line) answers includes() at once.
        const invalidUtf8 = text.includes('\uFFFD') && !isUtf8(bytes);
        return { fingerprint, path: file.path, offset, end, text, bytes, invalidUtf8 };
      }
      if (file.skipping === undefined && file.buffer.length > this.#options.maxLineBytes) {
        const head = file.buffer.subarray(0, TRUNCATED_HEAD_CHARS).toString('utf8');
        file.skipping = { start: file.bufferStart, head };
      }
      if (file.skipping !== undefined) {
        // Drop what is buffered of the oversized line; only its start and length are kept.
        file.bufferStart += file.buffer.length;
        file.buffer = Buffer.alloc(0);
      }
      const position = file.bufferStart + file.buffer.length;
      const read = this.#fill(file, position);
      if (read === 0) {
        // Read to its end: its buffer goes until the file grows (a waiting part of a line keeps it).
        if (file.buffer.length === 0) {
          file.store = undefined;
          file.buffer = EMPTY;
        }
        return undefined;
      }
      if (position + read > file.size) file.size = position + read;
    }
  }

  /**
   * Read the next chunk of a file into its own reusable buffer, after the bytes not yet handed
   * out (moved to the front). One buffer per file instead of one per read keeps the process's
   * memory flat while a large backlog streams through.
   */
  #fill(file: OpenFile, position: number): number {
    const pending = file.buffer.length;
    let store = file.store;
    // A file read to its end has no buffer: take one only once there is something to read.
    if (store === undefined && pending === 0) {
      file.size = fstatSync(file.fd).size;
      if (file.size <= position) return 0;
    }
    if (
      store === undefined ||
      pending + READ_CHUNK_BYTES > store.length ||
      (store.length > READ_CHUNK_BYTES * 2 && pending < READ_CHUNK_BYTES)
    ) {
      // Grow for a long line being assembled; go back to the normal size once it is through.
      const grown = Buffer.allocUnsafe(Math.max(READ_CHUNK_BYTES * 2, pending + READ_CHUNK_BYTES));
      file.buffer.copy(grown, 0);
      store = grown;
      file.store = grown;
    } else if (pending > 0 && file.buffer.byteOffset !== store.byteOffset) {
      file.buffer.copy(store, 0); // memmove: source and target may overlap
    }
    const read = readSync(file.fd, store, pending, store.length - pending, position);
    file.buffer = store.subarray(0, pending + read);
    return read;
  }

  /** The open files and how far each is read. */
  files(): TailedFile[] {
    return [...this.#files.values()].map((file) => ({
      path: file.path,
      fingerprint: file.fingerprint,
      size: file.size,
      position: file.bufferStart,
      unterminatedFrom: this.#unterminatedFrom(file),
    }));
  }

  #unterminatedFrom(file: OpenFile): number | undefined {
    // No fingerprint: either the first line is incomplete, or a copy waits for its original.
    if (file.fingerprint === undefined) return file.size > 0 && fingerprintOf(file.fd) === undefined ? 0 : undefined;
    if (file.bufferStart + file.buffer.length < file.size) return undefined;
    if (file.skipping !== undefined) return file.skipping.start;
    return file.buffer.length > 0 && file.buffer.indexOf(10) < 0 ? file.bufferStart : undefined;
  }

  /** Close every file. */
  close(): void {
    for (const file of this.#files.values()) closeSync(file.fd);
    this.#files.clear();
    this.#order = [];
  }
}
