"""Every bad scenario table or API argument is refused up front with a celltwin error (issue 11).

Known answers, one test per case: each case edits the built-in reference cathode once (or
calls the API with one bad argument) and asserts the exact error class, message fragments
that name the key or parameter, and the error's fields. Every refusal also round-trips
through pickle with its type, message and fields (errors cross process boundaries).

Notes on what the code does, asserted here:

* ``[study] samples = 10.0`` is refused: the ``[study]`` table is a strict pydantic model
  (``StrictInt``), so a float is never an integer in a scenario file. The API helper
  :func:`celltwin.platform.schema.integer` accepts an integral float (``10.0 -> 10``).
* Errors found by :func:`celltwin.platform.schema.check` carry the key *inside* the table as
  ``parameter`` (``"value"``, ``"rel_sd"``, ``"between.V_dot.std"``) and the table as
  ``path`` (``"[parameters] V_dot"``); errors raised by the scenario parser itself carry the
  scenario parameter (``"V_dot"``).

The twelve src bugs these cases found when they were written are fixed; each case pins one.
"""
from __future__ import annotations

import copy
import math
import pickle
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import celltwin as ct
from celltwin.platform import schema
from celltwin.platform.errors import (
    FIELDS,
    CelltwinError,
    ParameterError,
    RegistryError,
    ScenarioError,
    UnitError,
)

REF: dict[str, Any] = tomllib.loads(
    resources.files("celltwin").joinpath("scenarios", "reference-cathode.toml").read_text())
DELETE = object()


def edited(*edits: tuple[tuple[str, ...], Any]) -> dict[str, Any]:
    """The reference cathode with ``(path, value)`` edits (``DELETE`` removes the key)."""
    data = copy.deepcopy(REF)
    for path, value in edits:
        table = data
        for key in path[:-1]:
            table = table.setdefault(key, {})
        if value is DELETE:
            table.pop(path[-1], None)
        else:
            table[path[-1]] = value
    return data


def load(*edits: tuple[tuple[str, ...], Any]) -> Callable[[Path], Any]:
    """A case's action: load the edited reference cathode."""
    return lambda tmp_path: ct.Scenario.from_dict(edited(*edits))


def kde(content: str | bytes, column: str | None = None) -> Callable[[Path], Any]:
    """A case's action: q_L as a KDE of a CSV written into tmp_path."""
    def call(tmp_path: Path):
        path = tmp_path / "q_L.csv"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        spec = {"distribution": "kde", "data": str(path), **({"column": column} if column else {})}
        return ct.Scenario.from_dict(edited((("parameters", "q_L"), spec)))
    return call


def bad_toml(tmp_path: Path) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text("[scenario\nname = 1\n")
    return path


def reference() -> ct.Scenario:
    return ct.Scenario.from_dict(REF)


def same(a: Any, b: Any) -> bool:
    """Equality that holds for NaN == NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b) if not isinstance(a, np.ndarray) else bool(np.array_equal(a, b))


def case(id: str, call: Callable[[Path], Any], error: type[CelltwinError], *fragments: str, **fields: Any):
    """One refusal: ``call(tmp_path)`` raises exactly ``error`` with every fragment in its message
    and every given field equal (``parameter``, ``value``, ``unit``, ``valid``, ``path``)."""
    return id, call, error, fragments, fields


PAIR = ("V_dot", "v_web")

CASES = [
    # -- [correlations] -------------------------------------------------------------------------
    case("corr-self", load((("correlations",), {"V_dot": {"V_dot": 0.5}})), ScenarioError,
         "V_dot-V_dot", "with itself", parameter="V_dot-V_dot", value=0.5),
    case("corr-contradictory-pair", load((("correlations",), {"V_dot": {"v_web": 0.5}, "v_web": {"V_dot": -0.5}})),
         ScenarioError, "v_web-V_dot", "given twice", "0.5", "-0.5", parameter="v_web-V_dot", value=-0.5),
    case("corr-string", load((("correlations",), {"V_dot": {"v_web": "0.3"}})), ScenarioError,
         "V_dot-v_web", "'0.3'", "must be a number", parameter="V_dot-v_web", value="0.3", valid="(-1, 1)"),
    case("corr-bool", load((("correlations",), {"V_dot": {"v_web": True}})), ScenarioError,
         "V_dot-v_web", "must be a number", parameter="V_dot-v_web", value=True),
    case("corr-nan", load((("correlations",), {"V_dot": {"v_web": math.nan}})), ScenarioError,
         "V_dot-v_web", parameter="V_dot-v_web", valid="(-1, 1)"),
    case("corr-one", load((("correlations",), {"V_dot": {"v_web": 1.0}})), ScenarioError,
         "V_dot-v_web", "outside the valid range (-1, 1)"),
    case("corr-not-positive-definite",
         load((("correlations",), {"V_dot": {"v_web": 0.9, "w_coat": 0.9}, "v_web": {"w_coat": -0.9}})),
         ScenarioError, "correlations", "positive definite"),
    case("corr-fixed-parameter", load((("correlations",), {"V_dot": {"rho_AM": 0.5}})), ScenarioError,
         "'rho_AM' is not an uncertain parameter", parameter="rho_AM"),
    case("corr-unknown-parameter", load((("correlations",), {"V_dot": {"v_webb": 0.5}})), ScenarioError,
         "'v_webb'", "did you mean 'v_web'", parameter="v_webb"),
    case("corr-row-not-a-table", load((("correlations",), {"V_dot": 0.5})), ScenarioError,
         "[correlations] V_dot", parameter="V_dot"),
    # -- distributions of [parameters] ----------------------------------------------------------
    case("uniform-value-outside",
         load((("parameters", "q_L"), {"distribution": "uniform", "low": 80, "high": 90, "value": 95})),
         ScenarioError, "q_L", "value = 95", "outside its own uniform interval", parameter="q_L", value=95,
         valid="[80, 90]", unit="N/mm"),
    case("uniform-low-above-high", load((("parameters", "q_L"), {"distribution": "uniform", "low": 90, "high": 80})),
         ScenarioError, "q_L", "must be below high", parameter="q_L"),
    case("uniform-with-std",
         load((("parameters", "q_L"), {"distribution": "uniform", "low": 80, "high": 90, "std": 1})),
         ScenarioError, "[parameters] q_L", "'std' is not used by a uniform distribution", parameter="q_L",
         path="[parameters] q_L"),
    case("normal-with-low", load((("parameters", "q_L"), {"distribution": "normal", "value": 84, "std": 1, "low": 80})),
         ScenarioError, "[parameters] q_L", "'low' is not used by a normal distribution", parameter="q_L",
         path="[parameters] q_L"),
    case("normal-with-high", load((("parameters", "q_L"), {"value": 84, "std": 1, "high": 90})),
         ScenarioError, "[parameters] q_L", "'high' is not used by a normal distribution", parameter="q_L"),
    case("normal-with-data",
         load((("parameters", "q_L"), {"distribution": "normal", "value": 84, "std": 1, "data": "q.csv"})),
         ScenarioError, "[parameters] q_L", "'data' is not used by a normal distribution", parameter="q_L"),
    case("unknown-distribution", load((("parameters", "q_L"), {"distribution": "normall", "value": 84, "std": 1})),
         ScenarioError, "[parameters] q_L", "unknown distribution 'normall'", "did you mean 'normal'",
         parameter="q_L", value="normall"),
    case("misspelt-rel_sd", load((("parameters", "V_dot"), {"value": 696, "rel_sd": 0.01})), ScenarioError,
         "[parameters] V_dot", "'rel_sd'", "did you mean 'rel_std'", parameter="V_dot", path="[parameters] V_dot"),
    case("normal-without-spread", load((("parameters", "q_L"), {"distribution": "normal", "value": 84})),
         ScenarioError, "q_L", "needs 'std' or 'rel_std'", parameter="q_L"),
    case("normal-std-and-rel_std", load((("parameters", "q_L"), {"value": 84, "std": 1, "rel_std": 0.01})),
         ScenarioError, "q_L", "either 'std' or 'rel_std'", parameter="q_L"),
    case("normal-negative-std", load((("parameters", "q_L"), {"value": 84, "std": -1})), ScenarioError,
         "q_L", "must be positive", parameter="q_L", valid="(0, inf)"),
    case("lognormal-non-positive", load((("parameters", "q_L"), {"distribution": "lognormal", "value": 0, "std": 1})),
         ScenarioError, "q_L", "positive", parameter="q_L"),
    case("truncated-normal-value-outside",
         load((("parameters", "q_L"), {"distribution": "truncated-normal", "value": 84, "std": 1, "low": 85})),
         ScenarioError, "q_L", "must lie between", parameter="q_L"),
    case("lognormal-huge-spread",
         lambda tmp_path: ct.Scenario.from_dict(edited(
             (("parameters", "q_L"), {"distribution": "lognormal", "value": 84, "rel_std": 1e200}))).sample(5),
         ScenarioError, "q_L"),
    # -- [study] ---------------------------------------------------------------------------------
    case("seed-float", load((("study", "seed"), 3.7)), ScenarioError, "[study]", "seed = 3.7", "integer",
         parameter="seed", value=3.7, path="[study]"),
    case("seed-bool", load((("study", "seed"), True)), ScenarioError, "seed = True", "integer",
         parameter="seed", value=True),
    case("seed-string", load((("study", "seed"), "1")), ScenarioError, "seed = '1'", "integer",
         parameter="seed", value="1"),
    case("seed-negative", load((("study", "seed"), -1)), ScenarioError, "seed = -1", "[0, 4294967295]",
         parameter="seed", value=-1, valid="[0, 4294967295]", path="[study]"),
    case("seed-2**32", load((("study", "seed"), 2**32)), ScenarioError, "seed = 4294967296", "[0, 4294967295]",
         parameter="seed", value=2**32, valid="[0, 4294967295]"),
    case("samples-zero", load((("study", "samples"), 0)), ScenarioError, "samples = 0", "[1, inf]",
         parameter="samples", value=0, valid="[1, inf]"),
    # strict: a float is not an integer in a scenario file, even 10.0 (the API's schema.integer accepts it)
    case("samples-10.0", load((("study", "samples"), 10.0)), ScenarioError, "samples = 10.0", "must be an integer",
         parameter="samples", value=10.0),
    case("method-halton", load((("study", "method"), "halton")), ScenarioError, "method = 'halton'", "'sobol'",
         parameter="method", value="halton"),
    case("study-unknown-key", load((("study", "sample"), 10)), ScenarioError, "'sample'", "did you mean 'samples'",
         parameter="sample"),
    # -- [scenario] current_density --------------------------------------------------------------
    case("current_density-string", load((("scenario", "current_density"), "1")), ScenarioError,
         "current_density = '1'", "(0, inf)", parameter="current_density", value="1", unit="mA/cm^2",
         valid="(0, inf)"),
    case("current_density-inf", load((("scenario", "current_density"), math.inf)), ScenarioError,
         "current_density = inf", parameter="current_density", value=math.inf),
    case("current_density-zero", load((("scenario", "current_density"), 0)), ScenarioError,
         "current_density = 0", parameter="current_density", value=0, valid="(0, inf)"),
    case("current_density-negative", load((("scenario", "current_density"), -1)), ScenarioError,
         "current_density = -1", parameter="current_density", value=-1),
    case("current_density-bool", load((("scenario", "current_density"), True)), ScenarioError,
         "current_density = True", parameter="current_density", value=True),
    # -- [segments] ------------------------------------------------------------------------------
    case("segments-count-string", load((("segments", "count"), "3")), ScenarioError, "[segments]", "count = '3'",
         "integer", parameter="count", value="3", path="[segments]"),
    case("segments-count-zero", load((("segments", "count"), 0)), ScenarioError, "count = 0", "[1, 1000000]",
         parameter="count", value=0, valid="[1, 1000000]"),
    case("segments-std-negative", load((("segments", "between"), {"V_dot": {"std": -1}})), ScenarioError,
         "between.V_dot.std = -1", "outside its valid range", parameter="between.V_dot.std", value=-1,
         valid="[0, inf]"),
    case("segments-std-nan", load((("segments", "between"), {"V_dot": {"std": math.nan}})), ScenarioError,
         "between.V_dot.std", "finite", parameter="between.V_dot.std", value=math.nan),
    case("segments-std-and-rel_std", load((("segments", "between"), {"V_dot": {"std": 1, "rel_std": 0.1}})),
         ScenarioError, "[segments.between] V_dot", "exactly one of 'std' or 'rel_std'", parameter="V_dot"),
    case("segments-empty-spread", load((("segments", "between"), {"V_dot": {}})), ScenarioError,
         "[segments.between] V_dot", "exactly one", parameter="V_dot"),
    case("segments-unknown-parameter", load((("segments", "between"), {"V_dott": {"std": 1}})), ScenarioError,
         "'V_dott'", "did you mean 'V_dot'", parameter="V_dott"),
    case("segments-computed-parameter", load((("segments", "between"), {"m_dry": {"std": 1}})), ScenarioError,
         "'m_dry'", "no value in [parameters]", parameter="m_dry"),
    case("segments-drift-string", load((("segments", "drift"), {"V_dot": {"per_segment": "1"}})), ScenarioError,
         "drift.V_dot.per_segment = '1'", "must be a number", parameter="drift.V_dot.per_segment", value="1"),
    case("segments-unknown-key", load((("segments", "cuont"), 3)), ScenarioError, "'cuont'", "did you mean 'count'",
         parameter="cuont"),
    # -- values ------------------------------------------------------------------------------------
    case("value-nan", load((("parameters", "V_dot"), {"value": math.nan, "rel_std": 0.01})), ScenarioError,
         "[parameters] V_dot", "value = nan", "finite", parameter="V_dot", value=math.nan,
         path="[parameters] V_dot"),
    case("value-inf", load((("parameters", "V_dot"), {"value": math.inf, "rel_std": 0.01})), ScenarioError,
         "[parameters] V_dot", "finite", parameter="V_dot"),
    case("bare-nan", load((("parameters", "V_dot"), math.nan)), ScenarioError, "V_dot = nan", "finite",
         parameter="V_dot", value=math.nan),
    case("value-string", load((("parameters", "V_dot"), {"value": "696", "rel_std": 0.01})), ScenarioError,
         "[parameters] V_dot", "value = '696'", "must be a number", parameter="V_dot", value="696"),
    case("bare-string", load((("parameters", "V_dot"), "696")), ScenarioError, "V_dot = '696'",
         "must be a number", parameter="V_dot", value="696"),
    case("value-out-of-catalog-range", load((("parameters", "w_AM"), 2.0)), ParameterError, "w_AM = 2",
         "[0, 1]", parameter="w_AM", value=2.0, valid="[0, 1]"),
    case("unknown-parameter", load((("parameters", "q_l"), 84)), ScenarioError, "'q_l'", "did you mean 'q_L'"),
    case("balance-twice", load((("parameters", "w_AM"), "balance")), ScenarioError, "\"balance\"",
         parameter="w_PB"),
    # -- [scenario] components and chain -----------------------------------------------------------
    case("components-duplicate", load((("scenario", "components"), ["AM", "CA", "PB", "CA"])), ScenarioError,
         "components", "'CA' listed more than once", parameter="components"),
    case("components-not-a-list", load((("scenario", "components"), 0)), ScenarioError, "components"),
    case("chain-unknown-container", load((("scenario", "chain"), ["mixing", "dispersion", "coatng", "drying",
                                                                   "calendering"])),
         RegistryError, "unknown container 'coatng'", "did you mean 'coating'"),
    case("chain-duplicate-step",
         load((("scenario", "chain"), ["mixing", "dispersion", "coating", "drying", "calendering", "drying"])),
         ScenarioError, "chain", "more than once", parameter="chain"),
    case("scenario-unknown-key", load((("scenario", "chian"), ["mixing"])), ScenarioError, "'chian'",
         "did you mean 'chain'"),
    case("chain-not-a-list", load((("scenario", "chain"), "mixing")), ScenarioError, "[scenario]", "chain = 'mixing'",
         parameter="chain", value="mixing"),
    # -- units -------------------------------------------------------------------------------------
    case("unit-wrong-dimension", load((("parameters", "V_dot"), {"value": 696, "unit": "kg", "rel_std": 0.01})),
         UnitError, "V_dot", "'kg'", "'cm^3/h'", parameter="V_dot", unit="kg", valid="cm^3/h"),
    case("unit-unknown", load((("parameters", "V_dot"), {"value": 696, "unit": "foo", "rel_std": 0.01})),
         UnitError, "V_dot", "'foo'", parameter="V_dot", unit="foo"),
    case("unit-not-a-string", load((("parameters", "V_dot"), {"value": 696, "unit": 5, "rel_std": 0.01})),
         ScenarioError, "[parameters] V_dot", "unit = 5", "must be a string", parameter="V_dot"),
    *[case(f"unit-malformed-{unit}", load((("parameters", "V_dot"), {"value": 696, "unit": unit, "rel_std": 0.01})),
           UnitError, "V_dot", repr(unit), parameter="V_dot", unit=unit)
      for unit, raised in (("m**", "AssertionError"), ("(", "tokenize.TokenError"), ("1/0", "ZeroDivisionError"),
                           ("1 2", "ValueError"))],
    # -- sections ----------------------------------------------------------------------------------
    case("section-not-a-table", load((("study",), 5)), ScenarioError, "[study] must be a table", path="[study]"),
    case("unknown-section", load((("studdy",), {})), ScenarioError, "'studdy'", "did you mean 'study'"),
    case("container-options-not-a-table", load((("containers", "drying"), 5)), ScenarioError,
         "[containers.drying] must be a table", parameter="drying"),
    case("container-not-in-chain", load((("containers", "coatin"), {})), ScenarioError, "'coatin'",
         "did you mean 'coating'"),
    case("container-unknown-option", load((("containers", "drying", "porosty"), "given")), ParameterError,
         "'porosty'", "did you mean 'porosity'"),
    # -- KDE data ----------------------------------------------------------------------------------
    case("kde-empty-file", kde(""), ScenarioError, "q_L.csv", "not a readable CSV"),
    case("kde-header-only", kde("q_L\n"), ScenarioError, "'q_L'", "at least 5", parameter="q_L"),
    case("kde-four-rows", kde("q_L\n80\n81\n82\n83\n"), ScenarioError, "'q_L'", "at least 5", "got 4",
         parameter="q_L"),
    case("kde-non-numeric", kde("q_L\n80\n81\nabc\n83\n84\n85\n"), ScenarioError, "column 'q_L'", "row 3",
         "'abc' is not a number", parameter="q_L"),
    case("kde-constant", kde("q_L\n80\n80\n80\n80\n80\n80\n"), ScenarioError, "'q_L'", "equal 80", parameter="q_L"),
    case("kde-missing-column", kde("x\n80\n81\n82\n83\n84\n85\n"), ScenarioError, "no column 'q_L'", "columns: x",
         parameter="q_L"),
    case("kde-named-column-missing", kde("x\n80\n81\n82\n83\n84\n85\n", column="y"), ScenarioError,
         "no column 'y'", parameter="y"),
    case("kde-not-a-csv", kde(b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00binary"), ScenarioError, "q_L.csv",
         "not a readable CSV"),
    case("kde-missing-file",
         lambda tmp_path: ct.Scenario.from_dict(edited(
             (("parameters", "q_L"), {"distribution": "kde", "data": str(tmp_path / "none.csv")}))),
         ScenarioError, "none.csv", "does not exist"),
    case("kde-data-is-a-directory",
         lambda tmp_path: ct.Scenario.from_dict(edited(
             (("parameters", "q_L"), {"distribution": "kde", "data": str(tmp_path)}))),
         ScenarioError, "KDE data file"),
    case("kde-infinite-measurement", kde("q_L\n80\n81\ninf\n83\n84\n85\n"), ScenarioError, "'q_L'", "inf"),
    case("kde-denormal-spread", kde("q_L\n1e-320\n2e-320\n0\n0\n0\n"), ScenarioError, "q_L", "cannot be built"),
    # -- files ----------------------------------------------------------------------------------------
    case("load-toml-syntax-error", lambda tmp_path: ct.Scenario.load(bad_toml(tmp_path)), ScenarioError,
         "bad.toml", "not valid TOML", "line 1"),
    case("load-directory", lambda tmp_path: ct.Scenario.load(tmp_path), ScenarioError, "is not a file"),
    case("load-missing-file", lambda tmp_path: ct.Scenario.load(tmp_path / "missing.toml"), ScenarioError,
         "missing.toml", "does not exist"),
    case("load-unknown-builtin", lambda tmp_path: ct.Scenario.load("reference-cathod"), ScenarioError,
         "did you mean 'reference-cathode'"),
    # -- the API ---------------------------------------------------------------------------------------
    case("sample-n-fraction", lambda tmp_path: reference().sample(n=10.5), ParameterError, "samples = 10.5",
         "integer", parameter="samples", value=10.5, valid="[1, inf]"),
    case("sample-n-bool", lambda tmp_path: reference().sample(n=True), ParameterError, "samples = True",
         parameter="samples", value=True),
    case("sample-seed-negative", lambda tmp_path: reference().sample(seed=-1), ParameterError, "seed = -1",
         "[0, 4294967295]", parameter="seed", value=-1, valid="[0, 4294967295]"),
    case("sample-method-unknown", lambda tmp_path: reference().sample(method="x"), ParameterError,
         "sampling method 'x'", "mc", parameter="method", value="x"),
    case("varied-unknown-parameter", lambda tmp_path: reference().varied({"q_LL": 1}), ParameterError,
         "'q_LL'", "did you mean 'q_L'", parameter="q_LL"),
    case("varied-computed-parameter", lambda tmp_path: reference().varied({"m_dry": 1}), ParameterError,
         "'m_dry' is computed", parameter="m_dry"),
    case("varied-negative-scale", lambda tmp_path: reference().varied(scales={"q_L": -1}), ParameterError,
         "scale of q_L", "(0, inf)", parameter="q_L", valid="(0, inf)"),
    case("varied-string-value", lambda tmp_path: reference().varied({"q_L": "abc"}), ParameterError, "q_L"),
    case("chain-evaluate-unknown-input",
         lambda tmp_path: reference().build_chain(with_cell=False).evaluate({**reference().nominal(), "q_LL": 1.0}),
         ParameterError, "'q_LL'", "did you mean 'q_L'", parameter="q_LL"),
    case("chain-evaluate-missing-input",
         lambda tmp_path: reference().build_chain(with_cell=False).evaluate(
             {k: v for k, v in reference().nominal().items() if k != "q_L"}),
         ParameterError, "missing input", "q_L", parameter="q_L"),
    case("chain-evaluate-string-input",
         lambda tmp_path: reference().build_chain(with_cell=False).evaluate({**reference().nominal(), "q_L": "x"}),
         ParameterError, "q_L"),
    case("integer-fraction", lambda tmp_path: schema.integer("n", 10.5, 1), ParameterError, "n = 10.5",
         "integer", parameter="n", value=10.5, valid="[1, inf]"),
    case("integer-bool", lambda tmp_path: schema.integer("n", True, 1), ParameterError, "n = True",
         parameter="n", value=True),
    case("integer-string", lambda tmp_path: schema.integer("n", "10", 1), ParameterError, "n = '10'",
         parameter="n", value="10"),
    case("integer-nan", lambda tmp_path: schema.integer("n", math.nan, 1), ParameterError, "n = nan",
         parameter="n", value=math.nan),
    case("integer-inf", lambda tmp_path: schema.integer("n", math.inf, 1), ParameterError, "n = inf",
         parameter="n"),
    case("integer-below-range", lambda tmp_path: schema.integer("n", 0, 1, 100), ParameterError, "n = 0",
         "outside its valid range [1, 100]", parameter="n", value=0, valid="[1, 100]"),
    case("integer-above-range", lambda tmp_path: schema.integer("n", 101.0, 1, 100), ParameterError, "n = 101",
         "[1, 100]", parameter="n", value=101, valid="[1, 100]"),
    case("check-non-mapping", lambda tmp_path: schema.check(schema.StudyTable, "[study]", 5), ScenarioError,
         "[study]", "expected a table", path="[study]"),
    case("check-list", lambda tmp_path: schema.check(schema.SegmentsTable, "[segments]", [1, 2]), ScenarioError,
         "[segments]", "expected a table", path="[segments]"),
    # -- [specs] ---------------------------------------------------------------------------------------
    case("spec-unknown-parameter", load((("specs", "m_dyr"), {"min": 1})), ScenarioError, "'m_dyr'",
         "did you mean 'm_dry'"),
    case("spec-no-window", load((("specs", "m_dry"), {"value": 14.3})), ScenarioError, "[specs] m_dry",
         "rel_tol"),
    case("spec-min-above-max", load((("specs", "m_dry"), {"min": 15, "max": 14})), ScenarioError, "[specs] m_dry",
         "must be below max"),
    case("spec-unit-wrong-dimension", load((("specs", "m_dry"), {"value": 14.3, "rel_tol": 0.03, "unit": "kg"})),
         UnitError, "'kg'", "[specs] m_dry", parameter="m_dry"),
    case("spec-string-value", load((("specs", "m_dry"), {"value": "abc", "rel_tol": 0.03})), ScenarioError,
         "[specs] m_dry"),
    case("spec-unit-not-a-string", load((("specs", "m_dry"), {"value": 14.3, "rel_tol": 0.03, "unit": True})),
         ScenarioError, "[specs] m_dry"),
    case("spec-infinite-value", load((("specs", "m_dry"), {"value": math.inf, "abs_tol": 1})), ScenarioError,
         "[specs] m_dry", "finite"),
]


def params() -> list:
    """The cases as pytest params."""
    return [pytest.param(call, error, fragments, fields, id=id) for id, call, error, fragments, fields in CASES]


@pytest.mark.parametrize(("call", "error", "fragments", "fields"), params())
def test_refused(call, error, fragments, fields, tmp_path):
    with pytest.raises(CelltwinError) as info:
        call(tmp_path)
    exc = info.value
    assert type(exc) is error, f"{type(exc).__name__}: {exc}"
    message = str(exc)
    assert message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    for key, expected in fields.items():
        assert same(getattr(exc, key), expected), f"{key} = {getattr(exc, key)!r}, expected {expected!r}"


@pytest.mark.parametrize(("call", "error", "fragments", "fields"), params())
def test_error_pickles(call, error, fragments, fields, tmp_path):
    with pytest.raises(CelltwinError) as info:
        call(tmp_path)
    exc = info.value
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert str(back) == str(exc)
    assert back.fields.keys() == exc.fields.keys()
    for key in (*FIELDS, *exc.fields):
        assert same(getattr(back, key), getattr(exc, key)), key


def test_load_errors_name_the_file(tmp_path):
    bad = bad_toml(tmp_path)
    with pytest.raises(ScenarioError) as info:
        ct.Scenario.load(bad)
    assert info.value.path == str(bad)
    with pytest.raises(ScenarioError) as info:
        ct.Scenario.load(tmp_path)
    assert info.value.path == str(tmp_path)
    with pytest.raises(ScenarioError) as info:
        ct.Scenario.load(tmp_path / "missing.toml")
    assert info.value.path == str(tmp_path / "missing.toml")


def test_kde_errors_name_the_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        kde("q_L\n80\n81\nabc\n83\n84\n85\n")(tmp_path)
    assert info.value.path == str(tmp_path / "q_L.csv")


# -- accepted: known answers -------------------------------------------------------------------------------
def test_reference_loads():
    sc = reference()
    assert {k: sc.study[k] for k in ("samples", "seed", "method")} == {"samples": 1000, "seed": 2022, "method": "mc"}
    assert sc.balance == "w_PB"
    assert sc.correlation is None


def test_same_pair_twice_with_equal_values_is_accepted():
    sc = ct.Scenario.from_dict(edited((("correlations",), {"V_dot": {"v_web": 0.5}, "v_web": {"V_dot": 0.5}})))
    names = list(sc.uncertain)
    i, j = names.index("V_dot"), names.index("v_web")
    assert sc.correlation[i, j] == sc.correlation[j, i] == 0.5
    assert np.allclose(np.diag(sc.correlation), 1.0)


def test_percent_unit_converts():
    # eps_min is given in % in the reference file; the catalog unit is the fraction
    assert reference().fixed["eps_min"] == pytest.approx(0.176)


def test_kde_from_relative_csv(tmp_path):
    values = [82.0, 83.0, 84.0, 85.0, 86.0, 84.5]
    (tmp_path / "q.csv").write_text("q_L\n" + "\n".join(map(str, values)) + "\n")
    data = edited((("parameters", "q_L"), {"distribution": "kde", "data": "q.csv"}))
    sc = ct.Scenario.from_dict(data, base=tmp_path)
    assert sc.uncertain["q_L"].value == pytest.approx(np.mean(values))
    assert sc.uncertain["q_L"].data == tuple(values)


@pytest.mark.parametrize(("value", "expected"), [(10, 10), (10.0, 10), (np.int64(7), 7), (np.float64(3.0), 3),
                                                 (0, 0)])
def test_integer_accepts(value, expected):
    got = schema.integer("n", value)
    assert got == expected and type(got) is int


def test_integer_range_is_inclusive():
    assert schema.integer("n", 1, 1, 100) == 1
    assert schema.integer("n", 100, 1, 100) == 100
    assert schema.integer("seed", schema.MAX_SEED, 0, schema.MAX_SEED) == 2**32 - 1


def test_errors_are_builtins_too():
    """Callers may catch the builtin: every refusal class here is also a ValueError (RegistryError a KeyError)."""
    for cls in (ScenarioError, ParameterError, UnitError):
        assert issubclass(cls, ValueError) and issubclass(cls, CelltwinError)
    assert issubclass(RegistryError, KeyError)


def test_correlation_errors_carry_fields():
    with pytest.raises(ScenarioError) as info:
        ct.Scenario.from_dict(edited((("correlations",), {"V_dot": {"v_web": 1.0}})))
    assert info.value.parameter == "V_dot-v_web"
    assert info.value.value == 1.0
    assert info.value.valid == "(-1, 1)"


@pytest.mark.parametrize(("edit", "expected"), [
    ((("scenario", "chain"), "mixing"), "list"),
    ((("segments", "between"), 5), "table"),
])
def test_type_errors_name_the_expected_type(edit, expected):
    with pytest.raises(ScenarioError) as info:
        ct.Scenario.from_dict(edited(edit))
    assert "must be a number" not in str(info.value)
    assert expected in str(info.value)


def test_drying_anchor_string_refused():
    with pytest.raises(ParameterError, match="anchor_eps_dry"):
        ct.Scenario.from_dict(edited((("containers", "drying", "anchor_eps_dry"), "x")))


@pytest.mark.parametrize("edit", [
    (("containers", "drying", "anchor_m_wet"), "x"),
    (("containers", "drying", "metamodel"), "no-such-metamodel.json"),
])
def test_drying_options_refused_up_front(edit):
    with pytest.raises(CelltwinError):
        ct.Scenario.from_dict(edited(edit))
