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

  it('names a bad variable and the accepted range', () => {
    expect(() => resolveStackOptions({}, { DTQ_HTTP_PORT: '70000' })).toThrow(
      'DTQ_HTTP_PORT=70000: expected a whole number from 0 to 65535',
    );
    expect(() => resolveStackOptions({}, { DTQ_STACK_WORKERS: 'three' })).toThrow(/DTQ_STACK_WORKERS=three/);
  });
});
