/**
 * Bodies of what `npm run elk:setup` installs, built from the named files in elk/templates/
 * plus the mapping generated from the vocabulary. Each body carries `_meta.dtq_hash`, a hash of
 * its own content, so setup can compare what is installed with what it would install.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, envOptional } from '../contract/env.ts';
import type { ServerCapabilities } from './capabilities.ts';
import { logMappings } from './mapping.ts';

/** Name of the index template of a prefix. */
export function templateName(prefix: string): string {
  return prefix;
}

/** Name of the ILM policy of a prefix. */
export function policyName(prefix: string): string {
  return `${prefix}-policy`;
}

function loadTemplateFile(name: string, values: Record<string, string>): Record<string, unknown> {
  const raw = readFileSync(new URL(`./templates/${name}`, import.meta.url), 'utf8');
  const filled = raw.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
  return parse(filled) as Record<string, unknown>;
}

/** Stable hash of a JSON value (keys sorted), used as `_meta.dtq_hash`. */
export function contentHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex')
    .slice(0, 16);
}

function withHash<T extends { _meta?: Record<string, unknown> }>(body: T): T {
  const hash = contentHash(body);
  return { ...body, _meta: { ...body._meta, dtq_hash: hash } };
}

/** Replicas of a range (`0-1`, `1-all`): auto-expanded with the number of data nodes. */
const REPLICA_RANGE = /^\d+-(\d+|all)$/;

/**
 * Replicas of each log index (DTQ_ES_REPLICAS): a fixed count (`1`), or a range Elasticsearch
 * expands with the nodes it has (`0-1`, the default: none on one node, so it stays green; one
 * as soon as a second node joins, so losing a node loses no line).
 */
export function replicasSetting(env: NodeJS.ProcessEnv = process.env): string {
  const value = envOptional('DTQ_ES_REPLICAS', env) ?? DEFAULT_REPLICAS;
  if (!/^\d+$/.test(value) && !REPLICA_RANGE.test(value))
    throw new ConfigError('DTQ_ES_REPLICAS', value, 'a number of replicas (1) or a range (0-1, 1-all)');
  return value;
}

/** Replicas unless DTQ_ES_REPLICAS says otherwise. */
const DEFAULT_REPLICAS = '0-1';

/** The index template body for a prefix on a server with these capabilities. */
export function indexTemplateBody(
  prefix: string,
  capabilities: ServerCapabilities,
  replicas: string = DEFAULT_REPLICAS,
): Record<string, unknown> {
  const base = loadTemplateFile('logs.index-template.yaml', { prefix }) as {
    template: { settings: { index: Record<string, unknown> } };
    _meta?: Record<string, unknown>;
  };
  const settings = { ...base.template.settings.index };
  if (REPLICA_RANGE.test(replicas)) settings.auto_expand_replicas = replicas;
  else {
    settings.auto_expand_replicas = false;
    settings.number_of_replicas = Number(replicas);
  }
  if (capabilities.ilm) settings.lifecycle = { name: policyName(prefix) };
  return withHash({
    ...base,
    template: { ...base.template, settings: { index: settings }, mappings: logMappings(capabilities) },
  });
}

/** The ILM policy body (only installed when the server has ILM). */
export function ilmPolicyBody(retentionDays: number): { policy: Record<string, unknown> } {
  const { policy } = loadTemplateFile('logs.ilm-policy.yaml', { retentionDays: String(retentionDays) }) as {
    policy: { _meta?: Record<string, unknown> };
  };
  return { policy: withHash(policy) };
}
