import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';
import { fleetFeed, fleetRows } from '../../explorer/fleet-feed.ts';
import { timestampOf } from '../../explorer/model/fields.ts';
import { polledTaskId } from '../../explorer/model/join.ts';
import { RequestLedger } from '../../explorer/model/request-list.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { LogWriter, T0 } from './fixtures.ts';
import { tempLogDirs, writeLogDir } from './helpers.ts';

const { track } = tempLogDirs();

function appendLines(dir: string, writer: LogWriter): void {
  for (const [name, text] of writer.files()) appendFileSync(join(dir, name), text);
}

describe('the fleet view from log files', () => {
  it('lists every request of the window whole, though newer lines (polls, workers) outnumber them', async () => {
    // The shape of a load run: requests first, then far more status polls and worker lines.
    const w = new LogWriter();
    const requests = 300;
    for (let i = 0; i < requests; i++)
      w.post({ ms: i, cid: `req-${i}`, taskId: `task-${i}`, taskType: i % 2 ? 'stress_test' : 'calculate_var' });
    for (let i = 0; i < requests; i++)
      w.attempt({ ms: 10_000 + i, cid: `req-${i}`, taskId: `task-${i}`, worker: `worker-${1 + (i % 3)}`, attempt: 1 });
    for (let round = 0; round < 14; round++)
      for (let i = 0; i < requests; i++) w.poll(20_000 + round * 1000 + i, `poll-${round}-${i}`, `task-${i}`);
    expect(w.records.length).toBeGreaterThan(14_000);
    const source = new FileSource(track(writeLogDir(w)));
    const rows = await fleetFeed(source, { sinceMs: T0 - 1000, limit: requests }).rows();
    expect(rows).toHaveLength(requests);
    for (const row of rows) {
      expect(row).toMatchObject({
        status: 202,
        method: 'POST',
        route: '/api/v1/tasks',
        state: 'succeeded',
        attempts: 1,
      });
      expect(row.durationMs).toBeDefined();
    }
    expect(rows[0]?.correlationId).toBe(`req-${requests - 1}`);
    await source.close();
  });

  it('hands no status poll to the fold, and lists what a fold of every line lists', async () => {
    const w = new LogWriter();
    for (let i = 0; i < 20; i++) {
      w.post({ ms: i * 10, cid: `req-${i}`, taskId: `task-${i}` });
      w.attempt({ ms: i * 10 + 5, cid: `req-${i}`, taskId: `task-${i}`, worker: 'worker-1', attempt: 1 });
      // Polls under the request's own id too: the fold drops them all the same.
      w.poll(i * 10 + 7, i % 2 ? `req-${i}` : `req-${i}-poll`, `task-${i}`, 200, 'api-2', i % 3 === 0);
    }
    const source = new FileSource(track(writeLogDir(w)));
    const folded: LogRecord[] = [];
    const fed = new RequestLedger();
    let startedOver = false;
    await source.feed(undefined).next(
      (record, at) => {
        folded.push(record);
        fed.add(record, at);
      },
      () => {
        startedOver = true;
      },
    );
    expect(startedOver).toBe(false);
    expect(folded.some((record) => polledTaskId(record) !== undefined)).toBe(false);
    expect(folded.some((record) => record[F.SERVICE_NAME] === 'nginx')).toBe(true);
    const every = new RequestLedger().addAll(w.hits('all'));
    expect(fed.lines).toBeLessThan(every.lines);
    const filter = { limit: 200 };
    expect(fleetRows(fed, filter, T0)).toEqual(fleetRows(every, filter, T0));
    await source.close();
  });

  it('leaves lines older than the window unparsed, but not one whose time a later key or nginx.msec replaces', async () => {
    const iso = (ms: number) => new Date(T0 + ms).toISOString();
    const request = (cid: string) =>
      `"service.name":"api","event.action":"http.request.received","correlation_id":"${cid}","http.request.method":"POST","url.path":"/api/v1/tasks"`;
    const dir = track(mkdtempSync(join(tmpdir(), 'dtq-explore-')));
    writeFileSync(
      join(dir, 'api-1.ndjson'),
      [
        `{"@timestamp":"${iso(0)}",${request('req-old')}}`,
        // Older than the window and no JSON: never parsed, so not counted either.
        `{"@timestamp":"${iso(0)}","event.action":}`,
        `{"@timestamp":"${iso(10_000)}","event.action":}`,
        // JSON.parse keeps the last of two keys: this line is in the window.
        `{"@timestamp":"${iso(0)}",${request('req-twice')},"@timestamp":"${iso(10_000)}"}`,
        `{"@timestamp":"${iso(0)}",${request('req-escaped')},"\u0040timestamp":"${iso(10_000)}"}`,
        `{"@timestamp":"${iso(10_000)}",${request('req-new')}}`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'nginx.ndjson'),
      `{"@timestamp":"${iso(0)}","service.name":"nginx","event.action":"nginx.access","correlation_id":"req-nginx","http.request.method":"POST","url.path":"/api/v1/tasks","http.response.status_code":"202","nginx.msec":"${(T0 + 10_000) / 1000}"}\n`,
    );
    const source = new FileSource(dir);
    const rows = await fleetFeed(source, { sinceMs: T0 + 5000, limit: 10 }).rows();
    expect(rows.map((row) => row.correlationId).sort()).toEqual(['req-escaped', 'req-new', 'req-nginx', 'req-twice']);
    expect(source.malformedLines()).toBe(1);
    await source.close();
  });

  it('lists under --since what a parse of every line lists, whatever each line holds after its @timestamp', async () => {
    const iso = (ms: number) => new Date(T0 + ms).toISOString();
    const line = fc.record({
      ms: fc.integer({ min: -3000, max: 3000 }),
      later: fc.integer({ min: -3000, max: 3000 }),
      shape: fc.constantFrom('plain', 'second key', 'escaped key', 'escaped value', 'nginx', 'spaced', 'not json'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 12 }), async (lines) => {
        const text = lines.map(({ ms, later, shape }, i) => {
          const cid = `req-${i}`;
          const request = `"service.name":"${shape === 'nginx' ? 'nginx' : 'api'}","event.action":"${shape === 'nginx' ? 'nginx.access' : 'http.request.received'}","correlation_id":"${cid}","http.request.method":"POST","url.path":"/api/v1/tasks"`;
          const opening = `{"@timestamp":"${iso(ms)}",`;
          if (shape === 'second key') return `${opening}${request},"@timestamp":"${iso(later)}"}`;
          if (shape === 'escaped key') return `${opening}${request},"\\u0040timestamp":"${iso(later)}"}`;
          if (shape === 'escaped value') return `${opening}${request},"message":"a \\"quoted\\" word"}`;
          if (shape === 'nginx') return `${opening}${request},"nginx.msec":"${(T0 + later) / 1000}"}`;
          if (shape === 'spaced') return ` ${opening}${request}} `;
          if (shape === 'not json') return `${opening}${request},}`;
          return `${opening}${request}}`;
        });
        const dir = track(mkdtempSync(join(tmpdir(), 'dtq-explore-')));
        writeFileSync(join(dir, 'api-1.ndjson'), `${text.join('\n')}\n`);
        const filter = { sinceMs: T0, limit: 50 };
        const every = new RequestLedger();
        for (const one of text) {
          let record: LogRecord;
          try {
            record = normalizeNginxLine(JSON.parse(one) as LogRecord);
          } catch {
            continue;
          }
          const at = timestampOf(record);
          if (at !== undefined && at >= T0) every.add(record, at);
        }
        const source = new FileSource(dir);
        expect(await fleetFeed(source, filter, () => T0).rows()).toEqual(fleetRows(every, filter, T0));
        await source.close();
      }),
      { numRuns: 60 },
    );
  });

  it('reads only what arrived on the next pass, and folds it into the rows it has', async () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-1', taskId: 'task-1' });
    const dir = track(writeLogDir(w));
    const source = new FileSource(dir);
    const fleet = fleetFeed(source, {});
    expect((await fleet.rows())[0]).toMatchObject({ correlationId: 'req-1', state: 'queued', requests: 1 });
    const later = new LogWriter();
    later.attempt({
      ms: 30,
      cid: 'req-1',
      taskId: 'task-1',
      worker: 'worker-1',
      attempt: 1,
      fail: 'boom',
      retryDelayMs: 100,
    });
    later.post({ ms: 40, cid: 'req-2', taskId: 'task-2' });
    appendLines(dir, later);
    const second = await fleet.rows();
    expect(second.map((s) => s.correlationId)).toEqual(['req-2', 'req-1']);
    // Read once each: a line folded twice would count the request twice.
    expect(second[1]).toMatchObject({ state: 'retrying', attempts: 1, requests: 1, errors: 1 });
    expect(await fleet.rows()).toEqual(second);
    await source.close();
  });

  it('goes on where it stopped in a file a rotation renamed', async () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-1', taskId: 'task-1' });
    const dir = track(writeLogDir(w));
    const source = new FileSource(dir);
    const fleet = fleetFeed(source, {});
    await fleet.rows();
    renameSync(join(dir, 'api-1.ndjson'), join(dir, 'api-1.1.ndjson'));
    const later = new LogWriter();
    later.post({ ms: 50, cid: 'req-2', taskId: 'task-2' });
    appendLines(dir, later);
    const rows = await fleet.rows();
    expect(rows.map((s) => [s.correlationId, s.requests])).toEqual([
      ['req-2', 1],
      ['req-1', 1],
    ]);
    await source.close();
  });

  it('lists with --status stuck the attempts running past three times their type’s p95', async () => {
    const w = new LogWriter();
    for (let i = 0; i < 5; i++) {
      w.post({ ms: i * 10, cid: `req-${i}`, taskId: `task-${i}` });
      w.attempt({
        ms: i * 10 + 5,
        cid: `req-${i}`,
        taskId: `task-${i}`,
        worker: 'worker-1',
        attempt: 1,
        durationMs: 50,
      });
    }
    w.post({ ms: 100, cid: 'req-stuck', taskId: 'task-stuck' });
    w.attempt({ ms: 105, cid: 'req-stuck', taskId: 'task-stuck', worker: 'worker-3', attempt: 1, die: true });
    w.post({ ms: 1000, cid: 'req-young', taskId: 'task-young' });
    w.attempt({ ms: 1005, cid: 'req-young', taskId: 'task-young', worker: 'worker-2', attempt: 1, die: true });
    const source = new FileSource(track(writeLogDir(w)));
    // At T0 + 1100: req-stuck has run 995 ms (> 3 × 50), req-young 95 ms.
    const rows = await fleetFeed(source, { status: 'stuck' }, () => T0 + 1100).rows();
    expect(rows.map((s) => s.correlationId)).toEqual(['req-stuck']);
    await source.close();
  });
});
