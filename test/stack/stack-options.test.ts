import { describe, expect, it } from 'vitest';
import { resolveStackOptions } from '../../workload/stack/stack.ts';

describe('resolveStackOptions', () => {
  it('reads every default from the environment', () => {
    const options = resolveStackOptions(
      {},
      {
        DTQ_VAR_DIR: '/tmp/v',
        DTQ_HTTP_PORT: '9090',
        DTQ_STACK_APIS: '2',
        DTQ_STACK_WORKERS: '5',
        DTQ_FAULTS: '1',
        DTQ_STACK_READY_TIMEOUT_MS: '150000',
      },
    );
    expect(options).toMatchObject({
      varDir: '/tmp/v',
      logDir: '/tmp/v/logs',
      httpPort: 9090,
      apis: 2,
      workers: 5,
      faults: true,
      readyTimeoutMs: 150_000,
      redisUrl: undefined,
    });
  });

  it('prefers explicit options over the environment', () => {
    expect(resolveStackOptions({ httpPort: 0, apis: 1 }, { DTQ_HTTP_PORT: '9090' })).toMatchObject({
      httpPort: 0,
      apis: 1,
    });
  });

  it('names a bad variable and the accepted range, with the code of every configuration error', () => {
    expect(() => resolveStackOptions({}, { DTQ_HTTP_PORT: '70000' })).toThrow(
      'DTQ_HTTP_PORT="70000" is not valid: expected an integer from 0 to 65535. Fix or unset it.',
    );
    expect(() => resolveStackOptions({}, { DTQ_STACK_WORKERS: 'three' })).toThrow(/DTQ_STACK_WORKERS="three"/);
    expect(() => resolveStackOptions({}, { DTQ_STACK_APIS: '0' })).toThrow(/DTQ_STACK_APIS="0".*from 1 to 64/);
    expect(() => resolveStackOptions({}, { DTQ_FAULTS: 'yes' })).toThrow(
      expect.objectContaining({ code: 'DTQ_ERR_CONFIG_INVALID', message: expect.stringContaining('DTQ_FAULTS="yes"') }),
    );
  });

  it('takes an empty variable as unset', () => {
    expect(resolveStackOptions({}, { DTQ_HTTP_PORT: '', DTQ_REDIS_URL: '', DTQ_FAULTS: '' })).toMatchObject({
      httpPort: 8080,
      redisUrl: undefined,
      faults: false,
    });
  });

  it("gives children the workers' shutdown grace plus 6 s before SIGKILL", () => {
    expect(resolveStackOptions({}, {}).stopTimeoutMs).toBe(16_000);
    expect(resolveStackOptions({}, { DTQ_SHUTDOWN_GRACE_MS: '2000' }).stopTimeoutMs).toBe(8_000);
  });

  it('takes a Redis Cluster or Sentinel from the environment, and refuses one for the Celery system', () => {
    expect(resolveStackOptions({}, { DTQ_REDIS_CLUSTER_NODES: 'a:7000,b:7001' }).redisTarget).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
    });
    expect(resolveStackOptions({}, {}).redisTarget).toBeUndefined();
    expect(() => resolveStackOptions({}, { DTQ_REDIS_URL: 'redis://x:1', DTQ_REDIS_CLUSTER_NODES: 'a:1' })).toThrow(
      /only one of DTQ_REDIS_URL/,
    );
    expect(() =>
      resolveStackOptions({ system: 'celery' }, { DTQ_REDIS_SENTINELS: 's:1', DTQ_REDIS_SENTINEL_MASTER: 'm' }),
    ).toThrow('DTQ_STACK_SYSTEM="celery" is not valid: expected node when DTQ_REDIS_SENTINELS is set');
  });
});
