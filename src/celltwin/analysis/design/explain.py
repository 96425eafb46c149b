"""Why a yield falls short, in words and numbers: which window binds and which spreads fill it.

A tolerance, robust or yield answer that only says "0" or "57 %" leaves the engineer to
guess the cause. The cause is nearly always one specification window that most samples
miss, and a few uncertain inputs that carry most of that output's variance. Both are cheap:
the per-window in-spec fractions come with every :class:`~celltwin.analysis.uq.specs.YieldResult`,
and the variance shares are first order (squared central-difference slopes times variances,
one batched chain call), the same shares the tolerance budget reports.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ...platform.chain import ProcessChain
from ...platform.scenario import Scenario
from ...platform.units import unit_suffix
from ..uq.specs import Spec, YieldResult


def std_of(u) -> float:
    """Standard deviation of an uncertain parameter's marginal (any distribution)."""
    return float(u.marginal().getStandardDeviation()[0])


def variance_shares(sc: Scenario, chain: ProcessChain, specs: Sequence[Spec], scales: Mapping[str, float],
                    nominal: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """First-order share (0..1) of each uncertain parameter in each spec output's variance at
    the nominal point: (slope * std)^2 over their sum, slopes by central differences in one
    batched chain call; ``scales`` multiply the scenario's spreads (missing: 1)."""
    names = list(sc.uncertain)
    stds = np.array([std_of(sc.uncertain[k]) * scales.get(k, 1.0) for k in names])
    steps = 1e-6 * np.maximum(np.abs([nominal[k] for k in names]), 1e-12)
    d = len(names)
    values = {k: np.full(2 * d, v) for k, v in nominal.items()}
    for j, k in enumerate(names):
        values[k][2 * j] += steps[j]
        values[k][2 * j + 1] -= steps[j]
    res = chain.evaluate(sc.close_balance(values), on_invalid="mask")
    out = {}
    for s in specs:
        y = np.asarray(res[s.name], dtype=float)
        slope = (y[0::2] - y[1::2]) / (2 * steps)
        contrib = (slope * stds) ** 2
        total = contrib.sum()
        out[s.name] = {k: (float(c / total) if total > 0 and math.isfinite(total) else float("nan"))
                       for k, c in zip(names, contrib, strict=True)}
    return out


@dataclass
class Binding:
    """One specification window that samples miss, and the spreads behind it."""

    spec: str                          # the window, as text
    name: str                          # the output
    fraction_in: float                 # share of the samples inside this window
    drivers: list[tuple[str, float]]   # (uncertain parameter, share of the output's variance), largest first

    def sentence(self, held: Iterable[str] = ()) -> str:
        held = set(held)
        parts = [f"{k} {100 * share:.0f} %" + (" (held)" if k in held else "")
                 for k, share in self.drivers if share >= 0.01]
        why = f"; its spread comes from {', '.join(parts)}" if parts else ""
        return f"{self.spec}: {100 * self.fraction_in:.1f} % of the samples in this window{why}"


def binding_windows(result: YieldResult, shares: Mapping[str, Mapping[str, float]], *,
                    below: float = 1.0) -> list[Binding]:
    """The windows with fewer than ``below`` of the samples inside, the tightest first."""
    out = []
    for _, row in result.per_spec.sort_values("fraction_in").iterrows():
        if row["fraction_in"] >= below:
            continue
        drivers = sorted(((k, v) for k, v in shares.get(row["name"], {}).items() if math.isfinite(v)),
                         key=lambda kv: -kv[1])
        out.append(Binding(str(row["spec"]), str(row["name"]), float(row["fraction_in"]), drivers))
    return out


def nominal_misses(sc: Scenario, chain: ProcessChain, specs: Sequence[Spec], nominal: Mapping[str, float]) -> list[str]:
    """The windows the nominal point itself misses, each as ``"NAME = VALUE UNIT outside WINDOW"``:
    no spread, however small, reaches a yield there."""
    res = chain.evaluate(dict(nominal), on_invalid="mask")
    out = []
    for s in specs:
        v = float(np.asarray(res[s.name], dtype=float).reshape(-1)[0])
        if not s.inside(v):
            out.append(f"nominal {s.name} = {v:.6g}{unit_suffix(sc.catalog[s.name].unit)} lies outside {s.text}")
    return out
