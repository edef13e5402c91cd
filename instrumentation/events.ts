/**
 * Writing one vocabulary event on a pino logger. Kept apart from logger.ts (which builds the
 * process's logger and its Elasticsearch stream) so the Fastify and BullMQ helpers need pino
 * alone, whoever built the logger they are given.
 */
import type { BaseLogger } from 'pino';
import { type EventName, F, type FieldName } from '../contract/vocabulary.ts';

/** The vocabulary, for a service's own events and fields beside the instrumentation's. */
export { EVENTS, type EventName, F, type FieldName } from '../contract/vocabulary.ts';

/** Fields a log call may carry: vocabulary names only, so nobody spells a field by hand. */
export type EventFields = Partial<Record<FieldName, unknown>>;

/** Levels an event line can have. */
export type EventLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Log one vocabulary event at a level, with its fields and a message. */
export function logEvent(
  logger: Pick<BaseLogger, EventLevel>,
  level: EventLevel,
  action: EventName,
  fields: EventFields,
  message: string,
): void {
  logger[level]({ [F.EVENT_ACTION]: action, ...fields }, message);
}

/** The error.* fields for an error (code when it is a DtqError-like error). */
export function errorFields(error: unknown): EventFields {
  if (!(error instanceof Error)) return { [F.ERROR_MESSAGE]: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    [F.ERROR_TYPE]: error.name,
    [F.ERROR_MESSAGE]: error.message,
    ...(typeof code === 'string' ? { [F.ERROR_CODE]: code } : {}),
  };
}
