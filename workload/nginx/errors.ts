/** Error catalogue of the nginx part (workload/nginx). */
import type { ErrorDefinition } from '../common/dtq-error.ts';

/** Errors raised while rendering or locating nginx. */
export const NGINX_ERRORS = {
  CONFIG_INVALID: {
    code: 'DTQ_ERR_NGINX_CONFIG_INVALID',
    message: 'nginx option {option}={value} is not valid: expected {expected}.',
  },
  NOT_INSTALLED: {
    code: 'DTQ_ERR_NGINX_NOT_INSTALLED',
    message: 'nginx was not found (looked in {searched}). Install it with: {installCommand} (or set DTQ_NGINX_BIN).',
  },
} as const satisfies Record<string, ErrorDefinition>;
