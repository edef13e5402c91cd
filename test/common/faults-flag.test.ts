/** DTQ_FAULTS reads the same way in the API and the worker: contract/env.ts's flag rules. */
import { describe, expect, it } from 'vitest';
import { apiConfigFromEnv } from '../../workload/api/config.ts';
import { loadWorkerConfig } from '../../workload/worker/config.ts';

const configs = [
  ['api', (env: NodeJS.ProcessEnv) => apiConfigFromEnv(env).faults],
  ['worker', (env: NodeJS.ProcessEnv) => loadWorkerConfig(env).faults],
] as const;

describe.each(configs)('DTQ_FAULTS in the %s configuration', (_name, faults) => {
  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    ['0', false],
    ['false', false],
    ['', false],
  ])('reads %j as %s', (value, expected) => {
    expect(faults({ DTQ_FAULTS: value })).toBe(expected);
  });

  it('is off when unset', () => {
    expect(faults({})).toBe(false);
  });

  it('refuses other words with DTQ_ERR_CONFIG_INVALID, naming the variable', () => {
    expect(() => faults({ DTQ_FAULTS: 'yes' })).toThrow(expect.objectContaining({ code: 'DTQ_ERR_CONFIG_INVALID' }));
    expect(() => faults({ DTQ_FAULTS: 'yes' })).toThrow(/DTQ_FAULTS="yes" is not valid/);
  });
});
