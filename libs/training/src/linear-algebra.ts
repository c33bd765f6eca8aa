/** A dense row-major matrix of doubles: element (r, c) is `data[r * cols + c]`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function zeros(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export function identity(n: number): Matrix {
  const m = zeros(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/** Stacks equally long vectors as the rows of a matrix. */
export function fromRows(rows: readonly ArrayLike<number>[]): Matrix {
  if (rows.length === 0) throw new Error('fromRows needs at least one row');
  const cols = rows[0].length;
  const m = zeros(rows.length, cols);
  rows.forEach((row, r) => {
    if (row.length !== cols) throw new Error(`Row ${r} has ${row.length} values, row 0 has ${cols}`);
    m.data.set(row, r * cols);
  });
  return m;
}

export function transpose(a: Matrix): Matrix {
  const t = zeros(a.cols, a.rows);
  for (let r = 0; r < a.rows; r++) for (let c = 0; c < a.cols; c++) t.data[c * a.rows + r] = a.data[r * a.cols + c];
  return t;
}

/** a · b. */
export function multiply(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new Error(`Cannot multiply ${a.rows}×${a.cols} by ${b.rows}×${b.cols}`);
  const out = zeros(a.rows, b.cols);
  // i-k-j order: the inner loop walks rows of b and out contiguously.
  for (let i = 0; i < a.rows; i++) {
    const o = i * b.cols;
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      if (aik === 0) continue;
      const bk = k * b.cols;
      for (let j = 0; j < b.cols; j++) out.data[o + j] += aik * b.data[bk + j];
    }
  }
  return out;
}

/** aᵀ · b without forming aᵀ (e.g. the cross-covariance Σ xᵢ yᵢᵀ of row-stacked samples). */
export function transposeMultiply(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows) throw new Error(`Cannot multiply (${a.rows}×${a.cols})ᵀ by ${b.rows}×${b.cols}`);
  const out = zeros(a.cols, b.cols);
  for (let r = 0; r < a.rows; r++) {
    const ar = r * a.cols;
    const br = r * b.cols;
    for (let i = 0; i < a.cols; i++) {
      const ari = a.data[ar + i];
      if (ari === 0) continue;
      const o = i * b.cols;
      for (let j = 0; j < b.cols; j++) out.data[o + j] += ari * b.data[br + j];
    }
  }
  return out;
}

/** Largest absolute difference between two equally shaped matrices. */
export function maxAbsDifference(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error(`Shapes differ: ${a.rows}×${a.cols} and ${b.rows}×${b.cols}`);
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}

export interface Svd {
  /** m×n, orthonormal columns. */
  u: Matrix;
  /** n singular values, largest first. */
  s: Float64Array;
  /** n×n orthogonal. */
  v: Matrix;
}

/**
 * Thin SVD a = u·diag(s)·vᵀ of an m×n matrix with m ≥ n, by one-sided Jacobi (Hestenes): plane
 * rotations orthogonalise the columns of a working copy until every pair is orthogonal to
 * `tolerance`; the column norms are then the singular values. Chosen over Golub–Kahan because it is
 * short, accurate for small singular values and converges in a handful of sweeps at 128 or 512 rows.
 * Columns of u for zero singular values are completed to an orthonormal set.
 */
export function svd(a: Matrix, { tolerance = 1e-12, maxSweeps = 60 } = {}): Svd {
  const { rows: m, cols: n } = a;
  if (m < n) throw new Error(`svd expects rows ≥ columns, got ${m}×${n}; decompose the transpose`);
  // Column-major working copies: the rotations touch two whole columns at a time.
  const w = new Float64Array(m * n);
  for (let r = 0; r < m; r++) for (let c = 0; c < n; c++) w[c * m + r] = a.data[r * n + c];
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;

  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let k = 0; k < m; k++) {
          const x = w[p * m + k], y = w[q * m + k];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= tolerance * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let k = 0; k < m; k++) {
          const x = w[p * m + k], y = w[q * m + k];
          w[p * m + k] = c * x - s * y;
          w[q * m + k] = s * x + c * y;
        }
        for (let k = 0; k < n; k++) {
          const x = v[p * n + k], y = v[q * n + k];
          v[p * n + k] = c * x - s * y;
          v[q * n + k] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }

  const norms = Array.from({ length: n }, (_, c) => {
    let sum = 0;
    for (let k = 0; k < m; k++) sum += w[c * m + k] ** 2;
    return Math.sqrt(sum);
  });
  const order = norms.map((_, i) => i).sort((x, y) => norms[y] - norms[x]);
  const largest = norms[order[0]] ?? 0;
  const u = zeros(m, n);
  const vOut = zeros(n, n);
  const s = new Float64Array(n);
  const uColumns: Float64Array[] = [];
  order.forEach((c, j) => {
    s[j] = norms[c];
    for (let k = 0; k < n; k++) vOut.data[k * n + j] = v[c * n + k];
    const column = new Float64Array(m);
    if (norms[c] > largest * 1e-13 && norms[c] > 0) {
      for (let k = 0; k < m; k++) column[k] = w[c * m + k] / norms[c];
    } else {
      s[j] = 0;
      completeOrthonormal(column, uColumns);
    }
    uColumns.push(column);
    for (let k = 0; k < m; k++) u.data[k * n + j] = column[k];
  });
  return { u, s, v: vOut };
}

/** Fills `column` with a unit vector orthogonal to `basis` (Gram–Schmidt on the standard basis vectors). */
function completeOrthonormal(column: Float64Array, basis: readonly Float64Array[]): void {
  for (let e = 0; e < column.length; e++) {
    column.fill(0);
    column[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        let d = 0;
        for (let k = 0; k < column.length; k++) d += column[k] * b[k];
        for (let k = 0; k < column.length; k++) column[k] -= d * b[k];
      }
    }
    let norm = 0;
    for (let k = 0; k < column.length; k++) norm += column[k] ** 2;
    norm = Math.sqrt(norm);
    if (norm > 1e-6) {
      for (let k = 0; k < column.length; k++) column[k] /= norm;
      return;
    }
  }
  throw new Error('No vector is orthogonal to a full basis');
}

/** Solves s·x = b for a symmetric positive definite s (Cholesky), for every column of b. */
export function solveSymmetricPositiveDefinite(s: Matrix, b: Matrix): Matrix {
  const n = s.rows;
  if (s.cols !== n || b.rows !== n) throw new Error(`Cannot solve ${s.rows}×${s.cols} against ${b.rows}×${b.cols}`);
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = s.data[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(sum > 0)) throw new Error('Matrix is not positive definite');
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j];
      }
    }
  }
  const x = zeros(n, b.cols);
  for (let c = 0; c < b.cols; c++) {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = b.data[i * b.cols + c];
      for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k];
      y[i] = sum / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let sum = y[i];
      for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * x.data[k * b.cols + c];
      x.data[i * b.cols + c] = sum / l[i * n + i];
    }
  }
  return x;
}
