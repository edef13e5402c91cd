/** The mapping step on its own: profiles, field rules, roles, events, patterns, routes, OTLP. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DtqError } from '../../contract/dtq-error.ts';
import { readPath } from '../../explorer/mapping/field-path.ts';
import { PROFILES, parseMappingSpec } from '../../explorer/mapping/load.ts';
import { compileMapping, contractTime, isoTime } from '../../explorer/mapping/mapping.ts';
import { polledTaskId } from '../../explorer/model/join.ts';

const ecs = compileMapping(PROFILES.ecs as NonNullable<(typeof PROFILES)['ecs']>);
const otel = compileMapping(PROFILES.otel as NonNullable<(typeof PROFILES)['otel']>);

function spec(value: unknown, profile?: string) {
  return compileMapping(parseMappingSpec(value, 'mapping.yaml', profile));
}

function problem(value: unknown): string {
  try {
    parseMappingSpec(value, 'mapping.yaml');
  } catch (error) {
    if (error instanceof DtqError) return error.message;
  }
  return 'accepted';
}

describe('the built-in profiles', () => {
  it('compiles dtq to the identity, so the sources skip the step, and ecs and otel to real mappings', () => {
    expect(compileMapping(PROFILES.dtq as NonNullable<(typeof PROFILES)['dtq']>).identity).toBe(true);
    expect(ecs.identity).toBe(false);
    expect(otel.identity).toBe(false);
    expect(otel.lines).toBe('otlp');
  });

  it('reads an ECS line the same with nested objects and with dotted keys', () => {
    const dotted = {
      '@timestamp': '2026-12-01T09:00:00.010Z',
      'service.name': 'orders-api',
      'service.node.name': 'orders-api-1',
      'trace.id': 'abc123',
      'event.action': 'http.request.received',
      'http.request.method': 'POST',
      'url.path': '/jobs',
    };
    const nested = {
      '@timestamp': '2026-12-01T09:00:00.010Z',
      service: { name: 'orders-api', node: { name: 'orders-api-1' } },
      trace: { id: 'abc123' },
      event: { action: 'http.request.received' },
      http: { request: { method: 'POST' } },
      url: { path: '/jobs' },
    };
    const expected = {
      '@timestamp': '2026-12-01T09:00:00.010Z',
      'service.name': 'api',
      'service.instance': 'orders-api-1',
      correlation_id: 'abc123',
      // ECS's trace.id is the contract's W3C trace id as well as the correlation id.
      'trace.id': 'abc123',
      'event.action': 'http.request.received',
      'http.request.method': 'POST',
      'url.path': '/jobs',
    };
    expect(ecs.map(dotted)).toEqual([expected]);
    expect(ecs.map(nested)).toEqual([expected]);
  });

  it("reads an APM transaction as the request's span (ecs), even on a line written inside a sub-span", () => {
    const line = {
      '@timestamp': '2026-12-01T09:00:00.014Z',
      'service.name': 'orders-api',
      'event.action': 'task.enqueued',
      trace: { id: '0af7651916cd43dd8448eb211c80319c' },
      transaction: { id: 'b7ad6b7169203331' },
      span: { id: '00f067aa0ba902b7' },
    };
    const [mapped] = ecs.map(line);
    expect(mapped?.['trace.id']).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(mapped?.['span.id']).toBe('b7ad6b7169203331');
    const { transaction: _, ...outsideATransaction } = line;
    expect(ecs.map(outsideATransaction)[0]?.['span.id']).toBe('00f067aa0ba902b7');
  });

  it('gives a service no mapping names the role its event implies (ecs, otel)', () => {
    const role = (action: string) => ecs.map({ 'service.name': 'shop', 'event.action': action })[0]?.['service.name'];
    expect(role('nginx.access')).toBe('nginx');
    expect(role('http.request.completed')).toBe('api');
    expect(role('task.enqueued')).toBe('api');
    expect(role('task.started')).toBe('worker');
    expect(role('service.started')).toBe('other');
  });

  it('turns each record of an OTLP JSON export into its own line', () => {
    const line = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders-worker' } }] },
          scopeLogs: [
            {
              scope: { name: 'jobs' },
              logRecords: [
                {
                  timeUnixNano: '1796115600040123456',
                  severityText: 'INFO',
                  body: { stringValue: 'job started' },
                  traceId: '5b8efff798038103d269b633813fc60c',
                  attributes: [
                    { key: 'event.name', value: { stringValue: 'task.started' } },
                    { key: 'messaging.message.id', value: { stringValue: '4c1f' } },
                    { key: 'task.attempt', value: { intValue: '2' } },
                    { key: 'task.redelivered', value: { boolValue: true } },
                    { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }] } } },
                  ],
                },
                { timeUnixNano: '1796115600300000000', body: { stringValue: 'done' }, attributes: [] },
              ],
            },
          ],
        },
      ],
    };
    const [first, second] = otel.map(line);
    expect(first).toMatchObject({
      '@timestamp': '2026-12-01T09:00:00.040Z',
      'service.name': 'worker',
      'service.instance': 'orders-worker',
      correlation_id: '5b8efff798038103d269b633813fc60c',
      task_id: '4c1f',
      'task.attempt': 2,
      'task.redelivered': true,
      'event.action': 'task.started',
      message: 'job started',
      'log.level': 'INFO',
      tags: ['a'],
    });
    // Read into contract fields, the OTLP names are not kept twice.
    expect(first).not.toHaveProperty('traceId');
    expect(first).not.toHaveProperty('body');
    expect(second?.['@timestamp']).toBe('2026-12-01T09:00:00.300Z');
    expect(otel.map({ resourceLogs: [] })).toEqual([]);
  });
});

describe('times', () => {
  it('reads epoch seconds, milliseconds, microseconds and nanoseconds, as numbers or digits', () => {
    const iso = '2026-12-01T09:00:00.017Z';
    expect(contractTime(1796115600.017)).toBe(iso);
    expect(contractTime(1796115600017)).toBe(iso);
    expect(contractTime('1796115600017')).toBe(iso);
    expect(contractTime('1796115600017000')).toBe(iso);
    expect(contractTime('1796115600017999999')).toBe(iso);
    expect(contractTime('1796115600')).toBe('2026-12-01T09:00:00.000Z');
    expect(contractTime('2026-12-01T10:00:00+01:00')).toBe('2026-12-01T10:00:00+01:00');
  });

  it('writes every time a Date can hold as toISOString does, seconds apart or in a row', () => {
    const edges = [0, -1, 999, 1000, -1000, -1001, 253_402_300_799_999, 253_402_300_800_000, 8.64e15, -8.64e15];
    for (const ms of edges) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    const ms = fc.oneof(
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      fc.integer({ min: 1_796_115_600_000, max: 1_796_115_603_000 }),
    );
    fc.assert(
      fc.property(fc.array(ms, { minLength: 1, maxLength: 20 }), (times) => {
        for (const t of times) expect(isoTime(t)).toBe(new Date(t).toISOString());
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});

describe('a user mapping file', () => {
  const seeds = spec({
    fields: { '@timestamp': 'timestamp', 'event.action': 'message', 'service.name': 'service' },
    services: { fastapi: 'api', 'celery-worker-1': 'worker' },
    events: { 'task.succeeded': 'task.completed' },
    messages: [{ match: '^Task \\S+\\[(?<task_id>[^\\]]+)\\] raised unexpected', event: 'task.failed' }],
    statusRoute: '/v2/jobs/:task_id',
  });

  it('renames fields, maps services to roles and events to contract events, keeping the message', () => {
    const [line] = seeds.map({
      timestamp: '2026-12-01T09:00:01.400Z',
      service: 'celery-worker-1',
      message: 'task.succeeded',
      task_id: 't-1',
    });
    expect(line).toMatchObject({
      '@timestamp': '2026-12-01T09:00:01.400Z',
      'service.name': 'worker',
      'service.instance': 'celery-worker-1',
      'event.action': 'task.completed',
      message: 'task.succeeded',
      task_id: 't-1',
    });
  });

  it('reads an event from a message pattern, its named groups becoming fields', () => {
    const [line] = seeds.map({
      service: 'celery-worker-1',
      message: 'Task build[9f-2] raised unexpected: ValueError()',
    });
    expect(line?.['event.action']).toBe('task.failed');
    expect(line?.task_id).toBe('9f-2');
  });

  it('makes a GET on its status route a status poll in the contract terms, and nothing else', () => {
    const poll = (method: string, path: string) =>
      seeds.map({ service: 'fastapi', message: 'http.request.received', method, path })[0] ?? {};
    const withFields = spec({
      fields: { 'http.request.method': 'method', 'url.path': 'path' },
      statusRoute: '/v2/jobs/:task_id',
    });
    const get =
      withFields.map({ 'event.action': 'http.request.received', method: 'GET', path: '/v2/jobs/a%2Fb' })[0] ?? {};
    expect(polledTaskId(get)).toBe('a/b');
    const post =
      withFields.map({ 'event.action': 'http.request.received', method: 'POST', path: '/v2/jobs/t-1' })[0] ?? {};
    expect(polledTaskId(post)).toBeUndefined();
    const deeper =
      withFields.map({ 'event.action': 'http.request.received', method: 'GET', path: '/v2/jobs/t-1/logs' })[0] ?? {};
    expect(polledTaskId(deeper)).toBeUndefined();
    expect(poll('GET', '/v2/jobs/t-1')['service.name']).toBe('api');
  });

  it('extends the profile it names, its own rules winning', () => {
    const mapping = spec({ extends: 'ecs', fields: { correlation_id: 'labels.request_id' } });
    expect(mapping.fieldsOf('correlation_id')).toEqual(['labels.request_id']);
    expect(mapping.fieldsOf('task_id')).toEqual(['task_id', 'task.id', 'labels.task_id']);
    expect(readPath({ a: { b: 1 }, 'c.d': 2, http: { 'request.method': 'GET' } }, 'a.b')).toBe(1);
    expect(readPath({ 'c.d': 2 }, 'c.d')).toBe(2);
    expect(readPath({ http: { 'request.method': 'GET' } }, 'http.request.method')).toBe('GET');
    expect(readPath({ a: 'x' }, 'a.b')).toBeUndefined();
  });

  it('names the first problem of a file it refuses', () => {
    expect(problem(['fields'])).toContain('it must be a YAML mapping of keys');
    expect(problem({ field: {} })).toContain('"field" is not a key of a mapping');
    expect(problem({ services: { web: 'frontend' } })).toContain('services.web: "frontend" is not a role');
    expect(problem({ events: { done: 'task.done' } })).toContain(
      'events.done: "task.done" is not an event of the log contract',
    );
    expect(problem({ messages: [{ match: '(', event: 'task.failed' }] })).toContain(
      'messages[0].match is not a regular expression',
    );
    expect(problem({ statusRoute: '/v2/jobs' })).toContain('"statusRoute" must be a path with a :task_id segment');
    expect(problem({ extends: 'gelf' })).toContain('There is no mapping profile gelf');
    expect(problem({ fields: { task_id: [] } })).toContain('fields.task_id must be a field name or a list of them');
  });
});
