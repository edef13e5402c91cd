/**
 * Base class of every error dtq raises on purpose. Each part keeps a catalogue of its own
 * (`errors.ts` beside its code) with stable codes `DTQ_ERR_<AREA>_<PROBLEM>`, a message that
 * says what to do, and an HTTP status where one applies.
 */
export class DtqError extends Error {
  /** Stable machine-readable code, DTQ_ERR_<AREA>_<PROBLEM>. */
  readonly code: string;
  /** HTTP status to answer with, when the error reaches an HTTP client. */
  readonly statusCode: number | undefined;
  /** What a user needs to act: ids, URLs, field names. Never secrets. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { statusCode?: number; context?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DtqError';
    this.code = code;
    this.statusCode = options.statusCode;
    this.context = options.context ?? {};
  }
}

/** One entry of an error catalogue. */
export interface ErrorDefinition {
  readonly code: string;
  readonly statusCode?: number;
  /** What went wrong and what to do about it; may use {placeholders} filled from context. */
  readonly message: string;
}

/** Build a DtqError from a catalogue entry, filling {placeholders} from the context. */
export function dtqError(
  definition: ErrorDefinition,
  context: Record<string, unknown> = {},
  cause?: unknown,
): DtqError {
  const message = definition.message.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in context ? String(context[key]) : whole,
  );
  return new DtqError(definition.code, message, {
    ...(definition.statusCode === undefined ? {} : { statusCode: definition.statusCode }),
    context,
    cause,
  });
}

/** The JSON body of every error answer over HTTP (the API's, its idempotency plugin's, nginx's). */
export interface ErrorBody {
  error: { code: string; message: string; correlation_id: string } & Record<string, unknown>;
}

/** The body sent for `error`: code, message, correlation id and the error's context (`reason` is in the message already). */
export function errorBody(error: DtqError, correlationId: string): ErrorBody {
  const { reason: _reason, ...context } = error.context;
  return { error: { ...context, code: error.code, message: error.message, correlation_id: correlationId } };
}
