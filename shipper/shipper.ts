/**
 * The shipper: tailer → batches → bounded queue → bulk writer → registry, as two loops joined
 * by the queue. The reader stops reading when the queue is full (backpressure); the sender
 * keeps up to maxConcurrentExports batches in flight and moves the registry, in batch order,
 * only after every line of a batch has its answer from Elasticsearch (or is in the dead-letter
 * file). See docs/pipeline.md.
 */
import { join } from 'node:path';
import { setTimeout as sleep, setImmediate as yieldToIo } from 'node:timers/promises';
import type { Logger } from 'pino';
import { DtqError } from '../contract/dtq-error.ts';
import { hostName } from '../contract/host.ts';
import { dailyIndexNamer, timestampRange } from '../contract/indices.ts';
import { redactUrl } from '../contract/redact.ts';
import { EVENTS, F } from '../contract/vocabulary.ts';
import { type EsConnection, plainConnection } from '../elk/connection.ts';
import { CORE_STEPS, runSetup } from '../elk/setup.ts';
import { errorFields, logEvent } from '../instrumentation/logger.ts';
import { backoffDelay } from './backoff.ts';
import { Batch, BodyPool, BoundedQueue } from './batcher.ts';
import { BulkWriter, type DocOutcome } from './bulk-writer.ts';
import { batchBytesLimit, liveBatches, type ShipperConfig } from './config.ts';
import { DEAD_LETTER_LINE_CHARS, DeadLetterFile, type DeadLetterRecord } from './dead-letter.ts';
import { type InvalidUtf8File, InvalidUtf8Tally } from './invalid-utf8-tally.ts';
import { hostIdTag, prepareLine, REJECT_REASONS, type SourceLine } from './line.ts';
import { metricsFields, type ShipperCounters, type ShipperSnapshot, zeroCounters } from './metrics.ts';
import type { Progress } from './progress.ts';
import { Registry } from './registry.ts';
import { Tailer } from './tailer.ts';

/** Room past a batch's byte limit for the line that crosses it, with its `_bulk` action. */
const OVERSHOOT_BYTES = 64 * 1024;

/** Registry entries of files gone for this long are forgotten. */
const REGISTRY_TTL_MS = 24 * 60 * 60 * 1000;

/** Options of {@link Shipper}. */
export interface ShipperOptions {
  config: ShipperConfig;
  /** Where `shipper.metrics` and the shipper's other events go; none in library use. */
  logger?: Logger;
  progress?: Progress;
  /** Return from run() once every file is shipped to its end (batch use and benchmarks). */
  untilCaughtUp?: boolean;
  /** Told at once when Elasticsearch fails or a node is passed over, and when it answers again (the CLI says it on stderr). */
  onConnection?: (notice: ConnectionNotice) => void;
}

/** What the shipper tells of its connection to Elasticsearch. */
export type ConnectionNotice =
  /** A request failed; `retries` counts the retries since the last success, `delayMs` is the wait before the next. */
  | { kind: 'retrying'; reason: string; code: string; retries: number; delayMs: number }
  /** One node failed and the request went on to the next. */
  | { kind: 'failover'; node: string; reason: string }
  /** Elasticsearch answered again after `failures` failed attempts. */
  | { kind: 'recovered'; failures: number };

/**
 * Errors retrying cannot fix (credentials refused, privileges missing, a certificate not
 * trusted, settings that do not fit): the shipper stops with them, the lines stay on disk.
 */
const FATAL_ES_CODES = new Set([
  'DTQ_ERR_ES_UNAUTHORIZED',
  'DTQ_ERR_ES_FORBIDDEN',
  'DTQ_ERR_ES_TLS',
  'DTQ_ERR_ES_CA_UNREADABLE',
  'DTQ_ERR_ES_BAD_CONNECTION_SETTINGS',
]);

function isFatal(error: unknown): boolean {
  return error instanceof DtqError && FATAL_ES_CODES.has(error.code);
}

/** Path of the registry inside the state directory. */
export function registryPath(stateDir: string): string {
  return join(stateDir, 'registry.json');
}

/** Path of the dead-letter file inside the state directory. */
export function deadLetterPath(stateDir: string): string {
  return join(stateDir, 'dead-letter.ndjson');
}

/** A file's last line left unshipped by a `--once` run because it has no newline yet. */
export interface UnterminatedLine {
  path: string;
  /** Byte offset where the line starts: the file's registry offset, where the next run resumes. */
  offset: number;
  bytes: number;
}

/** Ships a log directory to Elasticsearch until stopped. */
export class Shipper {
  readonly #config: ShipperConfig;
  readonly #logger: Logger | undefined;
  readonly #progress: Progress | undefined;
  readonly #untilCaughtUp: boolean;
  readonly #onConnection: ((notice: ConnectionNotice) => void) | undefined;
  readonly #connection: EsConnection;
  /** Failed attempts since the last success, setup and bulk alike. */
  #failuresInARow = 0;
  readonly #registry: Registry;
  readonly #deadLetters: DeadLetterFile;
  readonly #tailer: Tailer;
  readonly #writer: BulkWriter;
  readonly #queue: BoundedQueue<Batch>;
  readonly #bodies: BodyPool;
  /** Bytes of documents after which a batch is sent (see batchBytesLimit). */
  readonly #batchBytes: number;
  readonly #abort = new AbortController();
  readonly #counters: ShipperCounters = zeroCounters();
  #stopping = false;
  /**
   * Set by stop(): one last scan, every file read to its end, that delivered, then exit. A
   * service's last lines (written just before the stop, as the stack stops its services first)
   * are shipped, not left for the next start.
   */
  #finishing = false;
  /** Wakes the reader from its pause between polls when stop() is called. */
  readonly #wake = new AbortController();
  /** Batches sent and not yet acknowledged, oldest first. */
  readonly #inFlight = new Set<Batch>();
  #filling: Batch | undefined;
  #setupDone: boolean;
  #lastRegistrySave = 0;
  #running: Promise<void> | undefined;
  readonly #invalidUtf8 = new InvalidUtf8Tally();
  #unterminated: UnterminatedLine[] = [];

  constructor(options: ShipperOptions) {
    this.#config = options.config;
    this.#logger = options.logger;
    this.#progress = options.progress;
    this.#untilCaughtUp = options.untilCaughtUp ?? false;
    this.#onConnection = options.onConnection;
    this.#connection = this.#config.es ?? plainConnection(this.#config.esUrl);
    const { limits } = this.#config;
    this.#registry = Registry.load(registryPath(this.#config.stateDir));
    this.#deadLetters = new DeadLetterFile(deadLetterPath(this.#config.stateDir));
    this.#tailer = new Tailer({
      dir: this.#config.logDir,
      maxLineBytes: limits.maxLineBytes,
      resumeOffset: (fingerprint) => this.#registry.offset(fingerprint),
      onTruncated: (path) =>
        this.#log(
          'info',
          EVENTS.SHIPPER_SOURCE_TRUNCATED,
          { [F.SHIPPER_SOURCE]: path },
          `${path} started over (truncated or replaced); reading it from the start`,
        ),
    });
    this.#writer = new BulkWriter({
      url: this.#config.esUrl,
      connection: this.#connection,
      exportTimeoutMs: limits.exportTimeoutMs,
      backoffInitialMs: limits.backoffInitialMs,
      backoffMaxMs: limits.backoffMaxMs,
      onFailover: (node, reason) => this.#onConnection?.({ kind: 'failover', node, reason }),
      onRetry: (reason, attempt, delayMs, code) => {
        this.#counters.retries++;
        this.#failed(reason, code, delayMs);
        if (attempt === 1) {
          this.#log(
            'warn',
            EVENTS.DEPENDENCY_UNAVAILABLE,
            { [F.DEPENDENCY_NAME]: 'elasticsearch', [F.ERROR_MESSAGE]: reason },
            `Elasticsearch unavailable at ${redactUrl(this.#config.esUrl)}; retrying with backoff, the backlog stays on disk`,
          );
        }
      },
      onRecovered: (failures) => {
        this.#recovered();
        this.#log(
          'info',
          EVENTS.DEPENDENCY_RECOVERED,
          { [F.DEPENDENCY_NAME]: 'elasticsearch', [F.SHIPPER_RETRIES]: failures },
          `Elasticsearch back after ${failures} failed attempts`,
        );
      },
    });
    this.#queue = new BoundedQueue(limits.maxQueuedBatches);
    this.#batchBytes = batchBytesLimit(limits);
    this.#bodies = new BodyPool({
      buffers: liveBatches(limits),
      // A batch closes once it reaches its byte limit, so one more line (and its action) can
      // follow; a longer one grows that batch's buffer, which the pool then does not keep.
      bufferBytes: this.#batchBytes + OVERSHOOT_BYTES,
    });
    this.#setupDone = !this.#config.runSetup;
  }

  /** Run until stop() (or until caught up, with `untilCaughtUp`). */
  run(): Promise<void> {
    this.#running ??= this.#run();
    return this.#running;
  }

  async #run(): Promise<void> {
    const { limits } = this.#config;
    const metricsTimer = setInterval(() => {
      this.#logInvalidUtf8();
      this.#logMetrics();
    }, limits.metricsIntervalMs);
    const progressTimer = this.#progress ? setInterval(() => this.#progress?.update(this.snapshot()), 500) : undefined;
    try {
      // If the sender fails for good (e.g. the dead-letter file is unwritable), the reader must
      // stop too, or its timers would keep the process alive.
      const sending = this.#sendLoop().catch((error: unknown) => {
        this.#stopping = true;
        this.#queue.close();
        throw error;
      });
      const [read, sent] = await Promise.allSettled([this.#readLoop(), sending]);
      if (sent.status === 'rejected') throw sent.reason;
      if (read.status === 'rejected') throw read.reason;
    } finally {
      clearInterval(metricsTimer);
      if (progressTimer) clearInterval(progressTimer);
      this.#progress?.done();
      this.#registry.save();
      this.#tailer.close();
      this.#writer.close();
      this.#logInvalidUtf8();
      this.#logMetrics();
    }
  }

  /** Read every file to its end, deliver that (up to the shutdown timeout), save the registry. */
  async stop(): Promise<void> {
    this.#finishing = true;
    this.#wake.abort();
    const timer = setTimeout(() => this.#abort.abort(), this.#config.limits.shutdownTimeoutMs);
    try {
      await this.run();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Last lines left unshipped for want of a newline, when a `--once` run caught up (empty otherwise). */
  unterminatedLines(): readonly UnterminatedLine[] {
    return this.#unterminated;
  }

  /** Files still tailed that had lines with invalid UTF-8 since start (files let go of were reported in the log). */
  invalidUtf8Files(): InvalidUtf8File[] {
    return this.#invalidUtf8.files();
  }

  /** Counters and lag right now. */
  snapshot(): ShipperSnapshot {
    let lagBytes = 0;
    for (const file of this.#tailer.files()) {
      if (file.fingerprint === undefined) continue;
      lagBytes += Math.max(0, file.size - this.#registry.offset(file.fingerprint));
    }
    const oldest = [...this.#inFlight, this.#queue.peek(), this.#filling]
      .map((batch) => batch?.oldestTimestampMs())
      .filter((ms): ms is number => ms !== undefined);
    const lagSeconds = lagBytes > 0 && oldest.length > 0 ? Math.max(0, (Date.now() - Math.min(...oldest)) / 1000) : 0;
    return { ...this.#counters, lagBytes, lagSeconds };
  }

  async #readLoop(): Promise<void> {
    const { limits, indexPrefix, indexableYears } = this.#config;
    const indexFor = dailyIndexNamer(indexPrefix);
    const range = timestampRange(indexableYears);
    const hostTag = hostIdTag(this.#config.hostName ?? hostName());
    let lastScan = 0;
    let batch = new Batch(Date.now(), this.#bodies);
    const flush = async (): Promise<void> => {
      // The next batch takes its memory only once this one has room in the queue: one batch
      // fewer alive at once (config.ts liveBatches).
      await this.#queue.push(batch);
      batch = new Batch(Date.now(), this.#bodies);
      this.#filling = batch;
    };
    this.#filling = batch;
    let finalPass = false;
    try {
      while (!this.#stopping && !this.#abort.signal.aborted) {
        const now = Date.now();
        if (this.#finishing && !finalPass) {
          finalPass = true;
          this.#scan(now); // files created since the last scan, sizes as they are now
          lastScan = now;
        } else if (now - lastScan >= limits.scanIntervalMs) {
          this.#scan(now);
          lastScan = now;
        }
        const line = this.#tailer.nextLine(now);
        if (line !== undefined) {
          this.#counters.linesRead++;
          if (line.invalidUtf8) this.#countInvalidUtf8(line);
          batch.add(line, prepareLine(line, indexFor, range, hostTag));
          if (batch.full(limits.maxBatchLines, this.#batchBytes)) {
            await flush();
            await yieldToIo();
          }
          continue;
        }
        if (finalPass) break; // every file is read to its end
        // Read to the end of every file: send what we have if the sender is free (low
        // latency when quiet), or once it is old enough (bigger batches when busy).
        const senderIdle = this.#inFlight.size === 0 && this.#queue.length === 0;
        if (batch.lines > 0 && (senderIdle || now - batch.createdAt >= limits.flushIntervalMs)) {
          await flush();
          continue;
        }
        if (
          this.#untilCaughtUp &&
          batch.lines === 0 &&
          senderIdle &&
          now - lastScan < limits.scanIntervalMs &&
          lastScan > 0 &&
          this.#caughtUp()
        ) {
          this.#stopping = true;
          this.#reportUnterminated();
          break;
        }
        await sleep(limits.pollIntervalMs, undefined, { signal: this.#wake.signal }).catch(() => undefined);
      }
      if (batch.lines > 0) await flush();
    } finally {
      this.#filling = undefined;
      this.#queue.close();
    }
  }

  /**
   * Every complete line of every file is acknowledged. A last line without its newline does not
   * count: the writer may be mid-line (Filebeat waits for the newline too), so `--once` leaves
   * it where the registry points and a later run ships it once it is complete.
   */
  #caughtUp(): boolean {
    for (const file of this.#tailer.files()) {
      if (file.fingerprint === undefined) continue;
      const acknowledged = this.#registry.offset(file.fingerprint);
      if (acknowledged < (file.unterminatedFrom ?? file.size)) return false;
    }
    return true;
  }

  #reportUnterminated(): void {
    this.#unterminated = this.#tailer
      .files()
      .filter((file) => file.unterminatedFrom !== undefined)
      .map((file) => {
        const offset = file.unterminatedFrom as number;
        return { path: file.path, offset, bytes: file.size - offset };
      });
    for (const { path, offset, bytes } of this.#unterminated) {
      this.#log(
        'warn',
        EVENTS.SHIPPER_UNTERMINATED_LINE,
        { [F.SHIPPER_SOURCE]: path, [F.SHIPPER_OFFSET]: offset },
        `last line of ${path} (${bytes} bytes at offset ${offset}) has no newline: not shipped; the next run ships it once it is complete`,
      );
    }
  }

  #countInvalidUtf8(line: SourceLine): void {
    this.#counters.invalidUtf8Lines++;
    // The first one of a file is reported at once; later counts with the metrics.
    if (this.#invalidUtf8.count(line.fingerprint, line.path, line.offset)) this.#logInvalidUtf8();
  }

  /** A warning per file whose count of invalid-UTF-8 lines grew since it was last reported. */
  #logInvalidUtf8(files: readonly InvalidUtf8File[] = this.#invalidUtf8.takeUnreported()): void {
    for (const file of files) {
      this.#log(
        'warn',
        EVENTS.SHIPPER_INVALID_UTF8_READ,
        {
          [F.SHIPPER_SOURCE]: file.path,
          [F.SHIPPER_OFFSET]: file.firstOffset,
          [F.SHIPPER_INVALID_UTF8_LINES]: file.lines,
        },
        `${file.lines} line(s) of ${file.path} are not valid UTF-8 (first at offset ${file.firstOffset}); shipped with U+FFFD in place of the bad bytes and ${F.SHIPPER_INVALID_UTF8}: true`,
      );
    }
  }

  #scan(now: number): void {
    this.#tailer.scan(now);
    const tailed = new Set<string>();
    for (const file of this.#tailer.files()) {
      if (file.fingerprint === undefined) continue;
      this.#registry.touch(file.fingerprint, file.path, now);
      tailed.add(file.fingerprint);
    }
    if (this.#invalidUtf8.size > 0) this.#logInvalidUtf8(this.#invalidUtf8.forgetExcept(tailed));
    this.#registry.prune(REGISTRY_TTL_MS, now);
  }

  /**
   * Up to maxConcurrentExports batches are written at once (Elasticsearch indexes them in
   * parallel), but they are acknowledged strictly in order: batch n+1's registry offsets are
   * applied only after batch n's, so the registry never skips over an unacknowledged line.
   * A new write starts as soon as any write is answered, not only the oldest: a batch answered
   * behind a slower one waits for its acknowledgement without holding Elasticsearch to fewer
   * requests (measured: 4% more lines/s on the 1M-line bench). The sender holds at most twice
   * maxConcurrentExports batches, in flight or answered and waiting; config.ts liveBatches
   * counts them.
   */
  async #sendLoop(): Promise<void> {
    const { maxConcurrentExports } = this.#config.limits;
    /** Batches written and not yet acknowledged (their writes may be answered or not). */
    const running = new Set<Promise<void>>();
    /** Writes not yet answered, settled either way (a failure surfaces through `failure`). */
    const writing = new Set<Promise<void>>();
    let previous: Promise<void> = Promise.resolve();
    // A write that fails for good (credentials refused, dead-letter file unwritable) ends the
    // loop at once, even while it waits for a batch that a --once reader will never send.
    let failed: { error: unknown } | undefined;
    // Rejects with that failure: every wait below races it, since the failed acknowledgement has
    // left `running` by the time a wait that starts after it would look there.
    let fail: (error: unknown) => void = () => undefined;
    const failure = new Promise<never>((_, reject) => {
      fail = reject;
    });
    failure.catch(() => undefined); // observed through the races
    try {
      for (;;) {
        const batch = await this.#queue.take();
        if (failed !== undefined) {
          batch?.release();
          throw failed.error;
        }
        if (batch === undefined) break;
        await this.#ensureSetup();
        this.#inFlight.add(batch);
        const written = this.#writer.write(batch, this.#abort.signal);
        const answered = written.then(
          () => undefined,
          () => undefined,
        );
        writing.add(answered);
        answered.then(() => writing.delete(answered));
        const before = previous;
        const acknowledged = (async () => {
          try {
            const outcomes = await written;
            await before;
            this.#acknowledge(batch, outcomes);
          } finally {
            this.#inFlight.delete(batch);
            batch.release();
          }
        })();
        previous = acknowledged;
        running.add(acknowledged);
        const forget = () => running.delete(acknowledged);
        acknowledged.then(forget, (error: unknown) => {
          forget();
          failed ??= { error };
          this.#stopping = true;
          this.#queue.close();
          fail(error);
        });
        while (writing.size >= maxConcurrentExports || running.size >= 2 * maxConcurrentExports) {
          // `failure` too: an acknowledgement that fails for good must end the wait even while
          // the writes still unanswered retry for as long as Elasticsearch is down.
          await Promise.race([failure, ...writing, ...running]);
        }
      }
      await Promise.race([failure, Promise.all(running)]);
    } catch (error) {
      const shuttingDown = this.#abort.signal.aborted;
      // A failure of our own (not the shutdown timeout): stop the other writes too; their lines
      // are not acknowledged and stay on disk for the next start.
      if (!shuttingDown) this.#abort.abort();
      await Promise.allSettled(running);
      if (!shuttingDown) throw error;
      this.#log(
        'warn',
        EVENTS.SERVICE_STOPPING,
        errorFields(error),
        'shutdown timeout: undelivered lines stay on disk and are shipped on the next start',
      );
      // Drain the queue so the reader can finish; nothing of it is acknowledged.
      for (let left = await this.#queue.take(); left !== undefined; left = await this.#queue.take()) left.release();
    }
  }

  /** Say a failure at once (the CLI prints it), counting the retries of this outage. */
  #failed(reason: string, code: string, delayMs: number): void {
    this.#failuresInARow++;
    this.#onConnection?.({ kind: 'retrying', reason, code, retries: this.#failuresInARow, delayMs });
  }

  #recovered(): void {
    if (this.#failuresInARow > 0) this.#onConnection?.({ kind: 'recovered', failures: this.#failuresInARow });
    this.#failuresInARow = 0;
  }

  async #ensureSetup(): Promise<void> {
    for (let attempt = 1; !this.#setupDone; attempt++) {
      try {
        await runSetup({
          connection: this.#connection,
          prefix: this.#config.indexPrefix,
          steps: CORE_STEPS,
          // A stopping shipper does not wait out a request Elasticsearch never answers.
          signal: this.#abort.signal,
        });
        this.#setupDone = true;
        this.#recovered();
      } catch (error) {
        this.#abort.signal.throwIfAborted();
        if (isFatal(error)) throw error;
        this.#counters.retries++;
        if (attempt === 1)
          this.#log(
            'warn',
            EVENTS.DEPENDENCY_UNAVAILABLE,
            { [F.DEPENDENCY_NAME]: 'elasticsearch', ...errorFields(error) },
            'index template setup failed; retrying before shipping',
          );
        const { backoffInitialMs, backoffMaxMs } = this.#config.limits;
        const delay = backoffDelay(attempt, backoffInitialMs, backoffMaxMs);
        // The transport's own failure ("GET …: connect ECONNREFUSED") rather than the catalogue
        // text around it, which tells an operator of `npm run elk:setup` what to do.
        const cause = error instanceof DtqError && error.cause instanceof Error ? error.cause : error;
        const code = (cause as { code?: unknown }).code;
        this.#failed(
          cause instanceof Error ? cause.message : String(cause),
          typeof code === 'string' ? code : 'error',
          delay,
        );
        await sleep(delay, undefined, { signal: this.#abort.signal });
      }
    }
  }

  /** Count, dead-letter and move the registry for a batch whose every line has its answer. */
  #acknowledge(batch: Batch, outcomes: readonly DocOutcome[]): void {
    const records: DeadLetterRecord[] = [];
    const at = new Date().toISOString();
    for (const reject of batch.rejects) records.push(deadLetterRecord(reject.line, reject.reason, reject.detail, at));
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'created') this.#counters.linesShipped++;
      else if (outcome.status === 'duplicate') {
        this.#counters.linesShipped++;
        this.#counters.duplicates++;
      } else {
        records.push(deadLetterRecord(batch.origin(i), REJECT_REASONS.ES_REJECTED, outcome.reason, at));
      }
    });
    // Durable before the registry moves past these lines.
    this.#deadLetters.append(records);
    if (records.length > 0) {
      this.#counters.deadLettered += records.length;
      const first = records[0] as DeadLetterRecord;
      this.#log(
        'warn',
        EVENTS.SHIPPER_DEAD_LETTERED,
        {
          [F.SHIPPER_SOURCE]: first.source,
          [F.SHIPPER_DEAD_LETTERED]: records.length,
          [F.ERROR_TYPE]: first.reason,
          [F.ERROR_MESSAGE]: first.detail.slice(0, 500),
        },
        `${records.length} line(s) dead-lettered to ${this.#deadLetters.path} (first: ${first.reason})`,
      );
    }
    for (const [fingerprint, { end, path }] of batch.ends) this.#registry.ack(fingerprint, end, path);
    const now = Date.now();
    if (now - this.#lastRegistrySave >= this.#config.limits.registryFlushMs) {
      this.#registry.save();
      this.#lastRegistrySave = now;
    }
  }

  #logMetrics(): void {
    this.#log('info', EVENTS.SHIPPER_METRICS, metricsFields(this.snapshot()), 'shipper metrics');
  }

  #log(
    level: 'info' | 'warn',
    action: (typeof EVENTS)[keyof typeof EVENTS],
    fields: Parameters<typeof logEvent>[3],
    message: string,
  ): void {
    if (this.#logger) logEvent(this.#logger, level, action, fields, message);
  }
}

function deadLetterRecord(line: SourceLine, reason: string, detail: string, at: string): DeadLetterRecord {
  const bytes = line.truncatedFrom ?? line.end - line.offset - 1;
  return {
    at,
    reason,
    detail,
    source: line.path,
    fingerprint: line.fingerprint,
    offset: line.offset,
    line_bytes: bytes,
    line: line.text.slice(0, DEAD_LETTER_LINE_CHARS),
    line_truncated: line.truncatedFrom !== undefined || line.text.length > DEAD_LETTER_LINE_CHARS,
  };
}
