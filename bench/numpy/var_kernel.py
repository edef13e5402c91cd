"""The VaR kernel in numpy: the baseline of bench/var-kernel.bench.ts.

Inputs: JSON requests on stdin, one per line:
  {"positions": n, "runs": k, "simulations": 100000, "block_size": 16384, "rho": 0.4,
   "exposure": 10000, "vol_base": 0.15, "vol_step": 0.01, "horizon_days": 1,
   "confidence": 0.95, "seed": 7}
Outputs: JSON lines on stdout. First, before any request: {"python", "numpy", "blas"} (the
BLAS library, version, threads and kernel as threadpoolctl reports them). Then one line per
request: {"cpu_ms": mean thread CPU time of one run, "wall_ms": [per run], "var", "es"}.

The same model as workload/risk/var-prepared.ts: lognormal revaluation, correlated normals from
the Cholesky factor, blocks of block_size simulations each drawn from its own stream of the
seed (numpy's SeedSequence([seed, block])), VaR the ceil(confidence * n)-th smallest loss. It
is written as a numpy user would write it for speed: one BLAS product per block, in-place
ufuncs, np.partition for the quantile.
"""

import json
import math
import platform
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info

TRADING_DAYS_PER_YEAR = 252


def prepare(req):
    n = req["positions"]
    corr = np.full((n, n), req["rho"])
    np.fill_diagonal(corr, 1.0)
    lower_t = np.ascontiguousarray(np.linalg.cholesky(corr).T)
    exposures = np.full(n, float(req["exposure"]))
    vols = req["vol_base"] + req["vol_step"] * (np.arange(n) % 10)
    scaled = vols * math.sqrt(req["horizon_days"] / TRADING_DAYS_PER_YEAR)
    return lower_t, exposures, scaled, -0.5 * scaled * scaled


def simulate(req, prepared):
    lower_t, exposures, scaled, drift = prepared
    n = req["positions"]
    sims, block = req["simulations"], req["block_size"]
    total = exposures.sum()
    losses = np.empty(sims)
    for b in range(-(-sims // block)):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([req["seed"], b])))
        start = b * block
        count = min(sims, start + block) - start
        x = rng.standard_normal((count, n)) @ lower_t
        x *= scaled
        x += drift
        np.exp(x, out=x)
        losses[start : start + count] = total - x @ exposures
    k = min(sims - 1, max(0, math.ceil(req["confidence"] * sims) - 1))
    losses.partition(k)
    return float(losses[k]), float(losses[k:].mean())


def main():
    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": [
            {key: lib.get(key) for key in ("internal_api", "version", "num_threads", "architecture")}
            for lib in threadpool_info()
            if lib.get("user_api") == "blas"
        ],
    }
    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        prepared = prepare(req)
        simulate(req, prepared)  # warm-up: first-touch allocations, BLAS buffers
        walls = []
        cpu_start = time.thread_time()
        for _ in range(req["runs"]):
            start = time.perf_counter()
            var, es = simulate(req, prepared)
            walls.append((time.perf_counter() - start) * 1000)
        cpu_ms = (time.thread_time() - cpu_start) * 1000 / req["runs"]
        print(json.dumps({"cpu_ms": cpu_ms, "wall_ms": walls, "var": var, "es": es}), flush=True)


if __name__ == "__main__":
    main()
