/**
 * The fleet view under --follow over files that are truncated, rewritten, rotated or
 * compressed: after every pass, its rows are those of a fresh view over the same directory.
 */
import {
  appendFileSync,
  copyFileSync,
  readFileSync,
  renameSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { type FleetFeed, fleetFeed } from '../../explorer/fleet-feed.ts';
import type { RequestSummary } from '../../explorer/model/request-list.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import type { LineFeed } from '../../explorer/sources/source.ts';
import { LogWriter, T0 } from './fixtures.ts';
import { tempLogDirs, writeLogDir } from './helpers.ts';

const { track } = tempLogDirs();
const NOW = () => T0 + 60_000;

/** Requests `from`..`to` (exclusive), each posted by api-1 and run by worker-1. */
function requests(from: number, to: number): LogWriter {
  const w = new LogWriter();
  for (let i = from; i < to; i++) {
    w.post({ ms: i * 10, cid: `req-${i}`, taskId: `task-${i}` });
    w.attempt({ ms: i * 10 + 5, cid: `req-${i}`, taskId: `task-${i}`, worker: 'worker-1', attempt: 1, durationMs: 3 });
  }
  return w;
}

/** The text `writer` holds for one process's file. */
function textOf(writer: LogWriter, name: string): string {
  return writer.files().get(name) ?? '';
}

/**
 * A following fleet view over `dir`, and how many of its passes started over. `meanwhile`, once
 * set, runs (once) as the next line is folded: a change made while a pass reads.
 */
function follow(dir: string): {
  fleet: FleetFeed;
  source: FileSource;
  startOvers: () => number;
  meanwhile: (change: () => void) => void;
} {
  const source = new FileSource(dir);
  const feed = source.feed.bind(source);
  let startOvers = 0;
  let change: (() => void) | undefined;
  vi.spyOn(source, 'feed').mockImplementation((sinceMs: number | undefined): LineFeed => {
    const inner = feed(sinceMs);
    return {
      next: (visit, startOver) =>
        inner.next(
          (record, at) => {
            const now = change;
            change = undefined;
            now?.();
            visit(record, at);
          },
          () => {
            startOvers++;
            startOver();
          },
        ),
    };
  });
  return {
    fleet: fleetFeed(source, {}, NOW),
    source,
    startOvers: () => startOvers,
    meanwhile: (next) => {
      change = next;
    },
  };
}

/** One pass of `fleet`, checked against a fresh view of `dir`; its rows. */
async function passAsFresh(fleet: FleetFeed, dir: string): Promise<RequestSummary[]> {
  const live = await fleet.rows();
  const fresh = new FileSource(dir);
  expect(live).toEqual(await fleetFeed(fresh, {}, NOW).rows());
  await fresh.close();
  return live;
}

/** Each request listed once, with its one request and one attempt: nothing folded twice. */
function expectOnce(rows: readonly RequestSummary[], count: number): void {
  expect(rows).toHaveLength(count);
  for (const row of rows) expect(row).toMatchObject({ requests: 1, attempts: 1 });
}

describe('the fleet view following files that are rewritten', () => {
  it('reads on without starting over when files grow', async () => {
    const dir = track(writeLogDir(requests(0, 5)));
    const { fleet, source, startOvers } = follow(dir);
    expectOnce(await passAsFresh(fleet, dir), 5);
    const later = requests(5, 8);
    for (const [name, text] of later.files()) appendFileSync(join(dir, name), text);
    expectOnce(await passAsFresh(fleet, dir), 8);
    expect(startOvers()).toBe(0);
    await source.close();
  });

  it('starts over when a file is truncated and written again', async () => {
    const dir = track(writeLogDir(requests(0, 5)));
    const { fleet, source, startOvers } = follow(dir);
    expectOnce(await passAsFresh(fleet, dir), 5);
    truncateSync(join(dir, 'api-1.ndjson'), 0);
    appendFileSync(join(dir, 'api-1.ndjson'), textOf(requests(5, 6), 'api-1.ndjson'));
    const rows = await passAsFresh(fleet, dir);
    expect(rows.find((row) => row.correlationId === 'req-5')).toMatchObject({ requests: 1 });
    expect(startOvers()).toBe(1);
    await source.close();
  });

  it('starts over when a file is rewritten in place with more bytes than before', async () => {
    const dir = track(writeLogDir(requests(0, 3)));
    const { fleet, source, startOvers } = follow(dir);
    expectOnce(await passAsFresh(fleet, dir), 3);
    // `cat new > log`: the same inode, other lines, longer than what was read.
    writeFileSync(join(dir, 'api-1.ndjson'), textOf(requests(3, 9), 'api-1.ndjson'));
    await passAsFresh(fleet, dir);
    expect(startOvers()).toBe(1);
    await source.close();
  });

  it('starts over after a pass during which a file it reads on was rewritten in place', async () => {
    const dir = track(writeLogDir(requests(0, 5)));
    const { fleet, source, startOvers, meanwhile } = follow(dir);
    expectOnce(await passAsFresh(fleet, dir), 5);
    appendFileSync(join(dir, 'api-1.ndjson'), textOf(requests(5, 6), 'api-1.ndjson'));
    // worker-1.ndjson is listed and probed unchanged, then rewritten (`cat new > log`, longer
    // than what was read) while api-1.ndjson, listed before it, is read.
    meanwhile(() => writeFileSync(join(dir, 'worker-1.ndjson'), textOf(requests(10, 20), 'worker-1.ndjson')));
    await fleet.rows();
    await passAsFresh(fleet, dir);
    expect(startOvers()).toBe(1);
    await source.close();
  });

  it('folds a copytruncate’s lines once when the copy and the truncation are seen by one pass', async () => {
    const dir = track(writeLogDir(requests(0, 5)));
    const { fleet, source, startOvers } = follow(dir);
    expectOnce(await passAsFresh(fleet, dir), 5);
    const log = join(dir, 'api-1.ndjson');
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, textOf(requests(5, 7), 'api-1.ndjson'));
    appendFileSync(join(dir, 'worker-1.ndjson'), textOf(requests(5, 7), 'worker-1.ndjson'));
    expectOnce(await passAsFresh(fleet, dir), 7);
    expect(startOvers()).toBe(1);
    await source.close();
  });

  it('folds a copytruncate’s lines once when a pass sees the copy before the truncation', async () => {
    const dir = track(writeLogDir(requests(0, 5)));
    const { fleet, source } = follow(dir);
    expectOnce(await passAsFresh(fleet, dir), 5);
    const log = join(dir, 'api-1.ndjson');
    copyFileSync(log, `${log}.1`);
    // The copy and the original both hold the lines now: a fresh view reads them twice too.
    await passAsFresh(fleet, dir);
    truncateSync(log, 0);
    appendFileSync(log, textOf(requests(5, 6), 'api-1.ndjson'));
    appendFileSync(join(dir, 'worker-1.ndjson'), textOf(requests(5, 6), 'worker-1.ndjson'));
    expectOnce(await passAsFresh(fleet, dir), 6);
    await source.close();
  });

  it('folds a copytruncate’s lines once when a pass sees the truncation before the copy', async () => {
    const dir = track(writeLogDir(requests(0, 5)));
    const { fleet, source, startOvers } = follow(dir);
    expectOnce(await passAsFresh(fleet, dir), 5);
    const log = join(dir, 'worker-1.ndjson');
    const copied = readFileSync(log);
    truncateSync(log, 0);
    await passAsFresh(fleet, dir);
    // The copy, listed only now: its lines are not in the ledger the truncation started over.
    writeFileSync(`${log}.1`, copied);
    expectOnce(await passAsFresh(fleet, dir), 5);
    expect(startOvers()).toBe(1);
    await source.close();
  });

  it('reads a file a rotation renamed on from where it stopped, and its successor whole, without starting over', async () => {
    const dir = track(writeLogDir(requests(0, 5)));
    const { fleet, source, startOvers } = follow(dir);
    expectOnce(await passAsFresh(fleet, dir), 5);
    const log = join(dir, 'api-1.ndjson');
    renameSync(log, `${log}.1`);
    // A line the process wrote to the renamed file before it reopened its log.
    appendFileSync(`${log}.1`, textOf(requests(5, 6), 'api-1.ndjson'));
    writeFileSync(log, textOf(requests(6, 8), 'api-1.ndjson'));
    appendFileSync(join(dir, 'worker-1.ndjson'), textOf(requests(5, 8), 'worker-1.ndjson'));
    expectOnce(await passAsFresh(fleet, dir), 8);
    expect(startOvers()).toBe(0);
    await source.close();
  });

  it('folds a rotated file compressed into a .gz once, the .gz seen beside it or after it is gone', async () => {
    const dir = track(writeLogDir(requests(0, 5)));
    const { fleet, source } = follow(dir);
    const log = join(dir, 'api-1.ndjson');
    renameSync(log, `${log}.1`);
    writeFileSync(log, textOf(requests(5, 6), 'api-1.ndjson'));
    appendFileSync(join(dir, 'worker-1.ndjson'), textOf(requests(5, 6), 'worker-1.ndjson'));
    expectOnce(await passAsFresh(fleet, dir), 6);
    writeFileSync(`${log}.1.gz`, gzipSync(readFileSync(`${log}.1`)));
    await passAsFresh(fleet, dir);
    unlinkSync(`${log}.1`);
    expectOnce(await passAsFresh(fleet, dir), 6);
    await source.close();
  });

  it('folds a .gz read while it was being written once it is whole', async () => {
    const dir = track(writeLogDir(requests(0, 20)));
    const { fleet, source } = follow(dir);
    await passAsFresh(fleet, dir);
    const log = join(dir, 'worker-1.ndjson');
    const whole = gzipSync(readFileSync(log));
    renameSync(log, `${log}.1`);
    writeFileSync(`${log}.1.gz`, whole.subarray(0, Math.floor(whole.length * 0.7)));
    unlinkSync(`${log}.1`);
    await passAsFresh(fleet, dir);
    writeFileSync(`${log}.1.gz`, whole);
    expectOnce(await passAsFresh(fleet, dir), 20);
    await source.close();
  });

  it('starts over when a file whose lines it folded is deleted', async () => {
    const dir = track(writeLogDir(requests(0, 5)));
    const { fleet, source, startOvers } = follow(dir);
    await passAsFresh(fleet, dir);
    unlinkSync(join(dir, 'worker-1.ndjson'));
    await passAsFresh(fleet, dir);
    expect(startOvers()).toBe(1);
    await source.close();
  });
});
