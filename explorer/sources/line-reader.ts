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
 * joined), so chunks are large beside the longest usual lines: an OTLP export of 50 records
 * is a line of ~48 KiB, and 64 KiB chunks would cut most of them (the otel row of
 * `node bench/profiles.bench.ts` shows the cost). Files are read one at a time, so this is
 * the reader's memory, not per file.
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

/**
 * Called once per line, in order, with the line decoded (UTF-8, without the newline or a
 * trailing CR), or undefined when it was longer than the cap; `number` is 1-based.
 */
export type OnTextLine = (text: string | undefined, number: number) => void;

/**
 * Bytes decoded into one string at most, as far as a newline allows: a string much larger
 * would be allocated outside the young generation, and a list pass decoding 1 GB in such
 * strings would bring on a full collection (which marks everything the pass keeps) far more
 * often than its garbage needs.
 */
const TEXT_PIECE_BYTES = 64 * 1024;
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

  /**
   * {@link push}, handing on each line decoded. The lines a chunk holds whole are decoded in
   * pieces of many lines and cut at the newlines of the text: a call into the decoder per
   * piece, not per line, and no buffer view per line. A newline byte never belongs to another character,
   * so the text reads as each line decoded alone would.
   */
  pushText(chunk: Buffer, onText: OnTextLine): void {
    const base = this.#pushed;
    this.#pushed += chunk.length;
    let start = 0;
    if (this.#partBytes > 0 || this.#overLong) {
      const end = chunk.indexOf(NEWLINE);
      if (end === -1) {
        this.#keep(chunk);
        return;
      }
      this.#keep(chunk.subarray(0, end));
      this.#emitText(onText);
      this.#complete = base + end + 1;
      start = end + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= start) {
      if (last - start > this.#maxLineBytes) {
        // One of these lines may be over the cap: measure each in bytes.
        this.#pushed = base + start;
        this.push(chunk.subarray(start, last + 1), (line) => onText(textOf(line), line.number));
        this.#pushed = base + chunk.length;
        this.#complete = base + last + 1;
      } else {
        for (let from = start; from <= last; ) {
          let to = last;
          if (last - from > TEXT_PIECE_BYTES) {
            to = chunk.lastIndexOf(NEWLINE, from + TEXT_PIECE_BYTES);
            if (to < from) to = chunk.indexOf(NEWLINE, from + TEXT_PIECE_BYTES);
          }
          this.#emitPiece(chunk.toString('utf8', from, to), onText);
          from = to + 1;
        }
        this.#complete = base + last + 1;
      }
      start = last + 1;
    }
    if (start < chunk.length) this.#keep(chunk.subarray(start));
  }

  /** Hand on the lines of `text`, which ended with a newline that is not in it. */
  #emitPiece(text: string, onText: OnTextLine): void {
    for (let from = 0; ; ) {
      const newline = text.indexOf('\n', from);
      const end = newline === -1 ? text.length : newline;
      this.#number++;
      onText(text.slice(from, end > from && text.charCodeAt(end - 1) === CR ? end - 1 : end), this.#number);
      if (newline === -1) return;
      from = newline + 1;
    }
  }

  /** {@link end} for {@link pushText}. */
  endText(onText: OnTextLine): void {
    if (this.#partBytes > 0 || this.#overLong) this.#emitText(onText);
    this.#complete = this.#pushed;
  }

  /** The line kept so far, decoded. */
  #emitText(onText: OnTextLine): void {
    this.#emit((line) => onText(textOf(line), line.number));
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

function textOf(line: RawLine): string | undefined {
  return line.overLong ? undefined : line.bytes.toString('utf8');
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
export function readFileLines(path: string, options: ReadOptions, onLine: OnLine): Promise<ReadEnd> {
  return readSplit(path, options, {
    push: (splitter, chunk) => splitter.push(chunk, onLine),
    end: (splitter) => splitter.end(onLine),
  });
}

/**
 * {@link readFileLines}, each line decoded ({@link LineSplitter.pushText}): for a reader that
 * decodes every line anyway. Needles are not searched.
 */
export function readFileTextLines(path: string, options: ReadOptions, onText: OnTextLine): Promise<ReadEnd> {
  return readSplit(path, options, {
    push: (splitter, chunk) => splitter.pushText(chunk, onText),
    end: (splitter) => splitter.endText(onText),
  });
}

/** How a read hands its chunks to the splitter, and the tail of a stream that has ended. */
interface Split {
  push(splitter: LineSplitter, chunk: Buffer): void;
  end(splitter: LineSplitter): void;
}

async function readSplit(path: string, options: ReadOptions, split: Split): Promise<ReadEnd> {
  const start = options.gzip ? 0 : (options.start ?? 0);
  const splitter = new LineSplitter({
    ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
    ...(options.needles === undefined ? {} : { needles: options.needles }),
    firstNumber: options.gzip ? 1 : (options.firstLine ?? 1),
  });
  if (options.size <= start) return { offset: start, lastLine: splitter.lastNumber };
  const push = (chunk: Buffer) => split.push(splitter, chunk);
  if (!options.gzip) await readPlain(path, options, start, push);
  else await readGzip(path, options, push);
  if (options.signal?.aborted) return { offset: start + splitter.completeBytes, lastLine: splitter.lastNumber };
  if (options.gzip || options.complete) {
    split.end(splitter);
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
  push: (chunk: Buffer) => void,
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
      push(chunk);
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

/** A gzipped file, streamed through gunzip, from its start. */
async function readGzip(path: string, options: ReadOptions, push: (chunk: Buffer) => void): Promise<void> {
  const file = createReadStream(path, {
    // Destroying a read stream closes its descriptor even without autoClose: a borrowed one
    // is given a close that leaves it open, so a read may stop early and the stream still go.
    ...(options.fd === undefined ? {} : { fd: options.fd, autoClose: false, fs: { read, close: keepOpen } }),
    start: 0,
    end: options.size - 1,
    highWaterMark: options.chunkBytes ?? CHUNK_BYTES,
  });
  const stream: Readable = file.pipe(createGunzip({ chunkSize: options.chunkBytes ?? CHUNK_BYTES }));
  // A read error on the file does not reach the gunzip stream by itself.
  file.on('error', (error) => stream.destroy(error));
  try {
    for await (const chunk of stream) {
      push(chunk as Buffer);
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

/**
 * The first `length` bytes of a file's content, decompressed for a `.gz`, or fewer when it holds
 * fewer: what tells a copy of a file by its first line (explorer/sources/follow-plan.ts).
 * `ended`: the content ended before `length` bytes, and cleanly (a `.gz` still being written
 * gives what it holds so far, not ended).
 */
export async function readHead(
  path: string,
  options: Pick<ReadOptions, 'size' | 'gzip' | 'fd'>,
  length: number,
): Promise<{ bytes: Buffer; ended: boolean }> {
  if (options.size <= 0) return { bytes: EMPTY, ended: true };
  if (!options.gzip) {
    const size = Math.min(options.size, length);
    const handle = options.fd === undefined ? await open(path, 'r') : undefined;
    try {
      const buffer = Buffer.alloc(size);
      const read = await readInto(options.fd ?? (handle as FileHandle).fd, buffer, size, 0);
      return { bytes: buffer.subarray(0, read), ended: read < length };
    } finally {
      await handle?.close();
    }
  }
  const parts: Buffer[] = [];
  let got = 0;
  let ended = true;
  const enough = new AbortController();
  try {
    await readGzip(path, { ...options, complete: true, chunkBytes: length, signal: enough.signal }, (chunk) => {
      parts.push(Buffer.from(chunk));
      got += chunk.length;
      if (got >= length) enough.abort();
    });
  } catch (error) {
    if (got === 0) throw error;
    ended = false;
  }
  return { bytes: Buffer.concat(parts).subarray(0, length), ended: ended && got < length };
}
