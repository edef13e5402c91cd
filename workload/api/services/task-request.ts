/**
 * Parse the body of POST /api/v1/tasks: `{task_type, data, priority}`. Pure; throws a catalogue
 * error (400) naming the first field that is wrong and what was expected there.
 */
import { dtqError } from '../../../contract/dtq-error.ts';
import { PRIORITIES, type Priority, TASK_TYPES, type TaskType } from '../../../contract/vocabulary.ts';
import { isTaskType, validateTaskData } from '../../tasks/validate-task.ts';
import { API_ERRORS } from '../errors.ts';

/** A valid task creation request, defaults applied. */
export interface TaskRequest {
  taskType: TaskType;
  priority: Priority;
  data: Record<string, unknown>;
}

/** Priority of a request that names none. */
export const DEFAULT_PRIORITY: Priority = 'medium';

const BODY_FIELDS = ['task_type', 'data', 'priority'];
/** Longest piece of a client's value quoted back in an error message. */
const MAX_QUOTED_LENGTH = 64;

function invalid(field: string, expected: string): never {
  throw dtqError(API_ERRORS.INVALID_FIELD, { field, expected });
}

/** Validate a creation request; `allowFaults` admits `data.fault` (DTQ_FAULTS=1). */
export function parseTaskRequest(body: unknown, options: { allowFaults: boolean }): TaskRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    invalid('body', 'a JSON object with task_type, data and priority');
  }
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!BODY_FIELDS.includes(key)) {
      invalid(
        JSON.stringify(key.slice(0, MAX_QUOTED_LENGTH)),
        `no such field; allowed fields: ${BODY_FIELDS.join(', ')}`,
      );
    }
  }
  const taskType = fields.task_type;
  if (taskType === undefined) invalid('task_type', `one of ${TASK_TYPES.join(', ')} (the field is required)`);
  if (!isTaskType(taskType)) {
    throw dtqError(API_ERRORS.UNKNOWN_TASK_TYPE, {
      task_type: (JSON.stringify(taskType) ?? String(taskType)).slice(0, MAX_QUOTED_LENGTH),
      known: TASK_TYPES.join(', '),
      known_task_types: [...TASK_TYPES],
    });
  }
  // Only an absent priority takes the default; null is a wrong value like any other.
  const priority = fields.priority === undefined ? DEFAULT_PRIORITY : fields.priority;
  if (!(PRIORITIES as readonly unknown[]).includes(priority)) {
    invalid('priority', `one of ${PRIORITIES.join(', ')} (default ${DEFAULT_PRIORITY})`);
  }
  if (fields.data === undefined) invalid('data', `an object with the ${taskType} parameters (the field is required)`);
  const validation = validateTaskData(taskType, fields.data, { allowFaults: options.allowFaults });
  if (!validation.ok) invalid(validation.problem.field, validation.problem.expected);
  return { taskType, priority: priority as Priority, data: validation.data };
}
