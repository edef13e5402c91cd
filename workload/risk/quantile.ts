/**
 * Tail statistics of a loss sample without sorting it: quickselect finds the quantile in
 * O(n), which at 100k simulations is several times cheaper than a full typed-array sort.
 */

/** Value-at-Risk (the loss quantile) and expected shortfall (mean loss at or beyond it). */
export interface TailStats {
  valueAtRisk: number;
  expectedShortfall: number;
}

/**
 * VaR and ES at `confidence` of a loss sample (positive = loss). Reorders `losses` in place.
 * The quantile is the ⌈confidence·n⌉-th smallest loss (the empirical quantile, no interpolation).
 */
export function tailStats(losses: Float64Array, confidence: number): TailStats {
  const n = losses.length;
  if (n === 0) throw new RangeError('no losses to summarise');
  const k = Math.min(n - 1, Math.max(0, Math.ceil(confidence * n) - 1));
  select(losses, k);
  const valueAtRisk = losses[k] as number;
  let tail = 0;
  for (let i = k; i < n; i++) tail += losses[i] as number;
  return { valueAtRisk, expectedShortfall: tail / (n - k) };
}

/** Rearrange `a` so a[k] is the k-th smallest, everything left ≤ it and right ≥ it (Hoare/Floyd–Rivest-lite). */
function select(a: Float64Array, k: number): void {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    // Median of three as pivot keeps adversarial (sorted) inputs O(n).
    const mid = (left + right) >>> 1;
    const x = a[left] as number;
    const y = a[mid] as number;
    const z = a[right] as number;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}
