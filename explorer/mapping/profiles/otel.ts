/**
 * The `otel` profile: OpenTelemetry log records as the Collector's file exporter writes OTLP
 * JSON, one export (many records) per line. A record's resource and record attributes become
 * fields under their own names (semantic conventions name HTTP fields as the contract does),
 * and `timeUnixNano`, `body`, `traceId` and `spanId` are read as below. `traceId` is both the
 * correlation id and the contract's W3C `trace.id`; `spanId` is not read as `span.id`: a record
 * written inside a child span (a producer's send) carries the child's id, which would split
 * one request in two, so requests are grouped as lines without span ids are.
 */
import type { MappingSpec } from '../spec.ts';

/** OTLP log records onto the contract. */
export const otelProfile: MappingSpec = {
  name: 'otel',
  lines: 'otlp',
  fields: {
    '@timestamp': ['timeUnixNano', 'observedTimeUnixNano'],
    correlation_id: ['traceId', 'correlation_id'],
    'trace.id': ['traceId', 'trace.id'],
    task_id: ['task_id', 'task.id', 'celery.task_id', 'messaging.message.id'],
    'service.instance': ['service.instance.id', 'host.name', 'service.name'],
    'event.action': ['event.action', 'event.name', 'eventName'],
    message: ['body'],
    'log.level': ['severityText'],
  },
  unknownServices: 'by-event',
};
