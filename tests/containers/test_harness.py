"""One harness every process container passes: units resolvable, vectorized equals
scalar, outputs inside their catalog bounds for inputs inside theirs. (Each container's
own known answers are in test_<module>.py.)"""
import numpy as np
import pytest

import celltwin as ct
from celltwin.platform.registry import containers
from celltwin.platform.units import affine

PROCESS = ["mixing", "dispersion", "coating", "drying", "calendering"]
VARIANTS = [("drying", {"porosity": "given"}), ("calendering", {"compaction": "constant"}),
            ("calendering", {"compaction": "linear"})] + [(n, {}) for n in ("mixing", "dispersion", "coating",
                                                                             "compacted-structure")]


@pytest.fixture(scope="module")
def nominal():
    sc = ct.Scenario.load("reference-cathode")
    values = dict(sc.build_chain(with_cell=False).evaluate(sc.nominal()))
    values.update({"gamma_c0": 100.0, "k_gamma_m": 3.0, "k_gamma_T": 0.2, "T_roll": 50.0, "eps_dry": 0.439})
    return sc.catalog, values


def _inputs(container, catalog, nominal, n, rng):
    """Inputs within bounds: each nominal scaled by up to +-3 %, mass fractions rebalanced."""
    out = {}
    for name, unit in container.inputs().items():
        s, o = affine(catalog[name].unit, unit)
        out[name] = (nominal[name] * (1 + 0.03 * rng.uniform(-1, 1, n))) * s + o
    ws = [k for k in out if k.startswith("w_")]
    if ws:
        total = sum(out[k] for k in ws)
        for k in ws:
            out[k] = out[k] / total
    return out


@pytest.mark.parametrize("name,options", VARIANTS)
def test_declared_units_resolve(name, options, nominal):
    catalog, _ = nominal
    c = containers.get(name)(**options)
    for p, unit in {**c.inputs(), **c.outputs()}.items():
        affine(catalog[p].unit, unit)


@pytest.mark.parametrize("name,options", VARIANTS)
def test_vectorized_equals_scalar(name, options, nominal):
    catalog, values = nominal
    c = containers.get(name)(**options)
    rng = np.random.default_rng(7)
    x = _inputs(c, catalog, values, 50, rng)
    vec = c.evaluate(x)
    for i in range(50):
        one = c.evaluate({k: float(v[i]) for k, v in x.items()})
        for k in vec:
            assert float(one[k]) == vec[k][i]


@pytest.mark.parametrize("name,options", VARIANTS)
def test_outputs_in_bounds(name, options, nominal):
    catalog, values = nominal
    c = containers.get(name)(**options)
    x = _inputs(c, catalog, values, 2000, np.random.default_rng(3))
    assert not any(bad.any() for bad, _ in c.constraints(x))
    out = c.evaluate(x)
    for p, unit in c.outputs().items():
        s, o = affine(unit, catalog[p].unit)
        assert not catalog[p].invalid_mask(out[p] * s + o).any(), p


def test_every_process_step_is_registered():
    for name in PROCESS:
        assert containers.get(name).name == name
