"""Monte Carlo Value at Risk with numpy: the design notes' `calculate_var` kernel. Pure."""

from __future__ import annotations

from typing import Any

import numpy as np

TRADING_DAYS = 252
DEFAULT_VOLATILITY = 0.2


def monte_carlo_var(
    positions: list[dict[str, Any]],
    confidence_level: float = 0.95,
    time_horizon: int = 10,
    num_simulations: int = 100_000,
    seed: int | None = None,
) -> dict[str, float]:
    """VaR of independent lognormal positions over `time_horizon` trading days.

    Each position's price moves by exp(σ√t·Z − σ²t/2) − 1 with t = horizon / 252 and its own
    annual volatility σ (0.2 when absent); VaR is the loss not exceeded with probability
    `confidence_level`, the expected shortfall the mean loss beyond it.
    """
    rng = np.random.default_rng(seed)
    quantities = np.array([float(p["quantity"]) for p in positions])
    prices = np.array([float(p["price"]) for p in positions])
    sigma = np.array([float(p.get("volatility", DEFAULT_VOLATILITY)) for p in positions])
    t = time_horizon / TRADING_DAYS
    shocks = rng.standard_normal((num_simulations, len(positions)))
    returns = np.expm1(sigma * np.sqrt(t) * shocks - 0.5 * sigma**2 * t)
    pnl = returns @ (quantities * prices)
    losses = -pnl
    var = float(np.quantile(losses, confidence_level))
    tail = losses[losses >= var]
    return {
        "var": var,
        "expected_shortfall": float(tail.mean()) if tail.size else var,
        "portfolio_value": float(quantities @ prices),
        "confidence_level": confidence_level,
        "time_horizon": time_horizon,
        "num_simulations": num_simulations,
    }
