/**
 * The registry: for each source file (by content fingerprint), the byte offset up to which
 * Elasticsearch has acknowledged every line. It only moves forward, and only after an ack;
 * it is written atomically (temporary file, fsync, rename), so a crash leaves either the old
 * or the new registry, never a torn one. Worst case after a crash: lines since the last write
 * are sent again and Elasticsearch answers 409 for each.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { dtqError } from '../contract/dtq-error.ts';
import { SHIPPER_ERRORS } from './errors.ts';

/** What the registry remembers of one file. */
export interface RegistryEntry {
  fingerprint: string;
  /** Acknowledged up to here (exclusive): the next line to ship starts at this byte. */
  offset: number;
  /** Last path the file was seen under (informative; identity is the fingerprint). */
  path: string;
  /** When the entry last advanced or the file was last seen, ms since the epoch. */
  seenAt: number;
}

interface RegistryFile {
  version: 1;
  files: RegistryEntry[];
}

/** Offsets per file, persisted atomically. */
export class Registry {
  readonly file: string;
  #entries = new Map<string, RegistryEntry>();
  #dirty = false;

  constructor(file: string) {
    this.file = file;
  }

  /** Load `file`, or start empty when it does not exist yet. */
  static load(file: string): Registry {
    const registry = new Registry(file);
    if (!existsSync(file)) return registry;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as RegistryFile;
      if (parsed.version !== 1 || !Array.isArray(parsed.files)) throw new Error('unknown format');
      for (const entry of parsed.files) {
        if (typeof entry.fingerprint !== 'string' || !Number.isSafeInteger(entry.offset)) {
          throw new Error(`bad entry ${JSON.stringify(entry)}`);
        }
        registry.#entries.set(entry.fingerprint, entry);
      }
    } catch (error) {
      throw dtqError(SHIPPER_ERRORS.REGISTRY_UNREADABLE, { file, reason: (error as Error).message }, error);
    }
    return registry;
  }

  /** Acknowledged offset of a file (0 when unknown). */
  offset(fingerprint: string): number {
    return this.#entries.get(fingerprint)?.offset ?? 0;
  }

  /** Every entry (a copy). */
  entries(): RegistryEntry[] {
    return [...this.#entries.values()].map((entry) => ({ ...entry }));
  }

  /** Record that everything before `offset` of this file is acknowledged. Never moves back. */
  ack(fingerprint: string, offset: number, path: string, now = Date.now()): void {
    const entry = this.#entries.get(fingerprint);
    if (entry !== undefined && entry.offset >= offset) return;
    this.#entries.set(fingerprint, { fingerprint, offset, path, seenAt: now });
    this.#dirty = true;
  }

  /** Note that a file still exists, so pruning keeps it. */
  touch(fingerprint: string, path: string, now = Date.now()): void {
    const entry = this.#entries.get(fingerprint);
    if (entry === undefined) return;
    if (entry.path !== path) this.#dirty = true;
    entry.path = path;
    entry.seenAt = now;
  }

  /** Forget files not seen for `maxAgeMs` (deleted long ago). */
  prune(maxAgeMs: number, now = Date.now()): void {
    for (const [fingerprint, entry] of this.#entries) {
      if (now - entry.seenAt > maxAgeMs) {
        this.#entries.delete(fingerprint);
        this.#dirty = true;
      }
    }
  }

  /** True when there is something to save. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** Write the registry atomically if it changed. */
  save(): void {
    if (!this.#dirty) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const body: RegistryFile = { version: 1, files: [...this.#entries.values()] };
    const temporary = `${this.file}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, `${JSON.stringify(body)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
    // The rename itself is durable only once the directory entry is.
    const dir = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.#dirty = false;
  }
}
