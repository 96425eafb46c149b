"""The virtual DoE: design, resumable CSV, progress callback."""
from __future__ import annotations

import pytest

pytest.importorskip("taufactor")
# coarse test structures whose macro pores barely percolate: TauFactor may stop at its limit
pytestmark = pytest.mark.filterwarnings("ignore:TauFactor stopped")

from celltwin.microstructure.doe import FACTORS, design, evaluate_row, run_design  # noqa: E402
from celltwin.microstructure.generate import Grid, Recipe, generate  # noqa: E402
from celltwin.microstructure.properties import electronic_conductivity  # noqa: E402


def test_design_covers_the_factors_with_repetitions():
    d = design(5, 2, seed=1)
    assert len(d) == 10 and set(d["rep"]) == {0, 1}
    for k, (lo, hi) in FACTORS.items():
        assert d[k].between(lo, hi).all()


def test_run_design_resumes(tmp_path):
    calls = []
    path = tmp_path / "d.csv"
    grid, fine = Grid(n=12, voxels_per_radius=2.0), Grid(n=24, voxels_per_radius=4.0)
    first = run_design(path, points=2, reps=1, grid=grid, electronic_grid=fine,
                       progress=lambda d, n: calls.append((d, n)))
    assert len(first) == 2 and calls[-1] == (2, 2)
    calls.clear()
    again = run_design(path, points=2, reps=1, grid=grid, electronic_grid=fine,
                       progress=lambda d, n: calls.append((d, n)))
    assert len(again) == 2 and calls == [(2, 2)]
    assert (tmp_path / "d.provenance.json").exists()


def test_kappa_comes_from_the_finer_grid_of_the_same_structure():
    """kappa_s_eff is computed on the electronic grid: the same seed and box (in R_p), finer voxels."""
    row = {"point": 0, "rep": 1, "eps_cal": 0.315, "X_CBD": 0.101, "R_p": 5.5}
    grid, fine = Grid(n=16, voxels_per_radius=2.0), Grid(n=32, voxels_per_radius=4.0)
    out = evaluate_row(row, grid, fine)
    recipe = Recipe(porosity=0.315, x_cbd=0.101, radius=5.5)
    assert out["kappa_s_eff"] == pytest.approx(electronic_conductivity(generate(recipe, fine, seed=1)), rel=1e-12)
    coarse = evaluate_row(row, grid, None)
    assert coarse["tau_e"] == pytest.approx(out["tau_e"], rel=1e-12)
    assert coarse["kappa_s_eff"] == pytest.approx(electronic_conductivity(generate(recipe, grid, seed=1)), rel=1e-12)
