import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultInstance, hostName } from '../../contract/host.ts';
import { apiConfigFromEnv } from '../../workload/api/config.ts';
import { loadWorkerConfig } from '../../workload/worker/config.ts';

describe('host name', () => {
  it("is DTQ_HOST_NAME when set, else the operating system's", () => {
    expect(hostName({ DTQ_HOST_NAME: 'web-3.eu.example' })).toBe('web-3.eu.example');
    expect(hostName({})).toBe(hostname());
    expect(hostName({ DTQ_HOST_NAME: '' })).toBe(hostname());
  });

  it('refuses a DTQ_HOST_NAME that is not a host name, saying what it should be', () => {
    for (const bad of ['a b', '../etc', 'x/y', '-lead', 'trail.', 'q"uote', 'a'.repeat(254)]) {
      expect(() => hostName({ DTQ_HOST_NAME: bad })).toThrow(
        expect.objectContaining({ code: 'DTQ_ERR_CONFIG_INVALID', message: expect.stringContaining('DTQ_HOST_NAME') }),
      );
    }
  });
});

describe('default instance names', () => {
  it('include the host, so the same default on two hosts names two processes', () => {
    expect(defaultInstance('api-1', { DTQ_HOST_NAME: 'web-3' })).toBe('api-1@web-3');
    expect(defaultInstance('api-1', { DTQ_HOST_NAME: 'web-4' })).not.toBe(
      defaultInstance('api-1', { DTQ_HOST_NAME: 'web-3' }),
    );
    expect(defaultInstance('worker-1', {})).toBe(`worker-1@${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}`);
  });

  it('are the API and worker defaults, and an explicit DTQ_INSTANCE is kept as it is', () => {
    expect(apiConfigFromEnv({ DTQ_HOST_NAME: 'web-3' }).instance).toBe('api-1@web-3');
    expect(loadWorkerConfig({ DTQ_HOST_NAME: 'web-3' }).instance).toBe('worker-1@web-3');
    expect(apiConfigFromEnv({ DTQ_HOST_NAME: 'web-3', DTQ_INSTANCE: 'api-2' }).instance).toBe('api-2');
    expect(loadWorkerConfig({ DTQ_INSTANCE: 'worker-7' }).instance).toBe('worker-7');
  });
});
