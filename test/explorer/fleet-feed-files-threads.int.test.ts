import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetFeed } from '../../explorer/fleet-feed.ts';
import { overview } from '../../explorer/model/overview.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { deadLettered, duplicatesScenario, happyPath, LogWriter, T0 } from './fixtures.ts';
import { tempLogDirs, writeLogDir } from './helpers.ts';

const { track } = tempLogDirs();

/** Requests of every kind, their lines spread over nine process files, plus a malformed line. */
function directory(): string {
  const w = duplicatesScenario();
  deadLettered(w);
  happyPath(w);
  for (let i = 0; i < 200; i++) {
    w.post({
      ms: 5000 + i,
      cid: `req-${i}`,
      taskId: `task-${i}`,
      api: `api-${1 + (i % 3)}`,
      queue: i % 2 ? 'low' : 'medium',
    });
    w.attempt({
      ms: 6000 + i,
      cid: `req-${i}`,
      taskId: `task-${i}`,
      worker: `worker-${1 + (i % 4)}`,
      attempt: 1,
      ...(i % 7 === 0 ? { fail: 'boom', retryDelayMs: 10 } : {}),
    });
    if (i % 5 === 0) w.poll(7000 + i, `poll-${i}`, `task-${i}`);
  }
  const dir = track(writeLogDir(w));
  writeFileSync(join(dir, 'torn.ndjson'), '{"@timestamp": "2026-11-22T10:15:30.000Z", "correlation_id": \n');
  return dir;
}

/** The list, the overview and the malformed count of one fresh pass, and the feed for more. */
async function pass(dir: string, threadBytes: number) {
  const source = new FileSource(dir, { threadBytes });
  const filter = { sinceMs: T0 - 60_000 };
  const fleet = fleetFeed(source, filter);
  const rows = await fleet.rows();
  const ledger = await fleet.refresh();
  return {
    source,
    fleet,
    rows,
    overview: overview(rows, ledger.tasks(), ledger.queueDepth()),
    malformed: source.malformedLines(),
  };
}

describe('a list pass over log files split across worker threads', () => {
  it('lists, sums up and counts malformed lines exactly as one thread does, and goes on with --follow', async () => {
    const dir = directory();
    const one = await pass(dir, Number.MAX_SAFE_INTEGER);
    const split = await pass(dir, 1);
    expect(one.rows.length).toBeGreaterThan(200);
    expect(split.rows).toEqual(one.rows);
    expect(split.overview).toEqual(one.overview);
    expect(split.malformed).toBe(1);
    expect(one.malformed).toBe(1);

    const later = new LogWriter();
    for (let i = 0; i < 20; i++)
      later.attempt({ ms: 9000 + i, cid: `req-${i * 7}`, taskId: `task-${i * 7}`, worker: 'worker-9', attempt: 2 });
    later.post({ ms: 9500, cid: 'req-late', taskId: 'task-late' });
    for (const [name, text] of later.files()) appendFileSync(join(dir, name), text);
    const oneNext = await one.fleet.rows();
    const splitNext = await split.fleet.rows();
    expect(splitNext).toEqual(oneNext);
    expect(splitNext.find((row) => row.correlationId === 'req-7')).toMatchObject({
      state: 'succeeded',
      attempts: 2,
      worker: 'worker-9',
    });
    expect(splitNext).toEqual((await pass(dir, Number.MAX_SAFE_INTEGER)).rows);
    await one.source.close();
    await split.source.close();
  });
});
