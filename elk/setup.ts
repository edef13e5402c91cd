/**
 * `npm run elk:setup`: install what Elasticsearch (and, through extension steps, Kibana) needs,
 * idempotently. Setup is a list of named steps; each compares what is installed with what it
 * would install and writes only on a difference, so a second run reports every step unchanged.
 *
 * Other parts add steps without editing this file: a module listed in EXTENSION_MODULES that
 * exists is imported and its exported `setupSteps: SetupStep[]` run after the core steps (the
 * dashboards part uses this to import Kibana saved objects when DTQ_KIBANA_URL is set).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DtqError, dtqError } from '../contract/dtq-error.ts';
import { envInt } from '../contract/env.ts';
import { indexPrefix } from '../contract/indices.ts';
import { detectCapabilities, type ServerCapabilities } from './capabilities.ts';
import { assertReachable, EsClient } from './client.ts';
import { type EsConnection, esConnection, plainConnection } from './connection.ts';
import { ES_ERRORS } from './errors.ts';
import {
  contentHash,
  ilmPolicyBody,
  indexTemplateBody,
  policyName,
  replicasSetting,
  templateName,
} from './templates.ts';

/** What a step did. */
export type StepOutcome = 'created' | 'updated' | 'unchanged' | 'skipped';

/** Result of one step. */
export interface StepResult {
  step: string;
  outcome: StepOutcome;
  detail: string;
}

/** What every step gets. */
export interface SetupContext {
  client: EsClient;
  /** The nodes, as they may be printed. */
  url: string;
  /** Index prefix being set up (DTQ_ES_INDEX_PREFIX or an explicit one, e.g. a test's). */
  prefix: string;
  capabilities: ServerCapabilities;
  env: NodeJS.ProcessEnv;
  /** Say something the operator should know (a feature skipped, a fallback taken). */
  notice(line: string): void;
}

/** One named, idempotent setup step. */
export interface SetupStep {
  name: string;
  run(context: SetupContext): Promise<Omit<StepResult, 'step'>>;
}

/** Retention of log indices under ILM: DTQ_ES_RETENTION_DAYS, default 7. */
export function retentionDays(env: NodeJS.ProcessEnv = process.env): number {
  return envInt('DTQ_ES_RETENTION_DAYS', 7, { min: 1, max: 3650 }, env);
}

function installedHash(meta: unknown): string | undefined {
  const hash = (meta as { dtq_hash?: unknown } | undefined)?.dtq_hash;
  return typeof hash === 'string' ? hash : undefined;
}

/** The ILM policy, when the server has ILM. */
export const ilmPolicyStep: SetupStep = {
  name: 'ilm-policy',
  async run({ client, prefix, capabilities, env, notice }) {
    const name = policyName(prefix);
    if (!capabilities.ilm) {
      notice(`ILM is not available on this server (${capabilities.version}); indices are kept until deleted by hand.`);
      return { outcome: 'skipped', detail: `${name}: server has no ILM` };
    }
    const body = ilmPolicyBody(retentionDays(env));
    const existing = await client.request<Record<string, { policy?: { _meta?: unknown } }>>(
      'GET',
      `/_ilm/policy/${encodeURIComponent(name)}`,
      { ignore: [404] },
    );
    const current = existing?.[name];
    if (current !== undefined && installedHash(current.policy?._meta) === installedHash(body.policy._meta)) {
      return { outcome: 'unchanged', detail: name };
    }
    await client.request('PUT', `/_ilm/policy/${encodeURIComponent(name)}`, { body });
    return { outcome: current === undefined ? 'created' : 'updated', detail: name };
  },
};

/** The index template with the vocabulary mapping. */
export const indexTemplateStep: SetupStep = {
  name: 'index-template',
  async run({ client, prefix, capabilities, env, notice }) {
    const name = templateName(prefix);
    if (!capabilities.matchOnlyText) {
      notice('match_only_text is not available (no mapper-extras module); message is mapped as text without norms.');
    }
    const body = indexTemplateBody(prefix, capabilities, replicasSetting(env));
    const existing = await client.request<{
      index_templates?: { name: string; index_template: { _meta?: unknown } }[];
    }>('GET', `/_index_template/${encodeURIComponent(name)}`, { ignore: [404] });
    const current = existing?.index_templates?.find((entry) => entry.name === name)?.index_template;
    if (current !== undefined && installedHash(current._meta) === installedHash(body._meta)) {
      return { outcome: 'unchanged', detail: name };
    }
    await client.request('PUT', `/_index_template/${encodeURIComponent(name)}`, { body });
    return { outcome: current === undefined ? 'created' : 'updated', detail: `${name} (${contentHash(body)})` };
  },
};

/** Steps of this part, in order: the policy must exist before a template names it. */
export const CORE_STEPS: readonly SetupStep[] = [ilmPolicyStep, indexTemplateStep];

/** Modules of other parts that contribute steps (`export const setupSteps: SetupStep[]`). */
export const EXTENSION_MODULES: readonly string[] = ['../dashboards/setup-step.ts'];

/** Core steps followed by every extension module's steps that exists. */
export async function loadSetupSteps(): Promise<SetupStep[]> {
  const steps = [...CORE_STEPS];
  for (const relative of EXTENSION_MODULES) {
    const url = new URL(relative, import.meta.url);
    if (!existsSync(fileURLToPath(url))) continue;
    const module = (await import(url.href)) as { setupSteps?: SetupStep[] };
    steps.push(...(module.setupSteps ?? []));
  }
  return steps;
}

/** Options of {@link runSetup}. */
export interface SetupOptions {
  /** The cluster; default `url`, else esConnection(env). */
  connection?: EsConnection;
  /** Node URL(s) of a cluster without credentials (tests, local nodes); `connection` wins. */
  url?: string;
  prefix?: string;
  /** Steps to run; default {@link loadSetupSteps}(). */
  steps?: readonly SetupStep[];
  env?: NodeJS.ProcessEnv;
  notice?: (line: string) => void;
  /** Aborts the setup's requests (a shipper stopping while Elasticsearch does not answer). */
  signal?: AbortSignal;
}

/** Run the setup steps in order against one cluster; stops at the first failing step. */
export async function runSetup(options: SetupOptions = {}): Promise<StepResult[]> {
  const env = options.env ?? process.env;
  const connection =
    options.connection ?? (options.url === undefined ? esConnection(env) : plainConnection(options.url));
  const client = new EsClient(connection, options.signal ? { signal: options.signal } : {});
  try {
    await assertReachable(client);
    const context: SetupContext = {
      client,
      url: client.url,
      prefix: options.prefix ?? indexPrefix(env),
      capabilities: await detectCapabilities(client),
      env,
      notice: options.notice ?? (() => {}),
    };
    const results: StepResult[] = [];
    for (const step of options.steps ?? (await loadSetupSteps())) {
      try {
        results.push({ step: step.name, ...(await step.run(context)) });
      } catch (error) {
        // Credentials and TLS errors already say what to do; anything else is this step's failure.
        if (
          error instanceof DtqError &&
          error.code !== ES_ERRORS.SETUP_FAILED.code &&
          error.code.startsWith('DTQ_ERR_ES_')
        )
          throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw dtqError(ES_ERRORS.SETUP_FAILED, { step: step.name, url: client.url, reason }, error);
      }
    }
    return results;
  } finally {
    client.close();
  }
}
