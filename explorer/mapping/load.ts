/**
 * Which mapping a run uses: `--mapping FILE` (YAML, optionally extending a profile), else
 * `--profile NAME`, else DTQ_EXPLORE_MAPPING / DTQ_EXPLORE_PROFILE, else `dtq`. The YAML parser
 * loads only when a file is given, so the default costs no start-up time.
 */
import { readFileSync } from 'node:fs';
import { dtqError } from '../../contract/dtq-error.ts';
import { EXPLORE_ERRORS } from '../errors.ts';
import { CONTRACT_EVENTS } from '../model/fields.ts';
import { compileMapping, type Mapping } from './mapping.ts';
import { dtqProfile } from './profiles/dtq.ts';
import { ecsProfile } from './profiles/ecs.ts';
import { otelProfile } from './profiles/otel.ts';
import { type MappingSpec, ROLES, type Role } from './spec.ts';

/** The built-in profiles by name. */
export const PROFILES: Readonly<Record<string, MappingSpec>> = { dtq: dtqProfile, ecs: ecsProfile, otel: otelProfile };

/** What chooses the mapping: the options, with the environment behind them. */
export interface MappingChoice {
  readonly profile?: string | undefined;
  readonly mappingFile?: string | undefined;
}

function profileSpec(name: string): MappingSpec {
  const spec = PROFILES[name];
  if (spec === undefined)
    throw dtqError(EXPLORE_ERRORS.UNKNOWN_PROFILE, { name, known: Object.keys(PROFILES).join(', ') });
  return spec;
}

/** The mapping a run uses (see the module comment for the order). */
export async function chooseMapping(choice: MappingChoice, env: NodeJS.ProcessEnv = process.env): Promise<Mapping> {
  const file = choice.mappingFile ?? (env.DTQ_EXPLORE_MAPPING || undefined);
  const profile = choice.profile ?? (env.DTQ_EXPLORE_PROFILE || undefined);
  if (file === undefined) return compileMapping(profileSpec(profile ?? 'dtq'));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw dtqError(EXPLORE_ERRORS.BAD_MAPPING, { file, problem: `it cannot be read (${(error as Error).message})` });
  }
  // yaml is CommonJS: bundled, a dynamic import gives its exports as `default`.
  const yaml = (await import('yaml')) as typeof import('yaml') & { default?: typeof import('yaml') };
  const parse = yaml.default?.parse ?? yaml.parse;
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw dtqError(EXPLORE_ERRORS.BAD_MAPPING, { file, problem: `it is not YAML (${(error as Error).message})` });
  }
  return compileMapping(parseMappingSpec(value, file, profile));
}

const KEYS = new Set([
  'name',
  'extends',
  'lines',
  'fields',
  'services',
  'unknownServices',
  'events',
  'messages',
  'statusRoute',
]);

/**
 * A user mapping file's content as a spec, merged over the profile it `extends` (else the
 * `--profile` given, else `dtq`); DTQ_ERR_EXPLORE_BAD_MAPPING names the first problem.
 */
export function parseMappingSpec(value: unknown, file: string, profile?: string): MappingSpec {
  const bad = (problem: string): never => {
    throw dtqError(EXPLORE_ERRORS.BAD_MAPPING, { file, problem });
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return bad('it must be a YAML mapping of keys');
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v))
    if (!KEYS.has(key)) bad(`"${key}" is not a key of a mapping (${[...KEYS].join(', ')})`);
  const strings = (key: string): Record<string, string> | undefined => {
    const m = v[key];
    if (m === undefined || m === null) return undefined;
    if (typeof m !== 'object' || Array.isArray(m)) return bad(`"${key}" must map names to names`);
    for (const [k, item] of Object.entries(m)) if (typeof item !== 'string') bad(`${key}.${k} must be a string`);
    return m as Record<string, string>;
  };
  const base = profileSpec(typeof v.extends === 'string' ? v.extends : (profile ?? 'dtq'));
  if (v.extends !== undefined && typeof v.extends !== 'string') bad('"extends" must name a profile');

  const fields: Record<string, string | readonly string[]> = { ...base.fields };
  if (v.fields !== undefined && v.fields !== null) {
    if (typeof v.fields !== 'object' || Array.isArray(v.fields))
      bad('"fields" must map contract fields to your fields');
    for (const [k, from] of Object.entries(v.fields as Record<string, unknown>)) {
      const list = typeof from === 'string' ? [from] : from;
      if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string'))
        bad(`fields.${k} must be a field name or a list of them`);
      fields[k] = list as string[];
    }
  }
  const services = strings('services');
  for (const [name, role] of Object.entries(services ?? {}))
    if (!(ROLES as readonly string[]).includes(role))
      bad(`services.${name}: "${role}" is not a role (${ROLES.join(', ')})`);
  const events = strings('events');
  for (const [name, event] of Object.entries(events ?? {}))
    if (!CONTRACT_EVENTS.has(event))
      bad(`events.${name}: "${event}" is not an event of the log contract (docs/log-contract.md)`);
  const messages: { match: string; event: string }[] = [];
  if (v.messages !== undefined && v.messages !== null) {
    if (!Array.isArray(v.messages)) bad('"messages" must be a list of { match, event }');
    for (const [i, item] of (v.messages as unknown[]).entries()) {
      const m = item as { match?: unknown; event?: unknown };
      if (typeof m?.match !== 'string' || typeof m.event !== 'string') bad(`messages[${i}] needs match and event`);
      try {
        new RegExp(m.match as string);
      } catch (error) {
        bad(`messages[${i}].match is not a regular expression (${(error as Error).message})`);
      }
      if (!CONTRACT_EVENTS.has(m.event as string))
        bad(`messages[${i}].event: "${m.event}" is not an event of the log contract`);
      messages.push({ match: m.match as string, event: m.event as string });
    }
  }
  const route = v.statusRoute;
  if (route !== undefined && (typeof route !== 'string' || !route.startsWith('/') || !route.includes(':task_id')))
    bad('"statusRoute" must be a path with a :task_id segment, like /v2/jobs/:task_id');
  if (v.lines !== undefined && v.lines !== 'record' && v.lines !== 'otlp') bad('"lines" must be record or otlp');
  if (v.unknownServices !== undefined && v.unknownServices !== 'by-event' && v.unknownServices !== 'as-is')
    bad('"unknownServices" must be by-event or as-is');
  return {
    ...base,
    name: typeof v.name === 'string' ? v.name : file,
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
    ...(services || base.services
      ? { services: { ...base.services, ...(services as Record<string, Role> | undefined) } }
      : {}),
    ...(events || base.events ? { events: { ...base.events, ...events } } : {}),
    ...(messages.length > 0 || base.messages ? { messages: [...(base.messages ?? []), ...messages] } : {}),
    ...(typeof route === 'string' ? { statusRoute: route } : {}),
    ...(v.lines !== undefined ? { lines: v.lines as 'record' | 'otlp' } : {}),
    ...(v.unknownServices !== undefined ? { unknownServices: v.unknownServices as 'by-event' | 'as-is' } : {}),
  };
}
