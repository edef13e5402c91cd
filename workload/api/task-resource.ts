/**
 * The task resource as seen from outside: its path and the form of a task id. Shared by the
 * routes, the service and nginx's access log (which reads task ids from paths and Location).
 */

/** Where tasks live: POST here, GET `<TASKS_PATH>/:task_id`. */
export const TASKS_PATH = '/api/v1/tasks';

/** Accepted task ids: what newTaskId() and idempotency claims produce, never a ':' (BullMQ). */
export const TASK_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
