/**
 * The dead-letter file: lines that will never be indexed (not JSON, too long, no timestamp,
 * rejected by Elasticsearch with a 4xx), one JSON record each with the reason, where the line
 * came from, and the line itself (its first 16 KiB). Appended and fsynced before the registry
 * moves past those lines, so a rejected line is never lost either. Format in docs/pipeline.md.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { dtqError } from '../contract/dtq-error.ts';
import { SHIPPER_ERRORS } from './errors.ts';

/** Characters of a rejected line kept in its dead-letter record. */
export const DEAD_LETTER_LINE_CHARS = 16 * 1024;

/** One record of the dead-letter file. */
export interface DeadLetterRecord {
  /** When it was dead-lettered. */
  at: string;
  /** One of REJECT_REASONS. */
  reason: string;
  /** What exactly was wrong (Elasticsearch's error type and reason, the parse error...). */
  detail: string;
  source: string;
  fingerprint: string;
  offset: number;
  /** Length of the original line in bytes (without the newline). */
  line_bytes: number;
  /** The line, cut to DEAD_LETTER_LINE_CHARS. */
  line: string;
  line_truncated: boolean;
}

/** Appends records durably. */
export class DeadLetterFile {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** Append records and fsync; throws DTQ_ERR_SHIPPER_DEAD_LETTER_UNWRITABLE on failure. */
  append(records: readonly DeadLetterRecord[]): void {
    if (records.length === 0) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(this.path, 'a');
      try {
        writeSync(fd, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw dtqError(
        SHIPPER_ERRORS.DEAD_LETTER_UNWRITABLE,
        { file: this.path, reason: (error as Error).message },
        error,
      );
    }
  }
}
