/**
 * The API describes itself as OpenAPI 3.1 at /openapi.json and /documentation/json: every route
 * with its body, parameters and answers, every error code a client can get under its status, and
 * every documented limit. Attaching the schemas changes no answer (bad-input.test.ts and the
 * other API tests hold the answers themselves).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES, MAX_PARAM_LENGTH } from '../../workload/api/config.ts';
import { API_ERRORS } from '../../workload/api/errors.ts';
import { HEADER_LIMITS, OPENAPI_PATHS } from '../../workload/api/openapi.ts';
import { IDEMPOTENCY_ERRORS } from '../../workload/idempotency/errors.ts';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '../../workload/idempotency/key.ts';
import { QUEUE_ERRORS } from '../../workload/queue/errors.ts';
import {
  MAX_POSITIONS,
  MAX_SCENARIOS,
  MAX_SIMULATIONS,
  MIN_SIMULATIONS,
  TASK_DATA_SCHEMAS,
} from '../../workload/tasks/schemas.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

type Json = Record<string, unknown>;

let api: ApiHarness;
let spec: Json;
let text: string;

beforeAll(async () => {
  api = await startApiHarness();
  const response = await api.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  text = response.body;
  spec = response.json();
});

afterAll(async () => {
  await api?.close();
});

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operations(): { path: string; method: string; operation: Json }[] {
  const paths = spec.paths as Record<string, Json>;
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ path, method, operation: operation as Json })),
  );
}

/** Every (status, code) pair the document lists in an error response's `code` enum. */
function documentedErrors(): Set<string> {
  const pairs = new Set<string>();
  const visit = (status: string, response: Json) => {
    const content = response.content as Record<string, { schema: Json }> | undefined;
    const schema = content?.['application/json']?.schema as
      | { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } }
      | undefined;
    for (const code of schema?.properties?.error?.properties?.code?.enum ?? []) pairs.add(`${status} ${code}`);
  };
  for (const { operation } of operations()) {
    for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
      visit(status, response);
    }
  }
  const components = (spec.components as { responses?: Record<string, Json> }).responses ?? {};
  for (const response of Object.values(components)) {
    const codes = (response.description as string).match(/DTQ_ERR_[A-Z_]+/g) ?? [];
    for (const code of codes) {
      const status = Object.values(API_ERRORS).find((e) => e.code === code)?.statusCode;
      visit(String(status), response);
    }
  }
  return pairs;
}

describe('OpenAPI document', () => {
  it('is served at /openapi.json and /documentation/json, the same document', async () => {
    for (const url of OPENAPI_PATHS) {
      const response = await api.app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual(spec);
    }
  });

  it('is an OpenAPI 3.1 document: version, info, paths with operations that each answer, components', () => {
    expect(spec.openapi).toBe('3.1.0');
    expect(spec.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(spec.paths as Json).sort()).toEqual([
      '/api/v1/tasks',
      '/api/v1/tasks/{task_id}',
      '/health',
      '/metrics',
      '/noop',
      '/ready',
    ]);
    expect(spec.components).toBeTypeOf('object');
    for (const { path, method, operation } of operations()) {
      const responses = operation.responses as Record<string, Json>;
      expect(Object.keys(responses).length, `${method} ${path}`).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(responses)) {
        expect(status, `${method} ${path}`).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        expect(response.description, `${method} ${path} ${status}`).toEqual(expect.any(String));
      }
      for (const parameter of (operation.parameters as Json[] | undefined) ?? []) {
        expect(['path', 'query', 'header', 'cookie']).toContain(parameter.in);
        expect(parameter.name).toEqual(expect.any(String));
        expect(parameter.schema).toBeTypeOf('object');
        if (parameter.in === 'path') {
          expect(parameter.required).toBe(true);
          expect(path).toContain(`{${String(parameter.name)}}`);
        }
      }
    }
    // Every $ref points into the document.
    for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      const target = (ref as string)
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], spec);
      expect(target, ref).toBeDefined();
    }
  });

  it('lists every error code a client can get under its own status', () => {
    const documented = documentedErrors();
    for (const error of [...Object.values(API_ERRORS), ...Object.values(IDEMPOTENCY_ERRORS)]) {
      expect(documented, error.code).toContain(`${error.statusCode} ${error.code}`);
    }
  });

  it('names every error code of the catalogues and of docs/api.md', () => {
    const docs = readFileSync(join(import.meta.dirname, '../../docs/api.md'), 'utf8');
    const codes = new Set([
      ...Object.values(API_ERRORS).map((e) => e.code),
      ...Object.values(IDEMPOTENCY_ERRORS).map((e) => e.code),
      // Internal causes of DTQ_ERR_API_REDIS_UNAVAILABLE, named where the 503 is described.
      ...Object.values(QUEUE_ERRORS).map((e) => e.code),
      ...(docs.match(/DTQ_ERR_[A-Z_]+/g) ?? []),
    ]);
    for (const code of codes) expect(text, code).toContain(code);
  });

  it('describes the task body with the schemas the API validates with, and every documented limit', () => {
    const post = (spec.paths as Record<string, Record<string, Json>>)['/api/v1/tasks']?.post as Json;
    const body = (post.requestBody as { content: Record<string, { schema: Json }> }).content['application/json']
      ?.schema as { oneOf: { properties: { task_type: { enum: string[] }; data: Json } }[]; description: string };
    const byType = Object.fromEntries(body.oneOf.map((v) => [v.properties.task_type.enum.join(), v.properties.data]));
    expect(byType).toEqual(JSON.parse(JSON.stringify(TASK_DATA_SCHEMAS)));
    expect(body.description).toContain(String(BODY_LIMIT_BYTES));

    const headers = (post.parameters as Json[]).filter((p) => p.in === 'header');
    const key = headers.find((p) => p.name === 'idempotency-key');
    expect(key?.schema).toMatchObject({ maxLength: IDEMPOTENCY_KEY_MAX_LENGTH, minLength: 1 });
    expect(headers.find((p) => p.name === 'x-request-id')?.schema).toMatchObject({ maxLength: 128 });

    const get = (spec.paths as Record<string, Record<string, Json>>)['/api/v1/tasks/{task_id}']?.get as Json;
    const taskId = (get.parameters as Json[]).find((p) => p.in === 'path' && p.name === 'task_id');
    expect(taskId?.schema).toMatchObject({ maxLength: 128, pattern: '^[A-Za-z0-9._-]+$' });

    const responses = post.responses as Record<string, { description: string }>;
    expect(responses['413']?.description).toContain(String(BODY_LIMIT_BYTES));
    expect(responses['431']?.description).toContain(String(HEADER_LIMITS.lineBytes));
    expect(responses['431']?.description).toContain(String(HEADER_LIMITS.totalBytes));
    const description = (spec.info as { description: string }).description;
    for (const limit of [BODY_LIMIT_BYTES, IDEMPOTENCY_KEY_MAX_LENGTH, MAX_PARAM_LENGTH, 128]) {
      expect(description).toContain(String(limit));
    }
    // Limits of the task data, as schema keywords.
    for (const [keyword, value] of [
      ['maximum', MAX_SIMULATIONS],
      ['minimum', MIN_SIMULATIONS],
      ['maxItems', MAX_POSITIONS],
      ['maxItems', MAX_SCENARIOS],
    ] as const) {
      expect(text).toContain(`"${keyword}":${value}`);
    }
  });

  it('leaves the answers as they were: a bad body still gets the catalogue code naming the field', async () => {
    const response = await api.postTask({
      payload: { task_type: 'calculate_var', data: { portfolio_data: { positions: [] } }, extra: 1 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'DTQ_ERR_API_INVALID_FIELD', field: '"extra"' });
  });
});
