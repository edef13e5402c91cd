import math

from celery_workload.worker.var import monte_carlo_var


def test_one_position_matches_the_lognormal_quantile():
    # Loss quantile of S·(1 − exp(σ√t·z − σ²t/2)) at z = Φ⁻¹(0.05) = −1.6449.
    price, quantity, sigma, days = 150.0, 100, 0.2, 10
    t = days / 252
    expected = quantity * price * (1 - math.exp(sigma * math.sqrt(t) * -1.6448536 - 0.5 * sigma**2 * t))
    got = monte_carlo_var([{"symbol": "AAPL", "quantity": quantity, "price": price}], 0.95, days, 200_000, seed=7)
    assert abs(got["var"] - expected) / expected < 0.02
    assert got["expected_shortfall"] > got["var"]
    assert got["portfolio_value"] == 15_000.0


def test_a_higher_confidence_gives_a_larger_var():
    positions = [{"symbol": "A", "quantity": 10, "price": 10.0}, {"symbol": "B", "quantity": 5, "price": 20.0}]
    low = monte_carlo_var(positions, 0.9, 10, 50_000, seed=1)["var"]
    high = monte_carlo_var(positions, 0.99, 10, 50_000, seed=1)["var"]
    assert high > low > 0
