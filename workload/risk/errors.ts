/**
 * Error catalogue of the risk math. These are input errors: a job that raises one is poison
 * (retrying cannot fix it), so the worker fails it at once.
 */
import { type DtqError, dtqError, type ErrorDefinition } from '../../contract/dtq-error.ts';

/** Every error the risk module raises, by name. */
export const RISK_ERRORS = {
  MATRIX_SHAPE: {
    code: 'DTQ_ERR_RISK_MATRIX_SHAPE',
    statusCode: 400,
    message: 'correlation matrix must be {n}×{n} (one row and column per position): {problem}',
  },
  MATRIX_NOT_CORRELATION: {
    code: 'DTQ_ERR_RISK_MATRIX_NOT_CORRELATION',
    statusCode: 400,
    message:
      'correlation matrix is not a correlation matrix: {problem}. Use 1 on the diagonal, values in [-1, 1], symmetric.',
  },
  MATRIX_NOT_PSD: {
    code: 'DTQ_ERR_RISK_MATRIX_NOT_PSD',
    statusCode: 400,
    message:
      'correlation matrix is not positive semi-definite (pivot {pivot} at row {row} is negative): the correlations are mutually inconsistent. Estimate them from one data set, or shrink them towards 0.',
  },
  INVALID_INPUT: {
    code: 'DTQ_ERR_RISK_INVALID_INPUT',
    statusCode: 400,
    message: '{field} is invalid: {problem}',
  },
} as const satisfies Record<string, ErrorDefinition>;

/** Shorthand for an invalid-input error naming the field and the problem. */
export function invalidInput(field: string, problem: string): DtqError {
  return dtqError(RISK_ERRORS.INVALID_INPUT, { field, problem });
}
