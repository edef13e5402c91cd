/**
 * DTQ_ES_REPLICAS in the index template: the default expands from none on one node to one on
 * two or more; a range replaces the expansion, a number fixes the count and turns it off, and
 * anything else is refused with the variable's name.
 */
import { describe, expect, it } from 'vitest';
import { indexTemplateBody, replicasSetting } from '../../elk/templates.ts';

const capabilities = { matchOnlyText: true, ilm: false, version: '8.19.9' };
const settingsOf = (replicas?: string) =>
  (
    indexTemplateBody('dtq-logs', capabilities, replicas) as {
      template: { settings: { index: Record<string, unknown> } };
    }
  ).template.settings.index;

describe('replicas of the log indices', () => {
  it('expands from 0 to 1 replica by default, on one primary shard', () => {
    expect(replicasSetting({})).toBe('0-1');
    expect(settingsOf()).toMatchObject({ number_of_shards: 1, auto_expand_replicas: '0-1' });
    expect(settingsOf()).not.toHaveProperty('number_of_replicas');
  });

  it('takes a range as the expansion and a number as a fixed count', () => {
    expect(settingsOf(replicasSetting({ DTQ_ES_REPLICAS: '1-all' }))).toMatchObject({ auto_expand_replicas: '1-all' });
    expect(settingsOf(replicasSetting({ DTQ_ES_REPLICAS: '2' }))).toMatchObject({
      auto_expand_replicas: false,
      number_of_replicas: 2,
    });
  });

  it('refuses anything else, naming the variable', () => {
    for (const value of ['two', '-1', '1-', 'all'])
      expect(() => replicasSetting({ DTQ_ES_REPLICAS: value })).toThrow(/DTQ_ES_REPLICAS/);
  });

  it('changes the template hash, so setup puts the new setting in place', () => {
    const hash = (replicas: string) =>
      (indexTemplateBody('p', capabilities, replicas) as { _meta: { dtq_hash: string } })._meta.dtq_hash;
    expect(hash('0-1')).not.toBe(hash('2'));
  });
});
