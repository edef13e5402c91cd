/**
 * Error catalogue of the local stack (supervisor, demo, load generator). Every message says
 * what went wrong and what to do; docs/stack.md lists the same codes.
 */
import type { ErrorDefinition } from '../../contract/dtq-error.ts';

/** Errors the local stack raises, by code. */
export const STACK_ERRORS = {
  BINARY_MISSING: {
    code: 'DTQ_ERR_STACK_BINARY_MISSING',
    message: 'not installed: {binary} (looked in PATH, /usr/sbin and /usr/bin). Install with: {installCommand}',
  },
  INSTALL_FAILED: {
    code: 'DTQ_ERR_STACK_INSTALL_FAILED',
    message: 'installing {packages} with apt-get failed (exit {exitCode}). Run it yourself: {installCommand}',
  },
  PORT_IN_USE: {
    code: 'DTQ_ERR_STACK_PORT_IN_USE',
    message:
      '{what} cannot listen on 127.0.0.1:{port}: the port is already in use. Stop whatever uses it or set {envName}.',
  },
  CHILD_EXITED: {
    code: 'DTQ_ERR_STACK_CHILD_EXITED',
    message: '{name} exited ({reason}) before the stack was ready. Its last output:\n{tail}',
  },
  NOT_READY: {
    code: 'DTQ_ERR_STACK_NOT_READY',
    message: '{what} was not ready after {timeoutMs} ms. Check its output above, or raise DTQ_STACK_READY_TIMEOUT_MS.',
  },
  ENTRY_MISSING: {
    code: 'DTQ_ERR_STACK_ENTRY_MISSING',
    message: '{entry} does not exist: {name} cannot start. Run the command from the repository root.',
  },
  BAD_ARGUMENT: {
    code: 'DTQ_ERR_STACK_BAD_ARGUMENT',
    message: '{argument}: {problem}. {usage}',
  },
  NO_SUCH_PROCESS: {
    code: 'DTQ_ERR_STACK_NO_SUCH_PROCESS',
    message: 'the stack has no {kind} number {index} (it runs {count}). Use an index from 0 to {last}.',
  },
  NOT_STARTED: {
    code: 'DTQ_ERR_STACK_NOT_STARTED',
    message:
      '{what} is not known yet: the stack has not started. Await stack.start() (or startStack()) before using it.',
  },
  PYTHON_ENV_FAILED: {
    code: 'DTQ_ERR_STACK_PYTHON_ENV_FAILED',
    message:
      '{step} failed (exit {exitCode}) while preparing {venv} for the Celery workload. Its last output:\n{tail}\nFix the cause, then run again (delete {venv} to start over).',
  },
  REDIS_NOT_OWNED: {
    code: 'DTQ_ERR_STACK_REDIS_NOT_OWNED',
    message: 'the stack uses the external Redis {redisUrl} (DTQ_REDIS_URL), so it cannot stop or restart it.',
  },
} as const satisfies Record<string, ErrorDefinition>;
