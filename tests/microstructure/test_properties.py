"""Known answers of the 3D solver path (TauFactor and the conjugate-gradient conductance)."""
from __future__ import annotations

import builtins

import numpy as np
import pytest

pytest.importorskip("taufactor")
# coarse test structures whose macro pores barely percolate: TauFactor may stop at its limit
pytestmark = pytest.mark.filterwarnings("ignore:TauFactor stopped")

from celltwin.microstructure import properties as P  # noqa: E402
from celltwin.microstructure.generate import AM, CBD, PORE, Grid, Recipe, generate, particles  # noqa: E402
from celltwin.platform.errors import MissingDependencyError  # noqa: E402


def channels(n: int = 40) -> np.ndarray:
    """Straight pore channels along the transport axis (0) in a solid block, 25 % open."""
    img = np.full((n, n, n), AM, dtype=np.uint8)
    img[:, ::2, ::2] = PORE
    return img


def test_straight_channels_have_tortuosity_one():
    img = channels()
    eps = np.mean(img == PORE)
    d = P.relative_conductance(img, {PORE: 1.0})
    assert eps / d == pytest.approx(1.0, abs=0.01)
    assert P.conductance((img == PORE).astype(float)) == pytest.approx(eps, rel=1e-3)


def test_layered_conductor_hits_the_series_and_parallel_bounds():
    n = 30
    img = np.full((n, n, n), AM, dtype=np.uint8)
    img[:, :, : n // 2] = CBD                         # layers parallel to the current
    k1, k2 = 1.0, 10.0
    parallel = 0.5 * (k1 + k2)
    assert P.relative_conductance(img, {AM: k1, CBD: k2}) == pytest.approx(parallel, rel=0.02)
    assert P.conductance(np.where(img == AM, k1, k2)) == pytest.approx(parallel, rel=1e-3)
    series_img = np.swapaxes(img, 0, 2)                # layers across the current
    series = 1.0 / (0.5 / k1 + 0.5 / k2)
    assert P.relative_conductance(series_img, {AM: k1, CBD: k2}) == pytest.approx(series, rel=0.03)
    assert P.conductance(np.where(series_img == AM, k1, k2)) == pytest.approx(series, rel=0.03)


def test_random_sphere_packing_lies_in_the_bruggeman_range():
    """Pores of a random packing of polydisperse spheres: Bruggeman exponent between 1.5
    (Bruggeman 1935; Chung et al., Model. Simul. Mater. Sci. Eng. 21, 074009, 2013, for
    sphere packings) and 2.2 (Archie-range values of resolved electrode images, Tjaden et al.,
    Curr. Opin. Chem. Eng. 12, 44, 2016), and above the Hashin-Shtrikman bound (3 - eps)/2."""
    grid = Grid(n=40, voxels_per_radius=5.0)
    pore = ~particles(Recipe(porosity=0.40, x_cbd=0.01), grid, np.random.default_rng(0))
    eps = pore.mean()
    tau = eps / P.relative_conductance(pore.astype(np.uint8), {1: 1.0})
    exponent = 1.0 - np.log(tau) / np.log(eps)
    assert 1.5 <= exponent <= 2.2
    assert tau >= (3.0 - eps) / 2.0


def test_taufactor_and_conjugate_gradients_agree_on_a_multiphase_structure():
    img = generate(Recipe(), Grid(n=24, voxels_per_radius=3.0), seed=2)
    cond = {AM: 1.0, CBD: 20.0}
    tf = P.relative_conductance(img, cond)
    cg = P.conductance(np.select([img == AM, img == CBD], [1.0, 20.0], 0.0), rtol=1e-8)
    assert cg == pytest.approx(tf, rel=0.03)


def test_staircase_correction_recovers_a_sphere_area():
    n, r = 40, 12.0
    g = np.arange(n) - n / 2 + 0.5
    img = np.where(g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2 <= r * r, AM, PORE)
    area = P.active_surface(img.astype(np.uint8), voxel_size=1.0) * img.size
    assert area == pytest.approx(4 * np.pi * r * r, rel=0.03)


def test_properties_of_a_small_structure_are_ordered():
    img = generate(Recipe(), Grid(n=24, voxels_per_radius=3.0), seed=1)
    p = P.properties(img, voxel_size=5.5e-6 / 3)
    assert p["tau_e"] <= p["tau_pore"]                 # CBD nanopores add ionic paths
    assert P.KAPPA_AM < p["kappa_s_eff"] < P.KAPPA_CBM
    assert 0 < p["a_s"] < 3 * 0.584 / 5.5e-6           # CBD covers part of the bare sphere surface


def test_missing_solver_says_how_to_install(monkeypatch):
    real = builtins.__import__

    def no_taufactor(name, *args, **kwargs):
        if name == "taufactor":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_taufactor)
    with pytest.raises(MissingDependencyError, match=r"pip install 'celltwin\[structure\]'"):
        P.relative_conductance(channels(8), {PORE: 1.0})
