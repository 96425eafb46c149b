"""Production tolerances (seed 004, section 2.4; Thomitzek et al., Procedia CIRP 104, 2021).

For each uncertain process parameter: the largest standard deviation the line may have
while the in-spec probability stays at or above a target (e.g. 99 %). The yield is a
Monte Carlo estimate on common random numbers (the same uniforms for every candidate
spread, see :mod:`celltwin.analysis.robust`), so it changes only where a sample crosses
a window edge and a bisection on the spread factor converges to that crossing.

Three answers per parameter, because a tolerance depends on what else varies:

- ``alone``: only this parameter varies (the upper limit of its tolerance);
- ``with_others``: the other parameters keep the scenario's spread;
- ``joint``: every analysed parameter's spread scaled by one common factor, the others
  at the scenario's spread. This is the variance budget: how much spread the line can
  have in total, shared out as it is now.

The budget table also gives each parameter's share of each specified output's variance
at the joint tolerances, or at the scenario's spreads when no joint spread meets the target
(first order: squared finite-difference slopes times variances).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...containers.scenario import ElectrodeScenario
from ...platform.errors import MissingDependencyError, ParameterError
from ...platform.scenario import Scenario
from ..uq.sampling import CommonRandomNumbers
from ..uq.specs import Spec, YieldResult, as_specs, in_spec, yield_of
from .explain import Binding, binding_windows, nominal_misses, std_of, variance_shares

#: stands in for "held exact": OpenTURNS needs a positive spread
EXACT = 1e-9


def largest_scale(yield_at: Callable[[float], float], target: float, *, k_max: float = 1e3,
                  rtol: float = 1e-3) -> float:
    """Largest spread factor k with ``yield_at(k) >= target``: doubling to bracket, then bisection.

    Returns 0 when even an exact parameter misses the target, ``k_max`` when no spread up to
    it does (the parameter does not limit the yield).
    """
    if yield_at(EXACT) < target:
        return 0.0
    low, high = EXACT, 1.0
    while yield_at(high) >= target:
        if high >= k_max:
            return k_max
        low, high = high, min(2.0 * high, k_max)
    while high - low > rtol * high:
        mid = 0.5 * (low + high)
        low, high = (mid, high) if yield_at(mid) >= target else (low, mid)
    return low


@dataclass
class ToleranceResult:
    """Tolerances and variance budget of a scenario against specification windows."""

    specs: list[Spec]
    target: float
    table: pd.DataFrame                     # one row per analysed parameter
    joint_factor: float
    yield_scenario: YieldResult             # the yield with the scenario's own spreads
    yield_joint: YieldResult                # ... with every analysed spread at its joint tolerance
    samples: int
    evaluations: int
    wall_time: float
    units: dict[str, str] = field(default_factory=dict)
    shares_at: str = "joint tolerances"     # or "scenario spreads" when the joint factor is 0
    yield_floor: YieldResult | None = None  # every analysed parameter held exact, the others at their spread
    binding: list[Binding] = field(default_factory=list)   # windows that keep yield_floor below the target
    nominal_misses: list[str] = field(default_factory=list)  # windows the nominal point itself misses
    others: list[str] = field(default_factory=list)          # uncertain parameters not analysed

    def to_csv(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(path, float_format="%.6g")
        return path

    def explain(self) -> list[str]:
        """Why the tolerances are what they are, in sentences: a target no spread reaches, the
        windows that bind and the spreads behind them (empty when every tolerance is positive)."""
        t, goal = self.table, f"{100 * self.target:g} %"
        lines = [f"{miss}: no spread reaches {goal}; move the nominal setting first (inverse or robust)"
                 for miss in self.nominal_misses]
        zero = [k for k in t.index if t.loc[k, "with_others_std"] <= 0]
        if zero:
            best = ", ".join(f"{k} {t.loc[k, 'yield_if_exact_%']:.1f} %" for k in zero)
            lines.append(f"'allowed w/ others' is 0 for {', '.join(zero)}: even held exact, each leaves the yield "
                         f"below {goal} while the others keep their spread (yield with it exact: {best}).")
        if self.yield_floor is not None:
            f = self.yield_floor
            lines.append(f"'allowed joint' is 0: with all of {', '.join(t.index)} held exact the yield is "
                         f"{100 * f.p_in:.1f} % ({100 * f.confidence:g} % CI {100 * f.ci[0]:.1f}-"
                         f"{100 * f.ci[1]:.1f} %), short of {goal}; the yield now is "
                         f"{100 * self.yield_scenario.p_in:.1f} %.")
            if self.others:
                lines.append(f"What holds it there is the spread of the parameters not analysed "
                             f"({', '.join(self.others)}): analyse them too (--param) or widen the windows.")
            lines += [f"  {b.sentence()}" for b in self.binding]
        return lines

    def __repr__(self) -> str:
        return (f"ToleranceResult({len(self.table)} parameters for yield >= {100 * self.target:g} %: joint factor "
                f"{self.joint_factor:.3g}, yield now {100 * self.yield_scenario.p_in:.1f} %)")

    def _repr_html_(self) -> str:
        import html

        cols = ["unit", "std", "alone_std", "with_others_std", "joint_std", "yield_if_exact_%"]
        why = "".join(f"<li>{html.escape(line.strip())}</li>" for line in self.explain())
        return (f"<b>{html.escape(repr(self))}</b>" + self.table[cols].to_html(float_format=lambda v: f"{v:.4g}")
                + (f"<ul>{why}</ul>" if why else ""))

    def plot(self, path: str | Path) -> Path:
        """The variance budget as a PNG: allowed vs current relative spread, and the shares."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - matplotlib is a declared dependency
            raise MissingDependencyError("plotting the tolerances needs matplotlib: pip install matplotlib") from exc
        t = self.table
        names = list(t.index)
        y = np.arange(len(names))
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 2.2 + 0.55 * len(names)), constrained_layout=True)
        bars = [("rel_std_%", "scenario", "0.55"), ("joint_rel_std_%", "allowed (joint budget)", "tab:blue"),
                ("with_others_rel_std_%", "allowed (others at scenario)", "tab:orange"),
                ("alone_rel_std_%", "allowed (alone)", "tab:green")]
        h = 0.8 / len(bars)
        for i, (col, label, color) in enumerate(bars):
            v = t[col].to_numpy(dtype=float)
            ax1.barh(y + (i - 1.5) * h, np.where(v > 0, v, np.nan), h, label=label, color=color)
            for j in np.flatnonzero(v <= 0):  # no spread of this kind meets the target: say so, not "0"
                ax1.text(0.0, y[j] + (i - 1.5) * h, " none reaches the target", va="center", fontsize=7,
                         color=color, transform=ax1.get_yaxis_transform())
        ax1.set_xscale("log")
        _plain_log_ticks(ax1.xaxis)
        ax1.set_yticks(y, names)
        ax1.invert_yaxis()
        ax1.set_xlabel("relative standard deviation (%)")
        floor = "" if self.yield_floor is None else \
            f"\n(yield now {100 * self.yield_scenario.p_in:.0f} %, at most {100 * self.yield_floor.p_in:.0f} % " \
            "with these held exact)"
        ax1.set_title(f"tolerances for yield >= {100 * self.target:g} %{floor}")
        ax1.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
        share_cols = [c for c in t.columns if c.startswith("share_")]
        left = np.zeros(len(share_cols))
        for name in names:
            vals = np.nan_to_num(t.loc[name, share_cols].to_numpy(dtype=float))
            ax2.barh(np.arange(len(share_cols)), vals, left=left, label=name)
            left += vals
        if self.others:  # the rest of the variance: the uncertain parameters not analysed
            ax2.barh(np.arange(len(share_cols)), np.clip(100.0 - left, 0.0, None), left=left, color="0.8",
                     hatch="//", label="not analysed: " + ", ".join(self.others))
        ax2.set_yticks(np.arange(len(share_cols)), [c[len("share_"):-2] for c in share_cols])
        ax2.invert_yaxis()
        ax2.set_xlim(0, 100)
        ax2.set_xlabel(f"share of the output's variance at the {self.shares_at} (%)")
        ax2.set_title("variance budget")
        ax2.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def production_tolerances(scenario: Scenario | str, specs=None, *, target: float = 0.99,
                          parameters: Sequence[str] | None = None, n: int = 4000, seed: int | None = None,
                          method: str = "mc", with_cell: bool = False, rtol: float = 1e-3,
                          k_max: float = 1e3, progress: Callable[[str, int, int], None] | None = None
                          ) -> ToleranceResult:
    """Largest standard deviation of each uncertain parameter that keeps the yield >= ``target``.

    ``parameters`` defaults to the scenario's uncertain parameters of the process domain;
    ``specs`` to the scenario's ``[specs]``. ``n`` samples on common random numbers.
    ``progress(stage, done, total)`` is called after each parameter and after the joint budget.
    """
    t0 = time.perf_counter()
    sc = ElectrodeScenario.resolve(scenario)
    specs = as_specs(specs if specs is not None else dict(sc.specs), sc.catalog)
    if not specs:
        raise ParameterError("no specification windows: give specs or a [specs] table in the scenario")
    if not 0 < target < 1:
        raise ParameterError(f"target yield = {target} is outside its valid range (0, 1)")
    if parameters is None:
        parameters = [k for k in sc.uncertain if sc.catalog[k].domain == "process"]
    for k in parameters:
        if k not in sc.uncertain:
            raise ParameterError(f"{k!r} has no uncertainty in this scenario; uncertain: {', '.join(sc.uncertain)}")
    if not parameters:
        raise ParameterError("no uncertain process parameters to give tolerances for")
    crn = CommonRandomNumbers(sc, n, seed, method, with_cell)

    def yield_with(scales) -> float:
        return float(np.mean(in_spec(crn.evaluate(scales=scales), specs)))

    everyone = list(sc.uncertain)
    rows = {}
    for k in parameters:
        alone = largest_scale(lambda s, k=k: yield_with({**{o: EXACT for o in everyone}, k: s}), target,
                              k_max=k_max, rtol=rtol)
        others = largest_scale(lambda s, k=k: yield_with({k: s}), target, k_max=k_max, rtol=rtol)
        # the best this parameter alone can do: held exact, everything else at the scenario's spread
        rows[k] = (alone, others, yield_with({k: EXACT}))
        if progress:
            progress("tolerances", len(rows), len(parameters) + 1)
    joint = largest_scale(lambda s: yield_with({k: s for k in parameters}), target, k_max=k_max, rtol=rtol)
    if progress:
        progress("tolerances", len(parameters) + 1, len(parameters) + 1)

    nominal = sc.nominal()
    # shares at the joint tolerances; when there are none (joint = 0), at the scenario's own spreads
    budget = joint if joint > 0 else 1.0
    shares = variance_shares(sc, crn.chain, specs, {k: budget if k in parameters else 1.0 for k in everyone},
                             nominal)
    records = []
    for k in parameters:
        std = std_of(sc.uncertain[k])
        rel = 100.0 * std / abs(nominal[k])
        alone, others, best = rows[k]
        rec = {"parameter": k, "unit": sc.catalog[k].unit, "nominal": nominal[k], "std": std, "rel_std_%": rel,
               "alone_std": alone * std, "alone_rel_std_%": alone * rel,
               "with_others_std": others * std, "with_others_rel_std_%": others * rel,
               "joint_std": joint * std, "joint_rel_std_%": joint * rel, "headroom_joint": joint,
               "yield_if_exact_%": 100.0 * best}
        rec.update({f"share_{s.name}_%": 100.0 * shares[s.name][k] for s in specs})
        records.append(rec)
    table = pd.DataFrame(records).set_index("parameter")
    y_sc = _yield(crn, specs, sc, {})
    y_joint = _yield(crn, specs, sc, {k: max(joint, EXACT) for k in parameters})
    floor, binding = None, []
    if joint == 0:  # why no spread meets the target: the yield with every analysed parameter exact
        floor = _yield(crn, specs, sc, {k: EXACT for k in parameters})
        at_floor = variance_shares(sc, crn.chain, specs, {k: EXACT for k in parameters}, nominal)
        binding = binding_windows(floor, at_floor, below=target)
    return ToleranceResult(specs, target, table, joint, y_sc, y_joint, n, crn.evaluations,
                           time.perf_counter() - t0, {k: sc.catalog[k].unit for k in parameters},
                           "joint tolerances" if joint > 0 else "scenario spreads", floor, binding,
                           nominal_misses(sc, crn.chain, specs, nominal),
                           [k for k in everyone if k not in parameters])


def _yield(crn: CommonRandomNumbers, specs, sc, scales) -> YieldResult:
    res = crn.evaluate(scales=scales)
    return yield_of(res, specs, valid=res.valid, catalog=sc.catalog)


def _plain_log_ticks(axis) -> None:
    """Tick labels of a log axis as plain numbers (0.5, 2, 10), not "2×10⁰"; minor labels only when the
    axis spans less than about two decades (else they crowd)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    axis.set_major_formatter(plain)
    low, high = axis.get_view_interval()
    narrow = low > 0 and high / low < 100
    axis.set_minor_formatter(plain if narrow else NullFormatter())
