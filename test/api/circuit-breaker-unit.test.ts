/** The circuit breaker's rules without Redis: cached readings shared by concurrent requests, transitions logged once, failed readings refused. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { createCircuitBreaker } from '../../workload/api/services/circuit-breaker.ts';

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: pino({ base: null }, stream), lines };
}

/** A reading with every task in the high queue. */
const depths = (high: number) => ({ high, medium: 0, low: 0 });

describe('circuit breaker', () => {
  it('reads the depth once per interval, shared by concurrent requests', async () => {
    let clock = 0;
    let reads = 0;
    const breaker = createCircuitBreaker({
      threshold: 10,
      cacheMs: 100,
      now: () => clock,
      readDepth: async () => {
        reads++;
        return depths(3);
      },
    });
    const { log } = memoryLogger();
    await Promise.all([breaker.admit(log), breaker.admit(log), breaker.admit(log)]);
    expect(reads).toBe(1);
    clock = 99;
    await breaker.admit(log);
    expect(reads).toBe(1);
    clock = 100;
    expect(await breaker.admit(log)).toEqual({ open: false, depth: 3 });
    expect(reads).toBe(2);
  });

  it('opens above the threshold, closes at or below it, logging each transition once', async () => {
    const readings = [11, 12, 10, 10];
    const breaker = createCircuitBreaker({
      threshold: 10,
      cacheMs: 0,
      readDepth: async () => depths(readings.shift() ?? 0),
    });
    const { log, lines } = memoryLogger();
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push((await breaker.admit(log)).open);
    expect(verdicts).toEqual([true, true, false, false]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => line[F.EVENT_ACTION])).toEqual([EVENTS.CIRCUIT_OPENED, EVENTS.CIRCUIT_CLOSED]);
    expect(lines[0]).toMatchObject({ [F.QUEUE_DEPTH]: 11, [F.CIRCUIT_THRESHOLD]: 10, [F.CIRCUIT_STATE]: 'open' });
  });

  it('rejects with the reading’s error when the depth cannot be read, keeping its state', async () => {
    let clock = 0;
    let fail = false;
    let reads = 0;
    const breaker = createCircuitBreaker({
      threshold: 0,
      cacheMs: 100,
      now: () => clock,
      readDepth: async () => {
        reads++;
        if (fail) throw new Error('redis down');
        return depths(5);
      },
    });
    const { log, lines } = memoryLogger();
    expect(await breaker.admit(log)).toEqual({ open: true, depth: 5 });
    fail = true;
    clock = 100;
    await expect(breaker.admit(log)).rejects.toThrow('redis down');
    // A failed reading is not cached: the next request reads again.
    await expect(breaker.admit(log)).rejects.toThrow('redis down');
    expect(reads).toBe(3);
    fail = false;
    expect(await breaker.admit(log)).toEqual({ open: true, depth: 5 });
    await new Promise((resolve) => setImmediate(resolve));
    // Still the one transition: the failures neither closed nor reopened the circuit.
    expect(lines.map((line) => line[F.EVENT_ACTION])).toEqual([EVENTS.CIRCUIT_OPENED]);
  });
  it('sums the queues and logs each queue’s depth as queue.depth at most once per interval, without a request id', async () => {
    let clock = 0;
    const processLog = memoryLogger();
    const breaker = createCircuitBreaker({
      threshold: 10_000,
      cacheMs: 0,
      now: () => clock,
      readDepth: async () => ({ high: 2, medium: 5, low: clock }),
      depthLog: { log: processLog.log, everyMs: 1000 },
    });
    const request = memoryLogger();
    const bound = request.log.child({ [F.CORRELATION_ID]: 'req-1' });
    expect(await breaker.admit(bound)).toEqual({ open: false, depth: 7 });
    clock = 999;
    expect(await breaker.admit(bound)).toEqual({ open: false, depth: 1006 });
    clock = 1000;
    await breaker.admit(bound);
    await new Promise((resolve) => setImmediate(resolve));
    expect(request.lines).toEqual([]);
    expect(processLog.lines.map((line) => line[F.EVENT_ACTION])).toEqual([EVENTS.QUEUE_DEPTH, EVENTS.QUEUE_DEPTH]);
    expect(processLog.lines[0]).toMatchObject({
      [F.QUEUE_DEPTH]: 7,
      [F.QUEUE_WAITING_HIGH]: 2,
      [F.QUEUE_WAITING_MEDIUM]: 5,
      [F.QUEUE_WAITING_LOW]: 0,
    });
    expect(processLog.lines[1]).toMatchObject({ [F.QUEUE_DEPTH]: 1007, [F.QUEUE_WAITING_LOW]: 1000 });
    expect(processLog.lines[0]).not.toHaveProperty(F.CORRELATION_ID);
  });
});
