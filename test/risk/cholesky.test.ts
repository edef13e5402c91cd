import { describe, expect, it } from 'vitest';
import { DtqError } from '../../contract/dtq-error.ts';
import { cholesky, correlationMatrix, multiplyLowerByTranspose } from '../../workload/risk/cholesky.ts';

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof DtqError ? error.code : 'not a DtqError';
  }
  return undefined;
}

describe('Cholesky factorisation of correlation matrices', () => {
  it('reconstructs the matrix it factorised', () => {
    const rows = [
      [1, 0.6, -0.3, 0.2],
      [0.6, 1, 0.1, 0.4],
      [-0.3, 0.1, 1, -0.2],
      [0.2, 0.4, -0.2, 1],
    ];
    const matrix = correlationMatrix(rows, 4);
    const lower = cholesky(matrix);
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(lower.data[i * 4 + j]).toBe(0);
    const product = multiplyLowerByTranspose(lower);
    for (let k = 0; k < 16; k++) expect(product.data[k]).toBeCloseTo(matrix.data[k] as number, 12);
  });

  it('accepts a positive semi-definite matrix (perfectly correlated positions) and stays exact', () => {
    const matrix = correlationMatrix(
      [
        [1, 1, 0.5],
        [1, 1, 0.5],
        [0.5, 0.5, 1],
      ],
      3,
    );
    const product = multiplyLowerByTranspose(cholesky(matrix));
    for (let k = 0; k < 9; k++) expect(product.data[k]).toBeCloseTo(matrix.data[k] as number, 12);
  });

  it('rejects a matrix that is not positive semi-definite with a clear code', () => {
    const inconsistent = [
      [1, 0.9, -0.9],
      [0.9, 1, 0.9],
      [-0.9, 0.9, 1],
    ];
    expect(errorCode(() => cholesky(correlationMatrix(inconsistent, 3)))).toBe('DTQ_ERR_RISK_MATRIX_NOT_PSD');
    const singularButInvalid = [
      [1, 1, 0],
      [1, 1, 1],
      [0, 1, 1],
    ];
    expect(errorCode(() => cholesky(correlationMatrix(singularButInvalid, 3)))).toBe('DTQ_ERR_RISK_MATRIX_NOT_PSD');
  });

  it('rejects wrong shapes, asymmetry and a diagonal that is not 1', () => {
    expect(errorCode(() => correlationMatrix([[1]], 2))).toBe('DTQ_ERR_RISK_MATRIX_SHAPE');
    expect(errorCode(() => correlationMatrix([[1, 0], [0]], 2))).toBe('DTQ_ERR_RISK_MATRIX_SHAPE');
    expect(
      errorCode(() =>
        correlationMatrix(
          [
            [1, 0.2],
            [0.3, 1],
          ],
          2,
        ),
      ),
    ).toBe('DTQ_ERR_RISK_MATRIX_NOT_CORRELATION');
    expect(
      errorCode(() =>
        correlationMatrix(
          [
            [0.9, 0],
            [0, 1],
          ],
          2,
        ),
      ),
    ).toBe('DTQ_ERR_RISK_MATRIX_NOT_CORRELATION');
  });
});
