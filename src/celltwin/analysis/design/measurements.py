"""Measured production data against the twin: import, comparison, plots.

A measurement file is a CSV with one row per measurement of a production segment: a
``segment`` column (the segment id, as in the ``segment`` column of
:meth:`Scenario.sample`) and one column per measured quantity, named by its catalog
name. Units are checked, never assumed silently: a header may carry its unit as
``m_dry[mg/cm^2]`` or ``eps_cal[%]``, or the second line of the file may be a unit row;
a bare name is read in the catalog unit. Every value is converted to catalog units and
checked against its valid range; an unknown column names the closest catalog entry.

:func:`compare` puts the twin's prediction for each measured segment (Monte Carlo
through the chain) beside the measurements: residuals, standardized residuals, the
share of measurements inside the prediction interval (coverage), and a plot.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...platform.errors import ParameterError, UnitError, closest
from ...platform.scenario import Scenario
from ...platform.units import affine, check_unit
from ..uq.sampling import propagate

SEGMENT = "segment"
#: columns kept as they are (traceability), never interpreted as quantities
METADATA = ("sample", "sample_id", "position", "position_m", "timestamp", "time", "date", "lot", "batch",
            "roll", "operator", "comment", "note")
_HEADER = re.compile(r"^\s*([^\[\]]+?)\s*(?:\[(.*)\])?\s*$")


@dataclass
class Measurements:
    """Measured quantities per segment, in catalog units."""

    frame: pd.DataFrame                  # segment, the quantities (catalog units), metadata columns
    quantities: list[str]                # catalog names measured
    units: dict[str, str] = field(default_factory=dict)  # unit each quantity had in the file
    source: str = ""

    @property
    def segments(self) -> np.ndarray:
        return np.unique(self.frame[SEGMENT].to_numpy())

    def __len__(self) -> int:
        return len(self.frame)

    def check_segments(self, scenario: Scenario) -> None:
        """Raise :class:`ParameterError` if a segment id lies outside the scenario's segments."""
        count = scenario.segments.count
        bad = [int(s) for s in self.segments if not 0 <= s < count]
        if bad:
            raise ParameterError(f"{self.source or 'measurements'}: segment id(s) {', '.join(map(str, bad[:5]))} "
                                 f"outside the scenario's segments 0..{count - 1} (segments.count = {count})")


def read_measurements(path: str | Path, catalog, *, ignore: Sequence[str] = ()) -> Measurements:
    """Read a measurement CSV (see the module docstring), checking names, units and ranges.

    Parameters
    ----------
    path
        The CSV file.
    catalog
        The scenario's catalog (``sc.catalog``): names, units and valid ranges.
    ignore
        Further columns to keep as metadata.
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"measurement file {str(path)!r} does not exist or is not a file", path=str(path))
    try:
        raw = pd.read_csv(path, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ParameterError(f"measurement file {str(path)!r} is not a readable CSV: {' '.join(str(exc).split())}",
                             path=str(path)) from None
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0] if rows else []
    for i, row in enumerate(rows[1:], start=1):
        if row and len(row) != len(header):
            raise ParameterError(f"measurement file {str(path)!r}, line {i + 1}: {len(row)} fields, but the header "
                                 f"has {len(header)}", path=str(path))
    twice = sorted({h.strip() for h in header if [x.strip() for x in header].count(h.strip()) > 1})
    if twice:
        raise ParameterError(f"measurement file {str(path)!r}: column(s) {', '.join(map(repr, twice))} appear more "
                             "than once", path=str(path))
    return parse_measurements(raw, catalog, ignore=ignore, source=str(path))


def parse_measurements(raw: pd.DataFrame, catalog, *, ignore: Sequence[str] = (), source: str = "") -> Measurements:
    """:func:`read_measurements` on a frame of strings (the CSV as read)."""
    where = source or "measurements"
    names, units = {}, {}
    for col in raw.columns:
        m = _HEADER.match(str(col))
        name, unit = (m.group(1), m.group(2)) if m else (str(col), None)
        names[col], units[col] = name, unit
    header_units = any(u is not None for u in units.values())
    if len(raw) and not header_units and _is_unit_row(raw.iloc[0], names, catalog):
        units = {c: (str(raw.iloc[0][c]).strip() if pd.notna(raw.iloc[0][c]) else None) for c in raw.columns}
        raw = raw.iloc[1:].reset_index(drop=True)
    seg_cols = [c for c in raw.columns if names[c].lower() in (SEGMENT, "segment_id", "seg")]
    if len(seg_cols) != 1:
        raise ParameterError(f"{where}: needs exactly one segment column ('segment'); columns: "
                             f"{', '.join(map(str, raw.columns))}")
    out = pd.DataFrame()
    seg = pd.to_numeric(raw[seg_cols[0]], errors="coerce")
    if seg.isna().any() or (seg != seg.round()).any():
        row = int(np.flatnonzero(seg.isna() | (seg != seg.round()))[0])
        raise ParameterError(f"{where}, data row {row + 1}: segment {raw[seg_cols[0]].iloc[row]!r} is not a "
                             "whole number")
    out[SEGMENT] = seg.astype(int)
    if not len(out):
        raise ParameterError(f"{where}: no measurement rows (only a header)", path=source or None)
    quantities, given_units, problems = [], {}, []
    keep = set(METADATA) | set(ignore)
    for col in raw.columns:
        if col == seg_cols[0]:
            continue
        name, unit = names[col], units[col]
        if name not in catalog:
            if name.lower() in keep:
                out[name] = raw[col]
                continue
            problems.append(f"column {col!r}: {name!r} is not a catalog parameter{closest(name, catalog)} "
                            f"(metadata columns allowed: {', '.join(sorted(keep))})")
            continue
        entry = catalog[name]
        unit = unit if unit not in (None, "") else entry.unit
        try:
            check_unit(unit)
            scale, offset = affine(unit, entry.unit)
        except UnitError:
            problems.append(f"column {col!r}: unit {unit!r} cannot be converted to {name}'s catalog unit "
                            f"{entry.unit!r}")
            continue
        values = pd.to_numeric(raw[col], errors="coerce")
        text = raw[col].notna() & raw[col].astype(str).str.strip().ne("")
        bad = text & values.isna()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            problems.append(f"column {col!r}, data row {row + 1}: {raw[col].iloc[row]!r} is not a number")
            continue
        v = values.to_numpy(dtype=float) * scale + offset
        invalid = entry.invalid_mask(v) & ~np.isnan(v)
        if invalid.any():
            row = int(np.flatnonzero(invalid)[0])
            problems.append(f"column {col!r}, data row {row + 1}: " + entry.message(v[row])
                            + (f" (read as {values.iloc[row]:g} {unit})" if unit != entry.unit else ""))
            continue
        out[name] = v
        quantities.append(name)
        given_units[name] = unit
    if problems:
        raise ParameterError(f"{where}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))
    if not quantities:
        raise ParameterError(f"{where}: no measured catalog quantity among the columns")
    return Measurements(out, quantities, given_units, source)


def _is_unit_row(row: pd.Series, names: Mapping, catalog) -> bool:
    """True if the first data line holds units (strings pint knows) under the catalog columns."""
    cells = [str(row[c]).strip() for c in row.index if names[c] in catalog and pd.notna(row[c])]
    if not cells:
        return False
    for cell in cells:
        try:
            float(cell)
            return False
        except ValueError:
            pass
        try:
            check_unit(cell)
        except UnitError:
            return False
    return True


# -- the twin's prediction for measured segments ------------------------------------------------------
def needs_cell(scenario: Scenario, quantities: Sequence[str]) -> bool:
    """Whether predicting these quantities needs the (expensive) cell model."""
    chain = scenario.build_chain(with_cell=False)
    known = set(chain.outputs) | set(chain.inputs) | set(scenario.given)
    return any(q not in known for q in quantities)


def predict(scenario: Scenario, quantities: Sequence[str], *, n: int | None = None, seed: int | None = None,
            noise: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Monte Carlo prediction of the quantities per segment: one row per sample
    (``segment`` and the quantities), gauge noise ``noise`` (std, catalog units) added."""
    n = int(n or max(2000, 200 * scenario.segments.count))
    seed = int(seed if seed is not None else scenario.study["seed"])
    frame = propagate(scenario, n, seed, with_cell=needs_cell(scenario, quantities))
    frame = frame[frame["valid"]]
    out = frame[[SEGMENT, *quantities]].reset_index(drop=True).copy()
    rng = np.random.default_rng([seed, 7])
    for q, s in (noise or {}).items():
        if q in out and s > 0:
            out[q] = out[q] + rng.normal(0.0, s, len(out))
    return out


@dataclass
class Comparison:
    """The twin against measurements: one row per measured value in ``table``, one row per
    quantity in ``summary``, the predicted band per segment in ``bands``."""

    table: pd.DataFrame
    summary: pd.DataFrame
    bands: pd.DataFrame
    level: float
    scenario: str

    @property
    def units(self) -> dict[str, str]:
        """Catalog unit of every compared quantity (the numbers of ``table`` and ``summary`` are in it)."""
        return dict(zip(self.summary["quantity"], self.summary["unit"], strict=True))

    def plot(self, path: str | Path, *, units: Mapping[str, str] | None = None, other: Comparison | None = None):
        """PNG: per quantity, the predicted band and median per segment and the measurements."""
        return plot_comparison(self, path, units=units, other=other)


def compare(scenario: Scenario, measured: Measurements, *, level: float = 0.9, n: int | None = None,
            seed: int | None = None, noise: Mapping[str, float] | None = None) -> Comparison:
    """Compare measurements with the twin's prediction for the same segments.

    The prediction of a measurement is the Monte Carlo distribution of the quantity in
    its segment, plus the gauge noise ``noise`` (standard deviation per quantity in
    catalog units; 0 if not given). ``level`` is the central prediction interval used
    for coverage: a calibrated twin covers about ``level`` of the measurements.
    """
    if not 0 < level < 1:
        raise ParameterError(f"level = {level} must lie in (0, 1)")
    measured.check_segments(scenario)
    pred = predict(scenario, measured.quantities, n=n, seed=seed, noise=noise)
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    bands = []
    for q in measured.quantities:
        g = pred.groupby(SEGMENT)[q]
        b = pd.DataFrame({"mean": g.mean(), "std": g.std(), "lower": g.quantile(lo_q),
                          "median": g.median(), "upper": g.quantile(hi_q), "n": g.size()})
        b["quantity"] = q
        bands.append(b.reset_index())
    bands = pd.concat(bands, ignore_index=True)
    rows = []
    for q in measured.quantities:
        m = measured.frame[[SEGMENT, q]].dropna()
        b = bands[bands["quantity"] == q].set_index(SEGMENT).loc[m[SEGMENT]]
        y = m[q].to_numpy()
        rows.append(pd.DataFrame({
            SEGMENT: m[SEGMENT].to_numpy(), "quantity": q, "unit": scenario.catalog[q].unit, "measured": y,
            "predicted": b["mean"].to_numpy(), "std": b["std"].to_numpy(), "lower": b["lower"].to_numpy(),
            "upper": b["upper"].to_numpy(), "residual": y - b["mean"].to_numpy(),
            "z": (y - b["mean"].to_numpy()) / b["std"].to_numpy(),
            "inside": (y >= b["lower"].to_numpy()) & (y <= b["upper"].to_numpy())}))
    table = pd.concat(rows, ignore_index=True)
    g = table.groupby("quantity", sort=False)
    summary = pd.DataFrame({"unit": g["unit"].first(), "n": g.size(), "bias": g["residual"].mean(),
                            "rmse": g["residual"].apply(lambda r: float(np.sqrt(np.mean(r ** 2)))),
                            "mean_z": g["z"].mean(), "std_z": g["z"].std(), "coverage": g["inside"].mean()})
    summary["level"] = level
    # a coverage far below the level means a biased or over-confident twin; 2 binomial SE
    summary["coverage_ok"] = summary["coverage"] >= level - 2 * np.sqrt(level * (1 - level) / summary["n"])
    return Comparison(table, summary.reset_index(), bands, level, scenario.name)


def plot_comparison(comp: Comparison, path: str | Path, *, units: Mapping[str, str] | None = None,
                    other: Comparison | None = None, labels: tuple[str, str] = ("twin", "calibrated twin")) -> Path:
    """Measured values against the predicted interval per segment, one panel per quantity.

    ``units`` chooses the display unit of a quantity (e.g. ``{"eps_cal": "%"}``);
    ``other`` overlays a second prediction (e.g. after calibration).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ...platform.units import convert

    units = dict(units or {})
    qs = list(dict.fromkeys(comp.table["quantity"]))
    fig, axes = plt.subplots(1, len(qs), figsize=(4.6 * len(qs), 3.8), squeeze=False)
    for ax, q in zip(axes[0], qs, strict=True):
        cat_unit = comp.table.loc[comp.table["quantity"] == q, "unit"].iloc[0]
        shown = units.get(q, cat_unit)

        def c(v, _u=cat_unit, _s=shown):
            return convert(np.asarray(v, dtype=float), _u, _s)
        for k, (cmp, colour) in enumerate(((comp, "tab:blue"), (other, "tab:orange"))):
            if cmp is None:
                continue
            b = cmp.bands[cmp.bands["quantity"] == q]
            ax.fill_between(b[SEGMENT], c(b["lower"]), c(b["upper"]), color=colour, alpha=0.2,
                            label=f"{labels[k]}: {100 * cmp.level:.0f} % interval")
            ax.plot(b[SEGMENT], c(b["median"]), color=colour, lw=1.5, label=f"{labels[k]}: median")
        t = comp.table[comp.table["quantity"] == q]
        jitter = (np.random.default_rng(0).random(len(t)) - 0.5) * 0.25
        ax.scatter(t[SEGMENT] + jitter, c(t["measured"]), s=9, color="black", alpha=0.6, label="measured", zorder=3)
        row = comp.summary.set_index("quantity").loc[q]
        ax.set_title(f"{q}: coverage {100 * row['coverage']:.0f} %"
                     + (f" -> {100 * other.summary.set_index('quantity').loc[q, 'coverage']:.0f} %" if other else ""),
                     fontsize=10)
        ax.set_xlabel("segment")
        ax.set_ylabel(f"{q} [{shown}]")
    axes[0][0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# -- a synthetic measured line (a known truth to test the loop against) ------------------------------------
def synthetic_line(truth: Scenario, *, per_segment: int = 20, noise: Mapping[str, float] | None = None,
                   quantities: Sequence[str] = ("m_dry", "h_cal", "eps_cal"), seed: int = 1,
                   units: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Measurements of a virtual line whose true settings are ``truth``.

    ``per_segment`` samples of each of the scenario's segments are drawn through the
    chain (samples the chain rejects are left out: they are not products to measure) and
    gauge noise (std in catalog units) is added. The frame's columns are
    headed ``name[unit]`` in ``units`` (default: catalog units), ready for ``to_csv``.
    """
    count = truth.segments.count
    frame = propagate(truth, per_segment * count, seed, with_cell=needs_cell(truth, quantities))
    frame = frame[frame["valid"]]  # a sample the chain rejects is not a product that could be measured
    rng = np.random.default_rng([seed, 11])
    units = dict(units or {})
    out = pd.DataFrame({SEGMENT: frame[SEGMENT].to_numpy(),
                        "sample_id": [f"S{s:02d}-{i:03d}" for i, s in enumerate(frame[SEGMENT])]})
    for q in quantities:
        v = frame[q].to_numpy() + rng.normal(0.0, (noise or {}).get(q, 0.0), len(frame))
        unit = units.get(q, truth.catalog[q].unit)
        scale, offset = affine(truth.catalog[q].unit, unit)
        out[f"{q}[{unit}]"] = v * scale + offset
    return out
