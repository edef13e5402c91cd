/**
 * Cholesky factorisation of correlation matrices, stored dense row-major in a Float64Array.
 * Positive semi-definite matrices (e.g. two perfectly correlated positions) are accepted: a
 * zero pivot gets a zero column, which is the limit of the factorisation, so the correlated
 * draws stay exact. A negative pivot means the matrix is not a valid correlation matrix.
 */
import { dtqError } from '../../contract/dtq-error.ts';
import { RISK_ERRORS } from './errors.ts';

/** Tolerance for symmetry, unit diagonal and zero pivots (relative to entries of size ≤ 1). */
const EPSILON = 1e-10;

/** A square matrix n×n, row-major. */
export interface SquareMatrix {
  readonly n: number;
  readonly data: Float64Array;
}

/** Check a nested-array correlation matrix for n positions and pack it row-major. */
export function correlationMatrix(rows: readonly (readonly number[])[], n: number): SquareMatrix {
  if (rows.length !== n) {
    throw dtqError(RISK_ERRORS.MATRIX_SHAPE, { n, problem: `it has ${rows.length} rows` });
  }
  const data = new Float64Array(n * n);
  rows.forEach((row, i) => {
    if (row.length !== n) {
      throw dtqError(RISK_ERRORS.MATRIX_SHAPE, { n, problem: `row ${i} has ${row.length} entries` });
    }
    row.forEach((value, j) => {
      if (!Number.isFinite(value) || value < -1 - EPSILON || value > 1 + EPSILON) {
        throw dtqError(RISK_ERRORS.MATRIX_NOT_CORRELATION, { problem: `entry [${i}][${j}] = ${value}` });
      }
      data[i * n + j] = value;
    });
  });
  for (let i = 0; i < n; i++) {
    if (Math.abs((data[i * n + i] as number) - 1) > EPSILON) {
      throw dtqError(RISK_ERRORS.MATRIX_NOT_CORRELATION, { problem: `diagonal entry [${i}][${i}] is not 1` });
    }
    for (let j = 0; j < i; j++) {
      if (Math.abs((data[i * n + j] as number) - (data[j * n + i] as number)) > EPSILON) {
        throw dtqError(RISK_ERRORS.MATRIX_NOT_CORRELATION, { problem: `[${i}][${j}] differs from [${j}][${i}]` });
      }
    }
  }
  return { n, data };
}

/** A correlation matrix with 1 on the diagonal and `rho` everywhere else (rho = 0: identity). */
export function constantCorrelation(n: number, rho: number): SquareMatrix {
  const data = new Float64Array(n * n).fill(rho);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { n, data };
}

/**
 * Lower-triangular L with L·Lᵀ = A (Cholesky–Banachiewicz). Throws DTQ_ERR_RISK_MATRIX_NOT_PSD
 * when A has a negative pivot, i.e. is not positive semi-definite.
 */
export function cholesky(matrix: SquareMatrix): SquareMatrix {
  const { n, data: a } = matrix;
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * n + k] as number) * (l[j * n + k] as number);
      if (i === j) {
        if (sum < -EPSILON * n) {
          throw dtqError(RISK_ERRORS.MATRIX_NOT_PSD, { row: i, pivot: sum.toPrecision(3) });
        }
        l[i * n + i] = sum > EPSILON ? Math.sqrt(sum) : 0;
      } else {
        const pivot = l[j * n + j] as number;
        // A zero pivot means column j adds no new randomness; in a PSD matrix the residual is
        // then ~0 as well, and a residual that is not betrays a negative eigenvalue.
        if (pivot === 0 && Math.abs(sum) > 1e-8) {
          throw dtqError(RISK_ERRORS.MATRIX_NOT_PSD, { row: i, pivot: `0 with residual ${sum.toPrecision(3)}` });
        }
        l[i * n + j] = pivot === 0 ? 0 : sum / pivot;
      }
    }
  }
  return { n, data: l };
}

/** L·Lᵀ for a lower-triangular L (used to check a factorisation). */
export function multiplyLowerByTranspose(lower: SquareMatrix): SquareMatrix {
  const { n, data: l } = lower;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k <= Math.min(i, j); k++) sum += (l[i * n + k] as number) * (l[j * n + k] as number);
      out[i * n + j] = sum;
    }
  }
  return { n, data: out };
}
