"""The virtual DoE: design, resumable CSV, progress callback."""
from __future__ import annotations

import pytest

pytest.importorskip("taufactor")
# coarse test structures whose macro pores barely percolate: TauFactor may stop at its limit
pytestmark = pytest.mark.filterwarnings("ignore:TauFactor stopped")

from celltwin.microstructure.doe import FACTORS, design, run_design  # noqa: E402
from celltwin.microstructure.generate import Grid  # noqa: E402


def test_design_covers_the_factors_with_repetitions():
    d = design(5, 2, seed=1)
    assert len(d) == 10 and set(d["rep"]) == {0, 1}
    for k, (lo, hi) in FACTORS.items():
        assert d[k].between(lo, hi).all()


def test_run_design_resumes(tmp_path):
    calls = []
    path = tmp_path / "d.csv"
    grid = Grid(n=12, voxels_per_radius=2.0)
    first = run_design(path, points=2, reps=1, grid=grid, progress=lambda d, n: calls.append((d, n)))
    assert len(first) == 2 and calls[-1] == (2, 2)
    calls.clear()
    again = run_design(path, points=2, reps=1, grid=grid, progress=lambda d, n: calls.append((d, n)))
    assert len(again) == 2 and calls == [(2, 2)]
    assert (tmp_path / "d.provenance.json").exists()
