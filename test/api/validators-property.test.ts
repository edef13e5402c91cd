/**
 * Property tests (fixed seed, bounded runs) of every pure parser of untrusted request input:
 * task data validation, the whole request, the JSON body parser, canonical JSON, the
 * Idempotency-Key parser, correlation ids and the quoting of client values. Each never throws
 * anything but a DtqError with a code, and never accepts what its rules forbid.
 */
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CORRELATION_ID_PATTERN, correlationIdFrom } from '../../contract/correlation-id.ts';
import { DtqError } from '../../contract/dtq-error.ts';
import { valueTooDeep } from '../../contract/json-depth.ts';
import { TASK_TYPES, type TaskType } from '../../contract/vocabulary.ts';
import { clientErrorOf } from '../../workload/api/client-error.ts';
import { defaultWorkBudgets } from '../../workload/api/config.ts';
import { parseJsonBody } from '../../workload/api/json-body.ts';
import { parseTaskRequest } from '../../workload/api/services/task-request.ts';
import { canonicalJson } from '../../workload/common/canonical-json.ts';
import { quoteValue } from '../../workload/common/quote.ts';
import {
  IDEMPOTENCY_KEY_MAX_LENGTH,
  parseIdempotencyKey,
  parseIdempotencyKeyValue,
} from '../../workload/idempotency/key.ts';
import { checkComputable } from '../../workload/tasks/computable.ts';
import { TASK_DATA_SCHEMAS } from '../../workload/tasks/schemas.ts';
import { validateTaskData } from '../../workload/tasks/validate-task.ts';
import { workCost } from '../../workload/tasks/work-cost.ts';
import { hostileBody, hostileData, hostileString, nestedText } from './request-fuzz-arbitraries.ts';

const RUNS = { seed: 42, numRuns: 500 } as const;
const MAX_DEPTH = 64;
const BUDGETS = defaultWorkBudgets();

// An independent reading of the schemas (no defaults filled in, so it only judges).
const judge = new Ajv({ strict: true, strictNumbers: true, allErrors: false });
const schemaAllows = Object.fromEntries(
  TASK_TYPES.map((type) => [type, judge.compile(TASK_DATA_SCHEMAS[type] as Record<string, unknown>)]),
) as unknown as Record<TaskType, (data: unknown) => boolean>;

// C0, DEL and C1 controls: never in a message a client or a log receives.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** Run `fn`; a throw must be a DtqError with a DTQ_ERR_ code (returned), anything else fails. */
function outcome<T>(fn: () => T): { value: T } | { error: DtqError } {
  try {
    return { value: fn() };
  } catch (error) {
    if (!(error instanceof DtqError)) throw new Error(`threw a non-DtqError: ${String(error)}`, { cause: error });
    expect(error.code).toMatch(/^DTQ_ERR_[A-Z_]+$/);
    return { error };
  }
}

/** Hostile JSON texts: arbitrary strings, real JSON, deep nesting, prototype keys. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' }).map((v) => JSON.stringify(v)),
  hostileBody.map((body) => JSON.stringify(body) ?? ''),
  fc.integer({ min: 0, max: 20_000 }).map(nestedText),
  fc.integer({ min: 0, max: 20_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc
    .tuple(fc.constantFrom('"__proto__"', '"\\u005f_proto__"', '"constructor"'), fc.jsonValue({ maxDepth: 2 }))
    .map(([key, value]) => `{"data":{${key}:${JSON.stringify(value) ?? 'null'}}}`),
);

describe('request parsers, property-tested', () => {
  it('validateTaskData never throws, and what it accepts the schema allows and it accepts again', () => {
    fc.assert(
      fc.property(hostileData, fc.boolean(), ({ taskType, data }, allowFaults) => {
        const result = validateTaskData(taskType, data, { allowFaults });
        if (!result.ok) {
          expect(result.problem.field.startsWith('data')).toBe(true);
          expect(result.problem.field).not.toMatch(CONTROL);
          expect(result.problem.field.length).toBeLessThan(300);
          return;
        }
        const { fault: _fault, ...withoutFault } = result.data;
        expect(schemaAllows[taskType](withoutFault)).toBe(true);
        expect(validateTaskData(taskType, result.data, { allowFaults }).ok).toBe(true);
      }),
      RUNS,
    );
  });

  it('parseTaskRequest throws only 400 API errors with clean messages, and accepts only computable work within budget', () => {
    fc.assert(
      fc.property(hostileBody, (body) => {
        const result = outcome(() => parseTaskRequest(body, { allowFaults: false, workBudgets: BUDGETS }));
        if ('error' in result) {
          expect(result.error.code).toMatch(/^DTQ_ERR_API_/);
          expect(result.error.statusCode).toBe(400);
          expect(result.error.message).not.toMatch(CONTROL);
          expect(result.error.message.length).toBeLessThan(1000);
          return;
        }
        const { taskType, data } = result.value;
        expect(schemaAllows[taskType](data)).toBe(true);
        expect(checkComputable(taskType, data)).toBeUndefined();
        expect(workCost(taskType, data)).toBeLessThanOrEqual(BUDGETS[taskType]);
      }),
      RUNS,
    );
  });

  it('parseJsonBody throws only API errors, and what it returns is shallow enough, prototype-safe and canonicalisable', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const result = outcome(() => parseJsonBody(text, MAX_DEPTH));
        if ('error' in result) {
          expect(result.error.code).toMatch(/^DTQ_ERR_API_(MALFORMED_JSON|BODY_TOO_DEEP|FORBIDDEN_KEY)$/);
          expect(result.error.statusCode).toBe(400);
          return;
        }
        expect(valueTooDeep(result.value, MAX_DEPTH)).toBe(false);
        expect(JSON.stringify(result.value)).not.toContain('"__proto__":');
        const canonical = canonicalJson(result.value);
        expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
      }),
      RUNS,
    );
  });

  it('parseJsonBody returns exactly what JSON.parse does for ordinary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        const result = outcome(() => parseJsonBody(text, MAX_DEPTH));
        if ('value' in result) expect(result.value).toEqual(JSON.parse(text));
        else expect(result.error.code).toBe('DTQ_ERR_API_FORBIDDEN_KEY');
      }),
      RUNS,
    );
  });

  it('canonicalJson ignores key order and round-trips', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), (value) => {
        const reversed = JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
          v !== null && typeof v === 'object' && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v as object).reverse())
            : v,
        ) as unknown;
        const canonical = canonicalJson(value);
        expect(canonicalJson(reversed)).toBe(canonical);
        expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
      }),
      RUNS,
    );
  });

  it('the Idempotency-Key parser never throws and accepts only 1 to 255 printable ASCII characters', () => {
    const headerValue = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((s) => `"${s}"`),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('Idempotency-Key', 'idempotency-key', 'X-Other'), headerValue), {
          maxLength: 4,
        }),
        (pairs) => {
          for (const [, value] of pairs) {
            const parsed = parseIdempotencyKeyValue(value);
            if (parsed.ok && parsed.key !== undefined) {
              expect(parsed.key).toMatch(/^[\x20-\x7e]+$/);
              expect(parsed.key.length).toBeLessThanOrEqual(IDEMPOTENCY_KEY_MAX_LENGTH);
            }
            if (!parsed.ok) expect(parsed.reason).not.toContain(value.length > 3 ? value : '\u0000');
          }
          const all = parseIdempotencyKey(pairs.flat());
          const sent = pairs.filter(([name]) => name.toLowerCase() === 'idempotency-key').length;
          if (sent > 1) expect(all.ok).toBe(false);
          if (sent === 0) expect(all).toEqual({ ok: true, key: undefined });
        },
      ),
      RUNS,
    );
  });

  it('a correlation id is always one that matches the rules, the client’s own only when it does', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, fc.anything(), fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/)), (value) => {
        const { id, generated } = correlationIdFrom(value);
        expect(id).toMatch(CORRELATION_ID_PATTERN);
        // A repeated header arrives as an array: its first value is the one judged.
        const sent = Array.isArray(value) ? value[0] : value;
        expect(generated).toBe(!(typeof sent === 'string' && CORRELATION_ID_PATTERN.test(sent)));
        if (!generated) expect(id).toBe(sent);
      }),
      RUNS,
    );
  });

  it('quoted client values carry no control character and stay short', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, fc.string({ unit: 'binary', maxLength: 100_000 })), (value) => {
        const quoted = quoteValue(value);
        expect(quoted).not.toMatch(CONTROL);
        expect(quoted.length).toBeLessThanOrEqual(64 * 6 + 40);
      }),
      RUNS,
    );
  });

  it('every parser error Node reports maps to a 4xx API error', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constantFrom('HPE_INVALID_METHOD', 'HPE_HEADER_OVERFLOW', 'ERR_HTTP_REQUEST_TIMEOUT')),
        (code) => {
          const error = clientErrorOf(code);
          expect(error.code).toMatch(/^DTQ_ERR_API_/);
          expect(error.statusCode).toBeGreaterThanOrEqual(400);
          expect(error.statusCode).toBeLessThan(500);
        },
      ),
      RUNS,
    );
  });
});
