/** Back-pressure: above the queue-depth threshold new tasks get 503 + Retry-After until the backlog drains. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness({ circuitThreshold: 2, circuitCacheMs: 0, retryAfterS: 7 });
});

afterAll(async () => {
  await api?.close();
});

function post(correlationId: string) {
  return api.postTask({ headers: { 'x-request-id': correlationId } });
}

describe('circuit breaker on queue depth', () => {
  it('opens above the threshold, refuses with Retry-After, and closes when the queues drain', async () => {
    for (const id of ['fill-1', 'fill-2', 'fill-3']) expect((await post(id)).statusCode).toBe(202);

    const refused = await post('refused-1');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('7');
    expect(refused.json().error).toMatchObject({
      code: 'DTQ_ERR_API_CIRCUIT_OPEN',
      queue_depth: 3,
      threshold: 2,
      retry_after_s: 7,
      correlation_id: 'refused-1',
    });
    expect((await post('refused-2')).statusCode).toBe(503);

    const opened = api.lines().filter((line) => line[F.EVENT_ACTION] === EVENTS.CIRCUIT_OPENED);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      [F.CIRCUIT_STATE]: 'open',
      [F.QUEUE_DEPTH]: 3,
      [F.CIRCUIT_THRESHOLD]: 2,
      [F.CORRELATION_ID]: 'refused-1',
    });

    // /ready reports the same depth the breaker went by.
    const ready = await api.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.json().queues).toEqual({
      high: { waiting: 3, delayed: 0, active: 0, failed: 0 },
      medium: { waiting: 0, delayed: 0, active: 0, failed: 0 },
      low: { waiting: 0, delayed: 0, active: 0, failed: 0 },
    });

    await api.inspect('high').drain();
    const accepted = await post('after-drain');
    expect(accepted.statusCode).toBe(202);
    const closed = api.lines().filter((line) => line[F.EVENT_ACTION] === EVENTS.CIRCUIT_CLOSED);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ [F.CIRCUIT_STATE]: 'closed', [F.QUEUE_DEPTH]: 0 });
  });
});
