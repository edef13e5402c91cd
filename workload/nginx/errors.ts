/** Error catalogue of the nginx part (workload/nginx). */
import type { ErrorDefinition } from '../../contract/dtq-error.ts';

/** Errors raised while rendering the nginx configuration. */
export const NGINX_ERRORS = {
  CONFIG_INVALID: {
    code: 'DTQ_ERR_NGINX_CONFIG_INVALID',
    message: 'nginx option {option}={value} is not valid: expected {expected}.',
  },
} as const satisfies Record<string, ErrorDefinition>;
