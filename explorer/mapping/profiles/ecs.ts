/**
 * The `ecs` profile: Elastic Common Schema lines as `@elastic/ecs-pino-format` and Python's
 * `ecs-logging` write them (dotted keys or nested objects). ECS names most HTTP fields as the
 * contract does; the ids and the roles differ: `trace.id` (the APM trace, which follows the
 * job when the agent propagates it) is the correlation id, `service.name` is the product name
 * and `service.node.name` the process. `trace.id` is also read as itself (the contract's W3C
 * trace id), and a service's span of a request is its APM transaction: `transaction.id` is read
 * as the contract's `span.id` (a line written inside a sub-span carries that sub-span's
 * `span.id` too, which would split one request in two), falling back to `span.id`.
 */
import type { MappingSpec } from '../spec.ts';

/** ECS field names onto the contract. */
export const ecsProfile: MappingSpec = {
  name: 'ecs',
  fields: {
    correlation_id: ['trace.id', 'correlation_id', 'http.request.id'],
    task_id: ['task_id', 'task.id', 'labels.task_id'],
    'span.id': ['transaction.id', 'span.id'],
    'service.instance': ['service.node.name', 'service.instance', 'host.hostname', 'service.name'],
    'event.action': ['event.action', 'labels.event_action'],
  },
  unknownServices: 'by-event',
};
