import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_STEPS, runSetup, type SetupStep } from '../../elk/setup.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';

describe('npm run elk:setup', () => {
  const prefix = uniqueIndexPrefix();
  let url = '';

  beforeAll(async () => {
    ({ url } = await testElasticsearch());
  });
  afterAll(async () => {
    await deleteIndicesWithPrefix(url, prefix);
  });

  const installedTemplate = async (): Promise<unknown> => {
    const response = await fetch(`${url}/_index_template/${prefix}`);
    expect(response.status).toBe(200);
    return response.json();
  };

  it('installs the template once and changes nothing when run again', async () => {
    const notices: string[] = [];
    const first = await runSetup({ url, prefix, steps: CORE_STEPS, notice: (line) => notices.push(line) });
    expect(first.find((r) => r.step === 'index-template')?.outcome).toBe('created');
    const before = await installedTemplate();

    const second = await runSetup({ url, prefix, steps: CORE_STEPS });
    expect(second.map((r) => r.outcome)).not.toContain('created');
    expect(second.map((r) => r.outcome)).not.toContain('updated');
    expect(await installedTemplate()).toEqual(before);
    // The Maven node lacks ILM and mapper-extras: setup says so instead of failing.
    expect(notices.join('\n')).toMatch(/ILM is not available/);
    expect(notices.join('\n')).toMatch(/match_only_text is not available/);
  });

  it('puts back a template someone changed by hand', async () => {
    await runSetup({ url, prefix, steps: CORE_STEPS });
    const response = await fetch(`${url}/_index_template/${prefix}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ index_patterns: [`${prefix}-*`], template: { settings: { number_of_shards: 2 } } }),
    });
    expect(response.status).toBe(200);
    const results = await runSetup({ url, prefix, steps: CORE_STEPS });
    expect(results.find((r) => r.step === 'index-template')?.outcome).toBe('updated');
    const body = (await installedTemplate()) as {
      index_templates: { index_template: { template: { settings: { index: { number_of_shards: string } } } } }[];
    };
    expect(body.index_templates[0]?.index_template.template.settings.index.number_of_shards).toBe('1');
  });

  it('runs extension steps after the core ones with the detected capabilities', async () => {
    const seen: string[] = [];
    const extension: SetupStep = {
      name: 'kibana-objects',
      async run(context) {
        seen.push(`${context.prefix} ilm=${context.capabilities.ilm}`);
        return { outcome: 'skipped', detail: 'DTQ_KIBANA_URL not set' };
      },
    };
    const results = await runSetup({ url, prefix, steps: [...CORE_STEPS, extension] });
    expect(results.map((r) => r.step)).toEqual(['ilm-policy', 'index-template', 'kibana-objects']);
    expect(seen).toEqual([`${prefix} ilm=false`]);
  });
});
