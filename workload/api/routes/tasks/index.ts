/** HTTP side of tasks: POST /api/v1/tasks and GET /api/v1/tasks/:task_id. Rules live in the service. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { requestLog, spanOf } from '../../../../instrumentation/fastify.ts';
import { CREATE_TASK_SCHEMA, DESCRIBE_ONLY, GET_TASK_SCHEMA } from '../../openapi.ts';
import '../../request-context.ts';
import type { RequestContext, TaskService } from '../../services/task-service.ts';
import { TASKS_PATH } from '../../task-resource.ts';

/** Options of {@link taskRoutes}. */
export interface TaskRoutesOptions extends Record<string, unknown> {
  service: TaskService;
}

function contextOf(request: FastifyRequest): RequestContext {
  return {
    correlationId: request.id,
    log: requestLog(request),
    idempotency: request.idempotency,
    span: spanOf(request),
  };
}

/** Task creation and status routes. The service validates; the schemas describe (see openapi.ts). */
export const taskRoutes: FastifyPluginAsync<TaskRoutesOptions> = async (app, { service }) => {
  app.post(TASKS_PATH, { schema: CREATE_TASK_SCHEMA, ...DESCRIBE_ONLY }, async (request, reply) => {
    const created = await service.create(request.body, contextOf(request));
    request.dtqTaskId = created.task_id;
    return reply.status(202).header('location', `${TASKS_PATH}/${created.task_id}`).send(created);
  });

  app.get<{ Params: { task_id: string } }>(
    `${TASKS_PATH}/:task_id`,
    { schema: GET_TASK_SCHEMA, ...DESCRIBE_ONLY },
    async (request) => service.get(request.params.task_id, contextOf(request)),
  );
};
