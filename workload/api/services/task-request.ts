/**
 * Parse the body of POST /api/v1/tasks: `{task_type, data, priority}`. Pure; throws a catalogue
 * error (400) naming the first field that is wrong and what was expected there.
 */
import { dtqError } from '../../../contract/dtq-error.ts';
import { PRIORITIES, type Priority, TASK_TYPES, type TaskType } from '../../../contract/vocabulary.ts';
import { quoteValue } from '../../common/quote.ts';
import { checkComputable } from '../../tasks/computable.ts';
import { isTaskType, validateTaskData } from '../../tasks/validate-task.ts';
import { workBudgetVariable, workCost } from '../../tasks/work-cost.ts';
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

/** Options of {@link parseTaskRequest}. */
export interface ParseTaskOptions {
  /** Admit `data.fault` (DTQ_FAULTS=1). */
  allowFaults: boolean;
  /** Most steps a task of each type may cost (see workload/tasks/work-cost.ts); unlimited when absent. */
  workBudgets?: Readonly<Record<TaskType, number>>;
}

function invalid(field: string, expected: string): never {
  throw dtqError(API_ERRORS.INVALID_FIELD, { field, expected });
}

function describeValue(value: unknown): string {
  return typeof value === 'string'
    ? quoteValue(value)
    : `a JSON ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`;
}

/**
 * Validate a creation request: the body's fields, the task's data against its schema, that
 * the data can be computed (workload/tasks/computable.ts), and its cost against the budget.
 */
export function parseTaskRequest(body: unknown, options: ParseTaskOptions): TaskRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    invalid('body', 'a JSON object with task_type, data and priority');
  }
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!BODY_FIELDS.includes(key)) {
      invalid(quoteValue(key), `no such field; allowed fields: ${BODY_FIELDS.join(', ')}`);
    }
  }
  const taskType = fields.task_type;
  if (taskType === undefined) invalid('task_type', `one of ${TASK_TYPES.join(', ')} (the field is required)`);
  if (!isTaskType(taskType)) {
    throw dtqError(API_ERRORS.UNKNOWN_TASK_TYPE, {
      task_type: describeValue(taskType),
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
  const data = validation.data;
  // The budget first: the computability check factorises correlation matrices.
  const budget = options.workBudgets?.[taskType];
  if (budget !== undefined) {
    const cost = workCost(taskType, data);
    if (cost > budget) {
      throw dtqError(API_ERRORS.WORK_BUDGET_EXCEEDED, {
        task_type: taskType,
        cost,
        budget,
        variable: workBudgetVariable(taskType),
        cost_text: cost.toLocaleString('en-US'),
        budget_text: budget.toLocaleString('en-US'),
      });
    }
  }
  const problem = checkComputable(taskType, data);
  if (problem !== undefined) invalid(problem.field, problem.expected);
  return { taskType, priority: priority as Priority, data };
}
