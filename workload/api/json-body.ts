/**
 * The API's JSON body parser, in place of Fastify's: the same refusals (empty body, invalid
 * JSON, `__proto__` and `constructor.prototype` keys), each with its own catalogue error, plus
 * a nesting limit checked on the text before it is parsed, so no recursive step after it
 * (fingerprinting, validation) can overflow the stack on a hostile body. Pure.
 */
import { dtqError } from '../../contract/dtq-error.ts';
import { jsonTextTooDeep } from '../../contract/json-depth.ts';
import { API_ERRORS } from './errors.ts';

// A key spelled __proto__ or constructor, possibly with \u escapes: only then is the parsed
// value walked to find it (the same trigger secure-json-parse uses).
const SUSPECT_KEY =
  /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"|"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"/;

/** Parse a request body; throws a DTQ_ERR_API_* error (400) naming what is wrong with it. */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.length === 0) throw dtqError(API_ERRORS.MALFORMED_JSON, { reason: 'the body is empty' });
  if (jsonTextTooDeep(text, maxDepth)) throw dtqError(API_ERRORS.BODY_TOO_DEEP, { limit: maxDepth });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the body around the error: not echoed, it may hold anything.
    throw dtqError(API_ERRORS.MALFORMED_JSON, { reason: 'not a JSON value' }, error);
  }
  if (SUSPECT_KEY.test(text)) {
    const key = forbiddenKey(value);
    if (key !== undefined) throw dtqError(API_ERRORS.FORBIDDEN_KEY, { key });
  }
  return value;
}

/** The first prototype-changing key in a parsed value (iterative: depth is already bounded, but cheaply so). */
function forbiddenKey(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object') continue;
    if (!Array.isArray(current)) {
      // JSON.parse makes "__proto__" an own property; Object.assign or a copy by assignment
      // would turn it into a prototype.
      if (Object.hasOwn(current, '__proto__')) return '"__proto__"';
      const ctor = (current as Record<string, unknown>).constructor;
      if (
        Object.hasOwn(current, 'constructor') &&
        ctor !== null &&
        typeof ctor === 'object' &&
        Object.hasOwn(ctor, 'prototype')
      ) {
        return '"constructor" holding "prototype"';
      }
    }
    for (const child of Object.values(current)) stack.push(child);
  }
  return undefined;
}
