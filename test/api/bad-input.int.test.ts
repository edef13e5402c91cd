/** Every kind of bad input gets its status and an error body that names the problem. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F, TASK_TYPES } from '../../contract/vocabulary.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

let api: ApiHarness;
let withFaults: ApiHarness;

beforeAll(async () => {
  [api, withFaults] = await Promise.all([startApiHarness(), startApiHarness({ faults: true })]);
});

afterAll(async () => {
  await Promise.all([api?.close(), withFaults?.close()]);
});

const position = { symbol: 'AAPL', quantity: 100, price: 150 };

function varTask(data: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    task_type: 'calculate_var',
    data: { portfolio_data: { positions: [position] }, ...data },
    ...extra,
  });
}

async function postRaw(payload: string, contentType = 'application/json', target: ApiHarness = api) {
  const response = await target.postTask({ payload, headers: { 'content-type': contentType } });
  const body = response.json() as { error: Record<string, unknown> & { code: string; message: string } };
  return { status: response.statusCode, body, error: body.error };
}

describe('bad input', () => {
  const fieldCases: Array<[string, string, string, RegExp]> = [
    [
      'a negative quantity',
      varTask({ portfolio_data: { positions: [{ ...position, quantity: -5 }] } }),
      'data.portfolio_data.positions[0].quantity',
      /> 0/,
    ],
    [
      'an infinite quantity (1e999)',
      '{"task_type":"calculate_var","data":{"portfolio_data":{"positions":[{"symbol":"A","quantity":1e999,"price":1}]}}}',
      'data.portfolio_data.positions[0].quantity',
      /Infinity/,
    ],
    [
      'a missing price',
      varTask({ portfolio_data: { positions: [{ symbol: 'A', quantity: 1 }] } }),
      'data.portfolio_data.positions[0].price',
      /required/,
    ],
    ['10^9 simulations', varTask({ simulations: 1_000_000_000 }), 'data.simulations', /≤ 1000000/],
    ['a confidence level of 1.5', varTask({ confidence_level: 1.5 }), 'data.confidence_level', /< 1/],
    ['an unknown data field', varTask({ colour: 'red' }), 'data.colour', /allowed fields: portfolio_data/],
    [
      'an empty portfolio',
      varTask({ portfolio_data: { positions: [] } }),
      'data.portfolio_data.positions',
      /at least 1/,
    ],
    ['a bad priority', varTask({}, { priority: 'urgent' }), 'priority', /high, medium, low/],
    ['a missing data object', '{"task_type":"calculate_var"}', 'data', /required/],
    ['a missing task_type', '{"data":{}}', 'task_type', /required/],
    ['a body that is an array', '[1,2]', 'body', /JSON object/],
    ['an unknown top-level field', varTask({}, { extra: 1 }), '"extra"', /allowed fields: task_type, data, priority/],
    ['data.fault while DTQ_FAULTS is off', varTask({ fault: { fail_attempts: 1 } }), 'data.fault', /DTQ_FAULTS=1/],
    [
      'an asymmetric correlation matrix',
      varTask({
        portfolio_data: {
          positions: [position, { ...position, symbol: 'MSFT' }],
          correlations: [
            [1, 0.3],
            [0.2, 1],
          ],
        },
      }),
      'data.portfolio_data.correlations[1][0]',
      /symmetric/,
    ],
    [
      'an option type that is not call or put',
      JSON.stringify({
        task_type: 'monte_carlo_pricing',
        data: { spot: 100, strike: 100, volatility: 0.2, maturity: 1, option_type: 'straddle' },
      }),
      'data.option_type',
      /"call", "put"/,
    ],
  ];

  it.each(fieldCases)('answers 400 naming the field for %s', async (_name, payload, field, expected) => {
    const { status, error } = await postRaw(payload);
    expect(status).toBe(400);
    expect(error.code).toBe('DTQ_ERR_API_INVALID_FIELD');
    expect(error.field).toBe(field);
    expect(String(error.expected)).toMatch(expected);
    expect(error.message).toContain(field);
    expect(error.correlation_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers 400 listing the known task types for an unknown one', async () => {
    const { status, error } = await postRaw('{"task_type":"launch_rocket","data":{}}');
    expect(status).toBe(400);
    expect(error.code).toBe('DTQ_ERR_API_UNKNOWN_TASK_TYPE');
    expect(error.known_task_types).toEqual([...TASK_TYPES]);
    for (const type of TASK_TYPES) expect(error.message).toContain(type);
    expect(error.message).toContain('launch_rocket');
  });

  it('answers 400 for malformed JSON', async () => {
    const { status, error } = await postRaw('{"task_type": "calculate_var",');
    expect(status).toBe(400);
    expect(error.code).toBe('DTQ_ERR_API_MALFORMED_JSON');
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('answers 400 for an empty JSON body', async () => {
    const { status, error } = await postRaw('');
    expect(status).toBe(400);
    expect(error.code).toBe('DTQ_ERR_API_MALFORMED_JSON');
    expect(error.message).toMatch(/empty/);
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const big = varTask({ portfolio_data: { positions: [position], portfolio_id: 'x'.repeat(1024 * 1024) } });
    const { status, error } = await postRaw(big);
    expect(status).toBe(413);
    expect(error.code).toBe('DTQ_ERR_API_BODY_TOO_LARGE');
    expect(error.limit_bytes).toBe(1024 * 1024);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
    'answers 415 for Content-Type %s',
    async (contentType) => {
      const { status, error } = await postRaw(varTask({}), contentType);
      expect(status).toBe(415);
      expect(error.code).toBe('DTQ_ERR_API_UNSUPPORTED_MEDIA_TYPE');
      expect(error.message).toContain(contentType);
      expect(error.message).toContain('application/json');
    },
  );

  it('quotes a Content-Type with control characters escaped, never raw', async () => {
    const { status, error } = await postRaw(varTask({}), 'text/x-\u009b31m\u007f');
    expect(status).toBe(415);
    expect(error.message).toContain('"text/x-\\x9b31m\\x7f"');
    expect(error.message).not.toMatch(/[\u007f-\u009f]/);
  });

  it('answers 400 for a task id that cannot exist and 404 for one that does not', async () => {
    const invalid = await api.app.inject({ method: 'GET', url: '/api/v1/tasks/has:colon' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('DTQ_ERR_API_INVALID_TASK_ID');
    const missing = await api.app.inject({ method: 'GET', url: '/api/v1/tasks/0b1e2c3d-no-such-task' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({
      code: 'DTQ_ERR_API_TASK_NOT_FOUND',
      task_id: '0b1e2c3d-no-such-task',
    });
  });

  it.each([
    ['an over-long path parameter', `/api/v1/tasks/${'a'.repeat(300)}`, /longer than 256/],
    ['a malformed percent-encoding', '/api/v1/tasks/%E0%A4%A', /percent-encoding/],
  ])('answers 400 in the API format, logged, for %s the router refuses', async (_name, url, reason) => {
    const id = `router-${reason.source.slice(0, 8).replace(/\W/g, '')}`;
    const response = await api.app.inject({ method: 'GET', url, headers: { 'x-request-id': id } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['x-request-id']).toBe(id);
    const error = response.json().error;
    expect(error).toMatchObject({ code: 'DTQ_ERR_API_BAD_REQUEST', correlation_id: id });
    expect(error.message).toMatch(reason);
    const actions = api
      .lines()
      .filter((line) => line[F.CORRELATION_ID] === id)
      .map((line) => [line[F.EVENT_ACTION], line[F.HTTP_STATUS]]);
    expect(actions).toEqual([
      [EVENTS.HTTP_REQUEST_RECEIVED, undefined],
      [EVENTS.HTTP_REQUEST_COMPLETED, 400],
    ]);
  });

  it('answers 400 for a null priority instead of taking the default', async () => {
    const { status, error } = await postRaw(varTask({}, { priority: null }));
    expect(status).toBe(400);
    expect(error).toMatchObject({ code: 'DTQ_ERR_API_INVALID_FIELD', field: 'priority' });
  });

  it('accepts data.fault when the API runs with DTQ_FAULTS=1 and passes it to the job', async () => {
    const { status, body } = await postRaw(varTask({ fault: { fail_attempts: 2 } }), 'application/json', withFaults);
    expect(status).toBe(202);
    const taskId = (body as unknown as { task_id: string }).task_id;
    const job = await withFaults.inspect('medium').getJob(taskId);
    expect(job?.data.data.fault).toEqual({ fail_attempts: 2 });
  });

  it('refuses a malformed fault even when faults are on', async () => {
    const { status, error } = await postRaw(
      varTask({ fault: { fail_attempts: 'many' } }),
      'application/json',
      withFaults,
    );
    expect(status).toBe(400);
    expect(error.field).toBe('data.fault.fail_attempts');
  });

  it('logs a refusal with its error code and status on the request’s completion line', async () => {
    const response = await api.postTask({
      payload: 'hello',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'refusal-logged' },
    });
    expect(response.statusCode).toBe(415);
    const completed = api
      .lines()
      .filter(
        (line) => line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED && line[F.CORRELATION_ID] === 'refusal-logged',
      );
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      [F.HTTP_STATUS]: 415,
      [F.ERROR_CODE]: 'DTQ_ERR_API_UNSUPPORTED_MEDIA_TYPE',
      [F.EVENT_OUTCOME]: 'failure',
      [F.LOG_LEVEL]: 'warn',
    });
  });
});
