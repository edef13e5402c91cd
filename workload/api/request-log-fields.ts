/**
 * What the API adds to the request lines of the Fastify instrumentation
 * (instrumentation/fastify.ts): the task a request is about, and the catalogue error it was
 * answered with.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DtqError } from '../../contract/dtq-error.ts';
import { F } from '../../contract/vocabulary.ts';
import type { EventFields } from '../../instrumentation/events.ts';
import { errorFields } from '../../instrumentation/events.ts';
import type { FastifyInstrumentationOptions } from '../../instrumentation/fastify.ts';
import { API_ERRORS } from './errors.ts';
import './request-context.ts';
import { TASK_ID_PATTERN } from './task-resource.ts';

/**
 * A status poll is a line about its task: carrying the task id lets a trace fetched by task id
 * find the poll's request lines (and their status), as nginx's access line already does.
 */
export function taskIdFields(request: FastifyRequest): EventFields {
  const taskId = (request.params as { task_id?: unknown } | undefined)?.task_id;
  return typeof taskId === 'string' && TASK_ID_PATTERN.test(taskId) ? { [F.TASK_ID]: taskId } : {};
}

/** The completion line's task id (of a task the request created) and the error the client was answered with. */
export function answerFields(request: FastifyRequest, _reply: FastifyReply): EventFields {
  const fields: EventFields = request.dtqTaskId === undefined ? {} : { [F.TASK_ID]: request.dtqTaskId };
  const answered = request.dtqError;
  if (answered === undefined) return fields;
  Object.assign(fields, errorFields(answered));
  const cause = answered.cause;
  // The client's message hides internals; the operator's line names what really failed
  // (a Redis timeout and a refused connection both answer DTQ_ERR_API_REDIS_UNAVAILABLE).
  if (cause instanceof DtqError) fields[F.ERROR_MESSAGE] = `${answered.message} Cause: ${cause.code}: ${cause.message}`;
  // An unexpected failure is only diagnosable with the original stack.
  if (answered.code === API_ERRORS.INTERNAL.code && cause instanceof Error) fields[F.ERROR_STACK] = cause.stack;
  return fields;
}

/** The API's additions to the Fastify instrumentation. */
export const API_REQUEST_FIELDS: Pick<FastifyInstrumentationOptions, 'requestFields' | 'completedFields'> = {
  requestFields: taskIdFields,
  completedFields: answerFields,
};
