/**
 * The log contract as a JSON Schema (draft 2020-12) of one log line, generated from the
 * vocabulary: a property per field of FIELD_SPECS with its type, the event names and service
 * roles as enums, the correlation id's pattern, and per event (`if`/`then` on event.action)
 * the fields of EVENT_REQUIRED_FIELDS. Unknown fields are allowed: the explorer ignores them.
 * The W3C ids (`trace.id`, `span.id`, `parent.id`) are plain strings: the explorer reads any
 * id, and within one major version a conforming line stays conforming.
 *
 * Pure; `npm run contract:schema` writes it to LOG_LINE_SCHEMA_FILE and a test keeps that file
 * in step with this function.
 */
import { CORRELATION_ID_PATTERN } from './correlation-id.ts';
import {
  CONTRACT_VERSION,
  EVENT_REQUIRED_FIELDS,
  EVENTS,
  F,
  FIELD_SPECS,
  type FieldName,
  type FieldType,
  LINE_REQUIRED_FIELDS,
  SERVICES,
} from './vocabulary.ts';

/** Where the generated schema is committed, relative to the repository root. */
export const LOG_LINE_SCHEMA_FILE = 'docs/log-contract.schema.json';

/** The schema's `$id`: names the contract version, so a consumer can tell which one it holds. */
export const LOG_LINE_SCHEMA_ID = `urn:dtq:log-contract:${CONTRACT_VERSION}:log-line`;

/** The command that regenerates {@link LOG_LINE_SCHEMA_FILE}. */
export const LOG_LINE_SCHEMA_COMMAND = 'npm run contract:schema';

/** ISO-8601 date and time with a zone (Z or ±hh:mm), fraction optional: what Date.parse reads. */
export const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** A JSON Schema object, as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

// Numbers may also arrive as strings of digits: nginx's `escape=json` log format writes every
// value as a string, Elasticsearch coerces them and the explorer reads them as numbers.
const INTEGER_TEXT = '^-?[0-9]+$';
const DECIMAL_TEXT = '^-?[0-9]+(\\.[0-9]+)?$';

function typeSchema(type: FieldType): JsonSchema {
  switch (type) {
    case 'date':
      return { type: 'string', pattern: TIMESTAMP_PATTERN.source };
    case 'keyword':
    case 'text':
      return { type: 'string' };
    case 'long':
      return { anyOf: [{ type: 'integer' }, { type: 'string', pattern: INTEGER_TEXT }] };
    case 'double':
      return { anyOf: [{ type: 'number' }, { type: 'string', pattern: DECIMAL_TEXT }] };
    case 'boolean':
      return { anyOf: [{ type: 'boolean' }, { enum: ['true', 'false'] }] };
  }
}

/** Constraints beyond the type, for the fields whose values the contract fixes. */
const VALUES: Readonly<Partial<Record<FieldName, JsonSchema>>> = {
  [F.EVENT_ACTION]: { enum: Object.values(EVENTS) },
  [F.SERVICE_NAME]: { enum: [...SERVICES] },
  [F.EVENT_OUTCOME]: { enum: ['success', 'failure', 'unknown'] },
  [F.CORRELATION_ID]: { pattern: CORRELATION_ID_PATTERN.source },
  [F.ORIGINAL_CORRELATION_ID]: { pattern: CORRELATION_ID_PATTERN.source },
};

/** The JSON Schema of one contract log line. */
export function logLineSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const spec of Object.values(FIELD_SPECS))
    properties[spec.name] = { description: spec.doc, ...typeSchema(spec.type), ...VALUES[spec.name] };
  const perEvent = Object.entries(EVENT_REQUIRED_FIELDS).map(([action, required]) => ({
    if: { properties: { [F.EVENT_ACTION]: { const: action } }, required: [F.EVENT_ACTION] },
    // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword; this object is never awaited.
    then: { required },
  }));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: LOG_LINE_SCHEMA_ID,
    title: `dtq log line, contract ${CONTRACT_VERSION}`,
    description:
      'One line of NDJSON: a flat JSON object with dotted keys. Generated from contract/vocabulary.ts ' +
      `by \`${LOG_LINE_SCHEMA_COMMAND}\`; see docs/log-contract.md.`,
    type: 'object',
    required: [...LINE_REQUIRED_FIELDS],
    properties,
    allOf: perEvent,
  };
}

/** The schema as the committed file holds it. */
export function renderLogLineSchema(): string {
  return `${JSON.stringify(logLineSchema(), null, 2)}\n`;
}
