/**
 * Contract lines rewritten in the formats the `ecs` and `otel` profiles read, for the profile
 * benchmarks: the same trace, three formats, so the rows measure the mapping step alone. ECS
 * as `@elastic/ecs-pino-format` writes it (dotted keys, `http`/`url` nested, `trace.id`,
 * `service.node.name`); OTLP JSON as the Collector's file exporter writes it (one export of up
 * to `perLine` records per line, per process).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { F, type LogRecord } from '../contract/vocabulary.ts';
import { LogWriter } from '../test/explorer/fixtures.ts';

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

/** The profiles raced, `dtq` (contract lines, no mapping step) first: the baseline. */
export const PROFILES = ['dtq', 'ecs', 'otel'] as const;

/** A profile's name. */
export type Profile = (typeof PROFILES)[number];

/** The request with 10,000 lines: a client polling its task for a long time under one id. */
export function chattyRequest(base: number, cid: string): LogWriter {
  const chatty = new LogWriter(base);
  chatty.post({ ms: 0, cid, taskId: `${cid}-task` });
  chatty.attempt({ ms: 10, cid, taskId: `${cid}-task`, worker: 'worker-1', attempt: 1, durationMs: 60_000 });
  for (let i = 0; chatty.records.length < 10_000; i++) chatty.poll(20 + i * 10, cid, `${cid}-task`);
  return chatty;
}

/**
 * One request's lines in each profile's format, one directory per profile under `root`:
 * contract lines one file per process, ECS lines and OTLP exports in one file each.
 */
export function writeProfileDirs(root: string, writer: LogWriter): Record<Profile, string> {
  const dirs = { dtq: join(root, 'dtq'), ecs: join(root, 'ecs'), otel: join(root, 'otel') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  for (const [name, text] of writer.files()) writeFileSync(join(dirs.dtq, name), text);
  writeFileSync(join(dirs.ecs, 'all.ndjson'), writer.records.map((r) => `${JSON.stringify(toEcs(r))}\n`).join(''));
  writeFileSync(
    join(dirs.otel, 'all.ndjson'),
    toOtlpLines(writer.records)
      .map((line) => `${line}\n`)
      .join(''),
  );
  return dirs;
}
