/**
 * Contract lines rewritten in the formats the `ecs` and `otel` profiles read, for the explorer
 * benchmark's profile rows: the same trace, three formats, so the rows measure the mapping
 * step alone. ECS as `@elastic/ecs-pino-format` writes it (dotted keys, `http`/`url` nested,
 * `trace.id`, `service.node.name`); OTLP JSON as the Collector's file exporter writes it (one
 * export of up to `perLine` records per line, per process).
 */
import { F, type LogRecord } from '../contract/vocabulary.ts';

/** One contract line as an ECS line. */
export function toEcs(record: LogRecord): LogRecord {
  const out: LogRecord = {};
  const request: Record<string, unknown> = {};
  const response: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === F.CORRELATION_ID) out['trace.id'] = value;
    else if (key === F.SERVICE_NAME) out['service.name'] = `shop-${String(value)}`;
    else if (key === F.SERVICE_INSTANCE) out['service.node.name'] = value;
    else if (key === F.HTTP_METHOD) request.method = value;
    else if (key === F.HTTP_STATUS) response.status_code = value;
    else if (key === F.URL_PATH) out.url = { path: value };
    else out[key] = value;
  }
  if (request.method !== undefined || response.status_code !== undefined)
    out.http = {
      ...(request.method !== undefined ? { request } : {}),
      ...(response.status_code !== undefined ? { response } : {}),
    };
  out['ecs.version'] = '8.10.0';
  return out;
}

function anyValue(value: unknown): Record<string, unknown> {
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return { stringValue: String(value) };
}

/** Contract lines as OTLP JSON export lines, grouped by process, `perLine` records a line. */
export function toOtlpLines(records: readonly LogRecord[], perLine = 50): string[] {
  const byInstance = new Map<string, LogRecord[]>();
  for (const record of records) {
    const instance = String(record[F.SERVICE_INSTANCE] ?? record[F.SERVICE_NAME]);
    const list = byInstance.get(instance);
    if (list) list.push(record);
    else byInstance.set(instance, [record]);
  }
  const lines: string[] = [];
  for (const [instance, list] of byInstance) {
    for (let i = 0; i < list.length; i += perLine) {
      const logRecords = list.slice(i, i + perLine).map((record) => {
        const attributes: unknown[] = [];
        for (const [key, value] of Object.entries(record)) {
          if (key === F.TIMESTAMP || key === F.CORRELATION_ID || key === F.SERVICE_NAME || key === F.SERVICE_INSTANCE)
            continue;
          attributes.push({ key: key === F.EVENT_ACTION ? 'event.name' : key, value: anyValue(value) });
        }
        const ms = Date.parse(String(record[F.TIMESTAMP]));
        return {
          timeUnixNano: `${ms}000000`,
          observedTimeUnixNano: `${ms}000000`,
          severityNumber: 9,
          severityText: 'INFO',
          body: { stringValue: String(record[F.MESSAGE] ?? '') },
          attributes,
          traceId: record[F.CORRELATION_ID],
        };
      });
      const resource = {
        attributes: [
          { key: 'service.name', value: { stringValue: `shop-${String(list[0]?.[F.SERVICE_NAME])}` } },
          { key: 'service.instance.id', value: { stringValue: instance } },
        ],
      };
      lines.push(
        JSON.stringify({ resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'shop' }, logRecords }] }] }),
      );
    }
  }
  return lines;
}
