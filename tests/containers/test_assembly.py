"""Cell assembly and formation (containers/assembly.py) against a hand calculation of a small
pouch cell, the N/P identity and the declared units (the harness rules for cell-level containers)."""
import numpy as np
import pytest

from celltwin.containers.assembly import Assembly, Formation
from celltwin.platform.catalog import default_catalog
from celltwin.platform.registry import containers
from celltwin.platform.units import affine

#: a two-layer pouch in the catalog units (mg/cm^2, um, g/cm^3, cm^2, g)
CELL = {"cathode.w_AM": 0.94, "cathode.m_dry": 14.3, "cathode.q_AM": 163.0, "cathode.h_cal": 48.5,
        "cathode.eps_cal": 0.315, "cathode.t_foil": 15.0, "cathode.rho_foil": 2.70,
        "anode.w_AM": 0.95, "anode.m_dry": 6.8, "anode.q_AM": 371.9, "anode.h_cal": 46.5, "anode.eps_cal": 0.33,
        "anode.t_foil": 10.0, "anode.rho_foil": 8.96,
        "A_el": 80.0, "f_overhang": 1.0455, "n_layers": 2.0, "t_sep": 25.0, "eps_sep": 0.39, "rho_sep": 0.92,
        "f_el": 1.2, "rho_el": 1.20, "m_housing": 8.0, "A_pouch": 144.84, "t_pouch": 153.0, "li_loss": 0.08}


def catalog():
    cat = default_catalog(["AM", "CA", "PB"])
    return cat.with_lines({"cathode": cat, "anode": cat}, {"cathode": (), "anode": ()})


def run(container, values):
    """Evaluate in the container's declared units from catalog-unit values; outputs back in catalog units."""
    cat = catalog()
    args = {}
    for p, unit in container.inputs().items():
        s, o = affine(cat[p].unit, unit)
        args[p] = np.asarray(values[p], dtype=float) * s + o
    out = container.evaluate(args)
    res = {}
    for p, unit in container.outputs().items():
        s, o = affine(unit, cat[p].unit)
        res[p] = np.asarray(out[p]) * s + o
    return res


def test_registered():
    assert containers.get("assembly") is Assembly
    assert containers.get("formation") is Formation


def test_declared_units_resolve():
    cat = catalog()
    for c in (Assembly(), Formation()):
        for p, unit in {**c.inputs(), **c.outputs()}.items():
            affine(cat[p].unit, unit)


def test_two_layer_pouch_by_hand():
    out = run(Assembly(), CELL)
    # areal capacities, mAh/cm^2: w_AM m_dry[g/cm^2] q_AM
    q_pos = 0.94 * 14.3e-3 * 163.0
    q_neg = 0.95 * 6.8e-3 * 371.9
    assert out["cathode.q_areal"] == pytest.approx(q_pos, rel=1e-12)
    assert q_pos == pytest.approx(2.19104, rel=1e-5)
    assert out["np_ratio"] == pytest.approx(q_neg / q_pos, rel=1e-12)
    assert out["np_ratio"] == pytest.approx(1.09650, rel=1e-4)
    assert out["A_cell"] == pytest.approx(4 * 80.0)
    # stack, um: 2 cathodes (15 + 2 x 48.5), 1 inner anode (10 + 2 x 46.5), 2 outer anodes (10 + 46.5),
    # 4 separators of 25
    t_um = 2 * 112.0 + 1 * 103.0 + 2 * 56.5 + 4 * 25.0
    assert t_um == 540.0
    assert out["t_stack"] == pytest.approx(0.540, rel=1e-12)
    # mass, g
    a_neg = 80.0 * 1.0455
    coatings = 4 * 80.0 * 14.3e-3 + 4 * a_neg * 6.8e-3
    foils = 2 * 80.0 * 15e-4 * 2.70 + 3 * a_neg * 10e-4 * 8.96
    separators = 4 * a_neg * 25e-4 * (1 - 0.39) * 0.92
    pores = 4 * (80.0 * 48.5e-4 * 0.315 + a_neg * 46.5e-4 * 0.33 + a_neg * 25e-4 * 0.39)
    m = coatings + foils + separators + 1.2 * pores * 1.20 + 8.0
    assert out["m_cell"] == pytest.approx(m, rel=1e-12)
    assert m == pytest.approx(20.1296, rel=1e-4)  # 6.851 + 2.896 + 0.469 + 1.913 + 8
    assert out["V_cell"] == pytest.approx(144.84 * (0.0540 + 2 * 0.0153), rel=1e-12)


def test_np_ratio_is_proportional_to_the_anode_loading():
    base = run(Assembly(), CELL)["np_ratio"]
    up = run(Assembly(), {**CELL, "anode.m_dry": CELL["anode.m_dry"] * 1.1})["np_ratio"]
    assert up / base == pytest.approx(1.1, rel=1e-12)
    down = run(Assembly(), {**CELL, "cathode.m_dry": CELL["cathode.m_dry"] * 1.1})["np_ratio"]
    assert down / base == pytest.approx(1 / 1.1, rel=1e-12)


def test_formation_takes_the_cathode_or_the_anode_limit():
    asm = run(Assembly(), CELL)
    x = {**CELL, **{k: float(v) for k, v in asm.items()}}
    q_pos, q_neg = asm["cathode.q_areal"], asm["anode.q_areal"]
    cap = run(Formation(), x)["capacity_balanced"]
    assert cap == pytest.approx(320.0 * q_pos * (1 - 0.08) * 1e-3, rel=1e-12)  # cathode-limited, A h
    starved = {**x, "anode.q_areal": 0.8 * q_pos}  # N/P 0.8 < 1 - li_loss: the anode limits
    assert run(Formation(), starved)["capacity_balanced"] == pytest.approx(320.0 * 0.8 * q_pos * 1e-3, rel=1e-12)
    assert q_neg > q_pos


def test_vectorized_equals_scalar():
    rng = np.random.default_rng(5)
    x = {k: v * (1 + 0.02 * rng.uniform(-1, 1, 20)) for k, v in CELL.items()}
    x["n_layers"] = np.full(20, 2.0)
    vec = run(Assembly(), x)
    for i in range(20):
        one = run(Assembly(), {k: float(v[i]) for k, v in x.items()})
        for k in vec:
            assert float(one[k]) == pytest.approx(float(vec[k][i]), rel=1e-14)


def test_layers_must_be_whole():
    a = Assembly()
    (bad, message), = a.constraints({"n_layers": np.array([2.0, 2.5])})
    assert bad.tolist() == [False, True]
    assert "n_layers = 2.5" in message and "whole number" in message
    assert a.constraints({"n_layers": np.array([1.0, 20.0])}) == []


def test_other_line_names():
    a = Assembly(positive="pos", negative="neg")
    assert "pos.m_dry" in a.inputs() and "neg.q_areal" in a.outputs()
    assert not any(k.startswith(("cathode.", "anode.")) for k in [*a.inputs(), *a.outputs()])
