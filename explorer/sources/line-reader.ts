/**
 * Lines out of a byte stream, a chunk at a time, so no file is ever one string in memory. A
 * line longer than the cap is not kept: its bytes are dropped as they arrive and the line is
 * handed on flagged as over-long (the file source counts it as malformed), so one 2 GB line
 * without a newline costs at most the cap.
 */
import { createReadStream, read } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** The longest line kept, in bytes; longer lines are counted as malformed. */
export const MAX_LINE_BYTES = 1024 * 1024;
/**
 * Bytes read from a file at a time. A line cut by a chunk's end is copied twice (kept, then
 * joined), so chunks are large beside the longest usual lines: OTLP exports write ~44 KB
 * lines, and with 64 KiB chunks most of them were cut (the otel profile's CPU over dtq's went
 * from 1.22× to 1.09× in `node bench/profiles.bench.ts` with 1 MiB). Files are read one at a
 * time, so this is the reader's memory, not per file.
 */
export const CHUNK_BYTES = 1024 * 1024;

/** One line: its bytes (without the newline or a trailing CR) and its 1-based number. */
export interface RawLine {
  /**
   * Empty when the line was over-long. Often a view of the chunk being split, which the next
   * chunk of a file overwrites: valid during the call only, so a caller that keeps it copies it.
   */
  readonly bytes: Buffer;
  readonly number: number;
  /** True when the line was longer than the cap and its bytes were dropped. */
  readonly overLong: boolean;
  /**
   * False when the splitter was given needles and the line holds none of them: the caller
   * need not look. True otherwise (a line cut across chunks is always a candidate).
   */
  readonly candidate: boolean;
}

/** How to split. */
export interface SplitOptions {
  /** The longest line kept, in bytes (default MAX_LINE_BYTES). */
  readonly maxLineBytes?: number;
  /** The number of the first line: a read that resumes mid-file continues the count. */
  readonly firstNumber?: number;
  /**
   * Byte strings (without newlines) a caller looks for. They are searched once per chunk, not
   * once per line, which is most of a lookup's cost when few lines match.
   */
  readonly needles?: readonly Buffer[];
}

/** Called once per line, in order. */
export type OnLine = (line: RawLine) => void;

const NEWLINE = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/** Splits chunks into lines; pure, so its edges (chunk borders, caps) are tested without files. */
export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #needles: readonly Buffer[] | undefined;
  #parts: Buffer[] = [];
  #partBytes = 0;
  #overLong = false;
  #number: number;
  /** Bytes pushed so far, and how many of them end with a newline (the lines handed on). */
  #pushed = 0;
  #complete = 0;

  constructor(options: SplitOptions = {}) {
    this.#maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.#number = (options.firstNumber ?? 1) - 1;
    this.#needles = options.needles;
  }

  /** Bytes up to and including the last newline: where a later read resumes. */
  get completeBytes(): number {
    return this.#complete;
  }

  /** The number of the last line handed on (`firstNumber - 1` before any). */
  get lastNumber(): number {
    return this.#number;
  }

  /** Hand every line `chunk` completes to `onLine`; keep the rest for the next chunk. */
  push(chunk: Buffer, onLine: OnLine): void {
    const base = this.#pushed;
    this.#pushed += chunk.length;
    const marks = this.#marks(chunk);
    let mark = 0;
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) {
        this.#keep(chunk.subarray(start));
        return;
      }
      if (this.#partBytes === 0 && !this.#overLong) {
        // The whole line is in this chunk: hand on a view of it, no copy.
        let candidate = true;
        if (marks !== undefined) {
          while (mark < marks.length && (marks[mark] as number) < start) mark++;
          candidate = mark < marks.length && (marks[mark] as number) < end;
        }
        if (end - start > this.#maxLineBytes) this.#overLong = true;
        this.#emit(onLine, chunk.subarray(start, end), candidate);
      } else {
        this.#keep(chunk.subarray(start, end));
        this.#emit(onLine);
      }
      this.#complete = base + end + 1;
      start = end + 1;
    }
  }

  /** Where the needles start in `chunk`, in order; undefined when there are none to look for. */
  #marks(chunk: Buffer): number[] | undefined {
    if (this.#needles === undefined) return undefined;
    const marks: number[] = [];
    for (const needle of this.#needles) {
      for (let at = chunk.indexOf(needle); at !== -1; at = chunk.indexOf(needle, at + 1)) marks.push(at);
    }
    if (this.#needles.length > 1) marks.sort((a, b) => a - b);
    return marks;
  }

  /**
   * The text after the last newline, as a line, when the stream has ended for good (standard
   * input, a compressed file). A plain file's tail may still be being written: its reader
   * leaves it for the next read instead of calling this.
   */
  end(onLine: OnLine): void {
    if (this.#partBytes > 0 || this.#overLong) this.#emit(onLine);
    this.#complete = this.#pushed;
  }

  #keep(bytes: Buffer): void {
    if (bytes.length === 0 || this.#overLong) return;
    if (this.#partBytes + bytes.length > this.#maxLineBytes) {
      this.#overLong = true;
      this.#parts = [];
      this.#partBytes = 0;
      return;
    }
    // A subarray keeps the whole chunk alive: copy, since the line may wait for several chunks.
    this.#parts.push(Buffer.from(bytes));
    this.#partBytes += bytes.length;
  }

  /** Hand on the line kept so far, or `whole` when the line came in one piece. */
  #emit(onLine: OnLine, whole?: Buffer, candidate = true): void {
    this.#number++;
    if (this.#overLong) {
      onLine({ bytes: EMPTY, number: this.#number, overLong: true, candidate: false });
    } else {
      let bytes =
        whole ?? (this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#partBytes));
      if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
      onLine({ bytes, number: this.#number, overLong: false, candidate });
    }
    this.#parts = [];
    this.#partBytes = 0;
    this.#overLong = false;
  }
}

/** How to read one file. */
export interface ReadOptions {
  /** Bytes of the file to read (its size when listed), so lines appended meanwhile wait for the next read. */
  readonly size: number;
  /** Gunzip the bytes; every line of a compressed file is complete, the last one too. */
  readonly gzip: boolean;
  /** The text after the last newline is a whole line (a file that is no longer written to). */
  readonly complete: boolean;
  /** Read this open descriptor instead of the path; it stays open. */
  readonly fd?: number;
  /** Where to start: the end of a line a previous read handed on (not for gzip). */
  readonly start?: number;
  /** The number of the line at `start`. */
  readonly firstLine?: number;
  /** Byte strings the caller looks for (see {@link SplitOptions.needles}). */
  readonly needles?: readonly Buffer[];
  readonly maxLineBytes?: number;
  readonly chunkBytes?: number;
  /**
   * Stop reading once aborted (checked after each chunk, so lines of the chunk being split
   * still arrive): a caller that has what it wants need not read the rest of a large file.
   */
  readonly signal?: AbortSignal;
}

/** Where a read stopped: the offset after its last whole line, and that line's number. */
export interface ReadEnd {
  readonly offset: number;
  readonly lastLine: number;
}

/** Stream the lines of a file to `onLine`; rejects with the file system's or zlib's error. */
export async function readFileLines(path: string, options: ReadOptions, onLine: OnLine): Promise<ReadEnd> {
  const start = options.gzip ? 0 : (options.start ?? 0);
  const splitter = new LineSplitter({
    ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
    ...(options.needles === undefined ? {} : { needles: options.needles }),
    firstNumber: options.gzip ? 1 : (options.firstLine ?? 1),
  });
  if (options.size <= start) return { offset: start, lastLine: splitter.lastNumber };
  if (!options.gzip) await readPlain(path, options, start, splitter, onLine);
  else await readGzip(path, options, start, splitter, onLine);
  if (options.signal?.aborted) return { offset: start + splitter.completeBytes, lastLine: splitter.lastNumber };
  if (options.gzip || options.complete) {
    splitter.end(onLine);
    return { offset: options.size, lastLine: splitter.lastNumber };
  }
  return { offset: start + splitter.completeBytes, lastLine: splitter.lastNumber };
}

/**
 * A plain file, read into two buffers in turn: the next chunk is read while the lines of this
 * one are split and handled, and a read of a whole directory allocates two chunks, not one per
 * read, so what it leaves for the collector is the lines' records alone.
 */
async function readPlain(
  path: string,
  options: ReadOptions,
  start: number,
  splitter: LineSplitter,
  onLine: OnLine,
): Promise<void> {
  const handle = options.fd === undefined ? await open(path, 'r') : undefined;
  const fd = options.fd ?? (handle as FileHandle).fd;
  const size = Math.max(1, Math.min(options.chunkBytes ?? CHUNK_BYTES, options.size - start));
  const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)] as const;
  const readAt = (position: number, turn: number): Promise<number> | undefined =>
    position < options.size
      ? readInto(fd, buffers[turn % 2] as Buffer, Math.min(size, options.size - position), position)
      : undefined;
  let position = start;
  let turn = 0;
  let pending = readAt(position, turn);
  try {
    while (pending !== undefined) {
      const bytesRead = await pending;
      // The file shrank since it was listed: what is there has been read.
      if (bytesRead === 0) break;
      position += bytesRead;
      const chunk = (buffers[turn % 2] as Buffer).subarray(0, bytesRead);
      turn++;
      pending = options.signal?.aborted ? undefined : readAt(position, turn);
      splitter.push(chunk, onLine);
      if (options.signal?.aborted) break;
    }
  } finally {
    // A read still under way must end before its descriptor closes.
    await pending?.catch(() => 0);
    await handle?.close();
  }
}

/** fs.read as a promise, on a descriptor that may be borrowed (the FileHandle's or the caller's). */
function readInto(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)));
  });
}

/** A gzipped file, streamed through gunzip. */
async function readGzip(
  path: string,
  options: ReadOptions,
  start: number,
  splitter: LineSplitter,
  onLine: OnLine,
): Promise<void> {
  const file = createReadStream(path, {
    // Destroying a read stream closes its descriptor even without autoClose: a borrowed one
    // is given a close that leaves it open, so a read may stop early and the stream still go.
    ...(options.fd === undefined ? {} : { fd: options.fd, autoClose: false, fs: { read, close: keepOpen } }),
    start,
    end: options.size - 1,
    highWaterMark: options.chunkBytes ?? CHUNK_BYTES,
  });
  const stream: Readable = options.gzip
    ? file.pipe(createGunzip({ chunkSize: options.chunkBytes ?? CHUNK_BYTES }))
    : file;
  // A read error on the file does not reach the gunzip stream by itself.
  if (options.gzip) file.on('error', (error) => stream.destroy(error));
  try {
    for await (const chunk of stream) {
      splitter.push(chunk as Buffer, onLine);
      if (options.signal?.aborted) break;
    }
  } finally {
    file.destroy();
  }
}

/** The `close` of a borrowed descriptor: its owner closes it. */
function keepOpen(_fd: number, done: (error: NodeJS.ErrnoException | null) => void): void {
  done(null);
}
