/**
 * Validate a task's `data` against its type's JSON schema, fill in defaults, and check what a
 * schema cannot say (a correlation matrix's shape and symmetry). Pure: no I/O. The API calls it
 * before enqueueing (→ 400 naming the field); the worker may call it again to fail a job whose
 * data is invalid at once, without retries.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { valueTooDeep } from '../../contract/json-depth.ts';
import { TASK_TYPES, type TaskType } from '../../contract/vocabulary.ts';
import { pathKey } from '../common/quote.ts';
import { FAULT_SCHEMA, TASK_DATA_SCHEMAS } from './schemas.ts';

/**
 * Deepest nesting of `data` accepted (data itself is level 1; the deepest valid field, a
 * correlation matrix entry, is at level 4). Checked without recursion before anything
 * recursive (structuredClone, the schema validator) walks the value.
 */
export const MAX_DATA_DEPTH = 16;

/** Why a task's data was refused: the offending field (dotted path) and what was expected there. */
export interface TaskDataProblem {
  /** Path of the field, e.g. `data.portfolio_data.positions[0].quantity`. */
  field: string;
  /** What the field should have been, e.g. `a number greater than 0`. */
  expected: string;
}

/** Outcome of {@link validateTaskData}. */
export type TaskDataValidation = { ok: true; data: Record<string, unknown> } | { ok: false; problem: TaskDataProblem };

/** Options for {@link validateTaskData}. */
export interface ValidateTaskOptions {
  /** Accept `data.fault` (fault injection); only when the process runs with DTQ_FAULTS=1. */
  allowFaults?: boolean;
  /** Path prefix of field names in problems (default `data`). */
  prefix?: string;
}

// strictNumbers refuses NaN and ±Infinity (JSON.parse turns 1e999 into Infinity);
// verbose keeps parentSchema on errors (to list allowed fields); allErrors off: the first problem is the one a user fixes first, and it is cheaper.
const ajv = new Ajv({
  useDefaults: true,
  coerceTypes: false,
  strict: true,
  strictNumbers: true,
  allErrors: false,
  verbose: true,
});

const validators = new Map<TaskType, ValidateFunction>(
  TASK_TYPES.map((type) => [type, ajv.compile(TASK_DATA_SCHEMAS[type] as Record<string, unknown>)]),
);
const validateFault = ajv.compile(FAULT_SCHEMA as Record<string, unknown>);

/** True when `value` names a task type dtq knows. */
export function isTaskType(value: unknown): value is TaskType {
  return typeof value === 'string' && (TASK_TYPES as readonly string[]).includes(value);
}

/**
 * Validate `data` for `taskType`. Returns a copy with defaults applied (the input is not
 * modified), or the first problem found.
 */
export function validateTaskData(
  taskType: TaskType,
  data: unknown,
  options: ValidateTaskOptions = {},
): TaskDataValidation {
  const prefix = options.prefix ?? 'data';
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, problem: { field: prefix, expected: 'an object' } };
  }
  if (valueTooDeep(data, MAX_DATA_DEPTH)) {
    return {
      ok: false,
      problem: { field: prefix, expected: `an object nested at most ${MAX_DATA_DEPTH} levels deep` },
    };
  }
  const copy = structuredClone(data) as Record<string, unknown>;
  const fault = copy.fault;
  if (fault !== undefined) {
    if (!options.allowFaults) {
      return {
        ok: false,
        problem: {
          field: `${prefix}.fault`,
          expected: 'no fault field: fault injection is enabled only with DTQ_FAULTS=1',
        },
      };
    }
    if (!validateFault(fault)) return { ok: false, problem: describe(validateFault.errors, `${prefix}.fault`) };
    delete copy.fault;
  }
  const validate = validators.get(taskType);
  if (validate === undefined) throw new Error(`no schema for task type ${taskType}`);
  if (!validate(copy)) return { ok: false, problem: describe(validate.errors, prefix) };
  const semantic = checkCorrelations(taskType, copy, prefix);
  if (semantic !== undefined) return { ok: false, problem: semantic };
  if (fault !== undefined) copy.fault = fault;
  return { ok: true, data: copy };
}

function checkCorrelations(
  taskType: TaskType,
  data: Record<string, unknown>,
  prefix: string,
): TaskDataProblem | undefined {
  if (taskType === 'calculate_var' || taskType === 'stress_test') {
    const portfolio = data.portfolio_data as { positions: unknown[]; correlations?: number[][] };
    return checkMatrix(portfolio.correlations, portfolio.positions.length, `${prefix}.portfolio_data.correlations`);
  }
  if (taskType === 'portfolio_optimization') {
    const assets = data.assets as unknown[];
    return checkMatrix(data.correlations as number[][] | undefined, assets.length, `${prefix}.correlations`);
  }
  return undefined;
}

function checkMatrix(matrix: number[][] | undefined, n: number, field: string): TaskDataProblem | undefined {
  if (matrix === undefined) return undefined;
  const shape = `a ${n}×${n} correlation matrix (one row and column per position, in order)`;
  if (matrix.length !== n) return { field, expected: `${shape}; got ${matrix.length} rows` };
  for (let i = 0; i < n; i++) {
    const row = matrix[i] as number[];
    if (row.length !== n) return { field: `${field}[${i}]`, expected: `${n} entries; got ${row.length}` };
    if (row[i] !== 1)
      return { field: `${field}[${i}][${i}]`, expected: '1 (a variable is perfectly correlated with itself)' };
    for (let j = 0; j < i; j++) {
      if (row[j] !== (matrix[j] as number[])[i]) {
        return { field: `${field}[${i}][${j}]`, expected: `the same value as ${field}[${j}][${i}] (symmetric matrix)` };
      }
    }
  }
  return undefined;
}

/** Turn Ajv's first error into a field path and a plain-language expectation. */
function describe(errors: ErrorObject[] | null | undefined, prefix: string): TaskDataProblem {
  const error = errors?.[0];
  if (error === undefined) return { field: prefix, expected: 'valid data' };
  const field = prefix + pointerToPath(error.instancePath);
  const p = error.params as Record<string, unknown>;
  // A bad key of a map (propertyNames): name the key, not the map.
  if (error.propertyName !== undefined) {
    return {
      field: field + pathKey(error.propertyName),
      expected: 'a symbol key of 1 to 32 characters of [A-Za-z0-9._:/-]',
    };
  }
  switch (error.keyword) {
    case 'required':
      return { field: `${field}.${String(p.missingProperty)}`, expected: 'a value (the field is required)' };
    case 'additionalProperties':
      return {
        field: field + pathKey(String(p.additionalProperty)),
        expected: `no such field; allowed fields: ${allowedFields(error).join(', ')}`,
      };
    case 'type':
      return { field, expected: article(String(p.type)) + finiteNote(p.type) };
    case 'minimum':
      return { field, expected: `${numberKind(error)} ≥ ${String(p.limit)}` };
    case 'maximum':
      return { field, expected: `${numberKind(error)} ≤ ${String(p.limit)}` };
    case 'exclusiveMinimum':
      return { field, expected: `${numberKind(error)} > ${String(p.limit)}` };
    case 'exclusiveMaximum':
      return { field, expected: `${numberKind(error)} < ${String(p.limit)}` };
    case 'minItems':
      return { field, expected: `at least ${String(p.limit)} item(s)` };
    case 'maxItems':
      return { field, expected: `at most ${String(p.limit)} items` };
    case 'maxProperties':
      return { field, expected: `at most ${String(p.limit)} entries` };
    case 'minLength':
      return { field, expected: `a string of at least ${String(p.limit)} character(s)` };
    case 'maxLength':
      return { field, expected: `a string of at most ${String(p.limit)} characters` };
    case 'pattern':
      return { field, expected: `a string matching ${String(p.pattern)}` };
    case 'enum':
      return { field, expected: `one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { field, expected: error.message ?? 'a valid value' };
  }
}

function numberKind(error: ErrorObject): string {
  return (error.parentSchema as { type?: unknown } | undefined)?.type === 'integer' ? 'an integer' : 'a number';
}

function finiteNote(type: unknown): string {
  return type === 'number' || type === 'integer' ? ' (finite; NaN and Infinity are not numbers here)' : '';
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function allowedFields(error: ErrorObject): string[] {
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

/**
 * `/portfolio_data/positions/0/quantity` → `.portfolio_data.positions[0].quantity`; a key that
 * is not a plain identifier (a client's map key) is quoted and cut, e.g. `["\x1b[31m…"]`.
 */
function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : pathKey(part)))
    .join('');
}
