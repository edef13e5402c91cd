/**
 * The correlation id through the API: taken from X-Request-ID when valid, generated once when
 * absent, replaced when hostile, and the same in the response header, the body, every log line
 * of the request and the job's data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRELATION_ID_PATTERN } from '../../contract/correlation-id.ts';
import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
});

afterAll(async () => {
  await api?.close();
});

async function post(headers: Record<string, string>) {
  const response = await api.postTask({ headers });
  return { response, body: response.json() as { task_id: string; correlation_id: string; status: string } };
}

function linesOf(correlationId: string): LogRecord[] {
  return api.lines().filter((line) => line[F.CORRELATION_ID] === correlationId);
}

function actions(lines: LogRecord[]): unknown[] {
  return lines.map((line) => line[F.EVENT_ACTION]);
}

describe('correlation id', () => {
  it('accepts the design notes example verbatim and keeps the client id everywhere', async () => {
    const { response, body } = await post({ 'x-request-id': 'ULTIMATE-SUCCESS-123' });
    expect(response.statusCode).toBe(202);
    expect(response.headers['x-request-id']).toBe('ULTIMATE-SUCCESS-123');
    expect(body).toMatchObject({ status: 'queued', correlation_id: 'ULTIMATE-SUCCESS-123' });
    expect(response.headers.location).toBe(`/api/v1/tasks/${body.task_id}`);

    const job = await api.inspect('high').getJob(body.task_id);
    expect(job?.data.correlation_id).toBe('ULTIMATE-SUCCESS-123');
    expect(job?.data.priority).toBe('high');
    // Defaults the example leaves out are filled in before the worker sees the job.
    expect(job?.data.data).toEqual({
      portfolio_data: { positions: [{ symbol: 'AAPL', quantity: 100, price: 150, volatility: 0.2 }] },
      confidence_level: 0.95,
      horizon_days: 1,
      simulations: 10_000,
    });

    const lines = linesOf('ULTIMATE-SUCCESS-123');
    expect(actions(lines)).toEqual([EVENTS.HTTP_REQUEST_RECEIVED, EVENTS.TASK_ENQUEUED, EVENTS.HTTP_REQUEST_COMPLETED]);
    const enqueued = lines[1] as LogRecord;
    expect(enqueued).toMatchObject({ [F.TASK_ID]: body.task_id, [F.TASK_QUEUE]: 'high', [F.TASK_PRIORITY]: 'high' });
    const completed = lines[2] as LogRecord;
    expect(completed).toMatchObject({
      [F.HTTP_STATUS]: 202,
      [F.HTTP_METHOD]: 'POST',
      [F.URL_PATH]: '/api/v1/tasks',
      [F.HTTP_ROUTE]: '/api/v1/tasks',
      [F.SERVICE_NAME]: 'api',
      [F.SERVICE_INSTANCE]: api.instance,
    });
    expect(completed[F.EVENT_DURATION]).toBeGreaterThan(0);
  });

  it('generates one id when the header is absent and uses it everywhere', async () => {
    const { response, body } = await post({});
    expect(response.statusCode).toBe(202);
    const id = response.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.correlation_id).toBe(id);
    const job = await api.inspect('high').getJob(body.task_id);
    expect(job?.data.correlation_id).toBe(id);
    expect(actions(linesOf(id))).toEqual([
      EVENTS.HTTP_REQUEST_RECEIVED,
      EVENTS.TASK_ENQUEUED,
      EVENTS.HTTP_REQUEST_COMPLETED,
    ]);
  });

  const hostile: Array<[string, string]> = [
    ['129 characters', 'a'.repeat(129)],
    ['a quote and a brace', 'abc"}{"injected":"yes'],
    ['non-ASCII characters', 'idé-ünïcode'],
    ['spaces', 'has space'],
  ];

  it.each(hostile)('replaces a hostile id (%s) everywhere and never logs it', async (_name, value) => {
    const { response, body } = await post({ 'x-request-id': value });
    expect(response.statusCode).toBe(202);
    const id = response.headers['x-request-id'] as string;
    expect(id).not.toBe(value);
    expect(id).toMatch(CORRELATION_ID_PATTERN);
    expect(body.correlation_id).toBe(id);
    expect((await api.inspect('high').getJob(body.task_id))?.data.correlation_id).toBe(id);
    expect(actions(linesOf(id))).toContain(EVENTS.HTTP_REQUEST_COMPLETED);
    expect(api.rawLog()).not.toContain(JSON.stringify(value).slice(1, -1));
  });

  it('echoes the id on error answers too', async () => {
    const response = await api.app.inject({
      method: 'GET',
      url: '/no/such/route',
      headers: { 'x-request-id': 'err-1' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers['x-request-id']).toBe('err-1');
    expect(response.json()).toMatchObject({ error: { code: 'DTQ_ERR_API_ROUTE_NOT_FOUND', correlation_id: 'err-1' } });
  });
});
