/**
 * A mapping profile as data: how one logging format's lines become contract lines
 * (docs/log-contract.md). Built-in profiles (profiles/*.ts) and user mapping files (YAML)
 * share this shape, in the spirit of lnav's format definitions: they name fields, values and
 * patterns; they hold no code.
 */

/** What a service is to the explorer: `service.name` in a contract line. */
export type Role = 'nginx' | 'api' | 'worker' | 'other';

/** Every role a mapping may name. */
export const ROLES: readonly Role[] = ['nginx', 'api', 'worker', 'other'];

/** A message pattern: lines whose text matches become `event`; named groups become fields. */
export interface MessagePattern {
  /** A JavaScript regular expression; `(?<task_id>…)` sets the contract field `task_id`. */
  readonly match: string;
  /** The contract event the line becomes. */
  readonly event: string;
}

/** One mapping, as a profile file or a user's YAML declares it. */
export interface MappingSpec {
  /** The profile's name, shown in the trace's source description. */
  readonly name: string;
  /**
   * How a physical line holds records: `record`, one log record per line (nested objects and
   * dotted keys both read); `otlp`, one OTLP JSON export (resourceLogs → scopeLogs →
   * logRecords) per line, as the OpenTelemetry Collector's file exporter writes.
   */
  readonly lines?: 'record' | 'otlp';
  /**
   * Contract field ← the foreign field(s) holding it, first present wins. A contract field not
   * named here is read under its own name. `@timestamp` may hold an ISO string, epoch
   * milliseconds, or epoch nanoseconds (a 19-digit number or string).
   */
  readonly fields?: Readonly<Record<string, string | readonly string[]>>;
  /** Foreign service name (the value read for `service.name`) → role. */
  readonly services?: Readonly<Record<string, Role>>;
  /**
   * What a service that `services` does not name becomes: `by-event`, the role its line's
   * event implies (nginx.access → nginx, HTTP and enqueue events → api, other task events →
   * worker); `as-is`, its name unchanged (a contract role or nothing special).
   */
  readonly unknownServices?: 'by-event' | 'as-is';
  /** Foreign event value (read for `event.action`) → contract event. */
  readonly events?: Readonly<Record<string, string>>;
  /** For logs that only have text: patterns tried on `message` when no event was found. */
  readonly messages?: readonly MessagePattern[];
  /** The status-poll route, `:task_id` standing for the polled task (default `/api/v1/tasks/:task_id`). */
  readonly statusRoute?: string;
}
