"""The carbon-binder domain (metamodels/cbd.py): mass bookkeeping while it shrinks, and the porosity split."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.metamodels.cbd import CarbonBinderDomain, porosity_split
from celltwin.metamodels.particles import Formulation, build_particles, carbon_binder
from celltwin.platform.errors import ParameterError

F = Formulation()


def test_carbon_and_binder_mass_is_conserved_while_the_cbd_shrinks():
    cbd = carbon_binder(F, 0.5, 1.5)
    x = np.linspace(1.0, 0.0, 11)                      # solvent left: wet -> dry
    r = cbd.wet_radius(1.5, x)
    assert r[0] == pytest.approx(1.5 * 1.5 ** (1 / 3), rel=1e-14) and r[-1] == pytest.approx(1.5, rel=1e-14)
    assert np.all(np.diff(r) < 0)                      # it shrinks monotonically
    wet_volume = 4 / 3 * np.pi * r ** 3
    total = cbd.wet_density(1.5, x, F.rho_solvent) * wet_volume
    solvent = cbd.solvent_mass(1.5, x, F.rho_solvent)
    # what leaves is solvent only: carbon + binder stay at their dry mass, 3 % + 3 % of the solids
    np.testing.assert_allclose(total - solvent, cbd.solid_mass(1.5), rtol=1e-13)
    solid_volume = float(cbd.solid_mass(1.5)) / cbd.solid_density
    assert solid_volume == pytest.approx(0.5 * 4 / 3 * np.pi * 1.5 ** 3, rel=1e-13)  # 50 % nanopores when dry
    # the dry CBD's nanopores are filled with solvent, nothing else, at the end
    assert float(solvent[-1]) == pytest.approx(F.rho_solvent * 0.5 * 4 / 3 * np.pi * 1.5 ** 3, rel=1e-13)
    # Archimedes: the buoyant mass is the skeleton's, whatever the swelling
    assert float(cbd.buoyant_mass(1.5, F.rho_solvent)) == pytest.approx(
        float(total[0]) - F.rho_solvent * float(wet_volume[0]), rel=1e-12)
    assert cbd.solid_density == pytest.approx(0.06 / (0.03 / 1.8 + 0.03 / 1.7), rel=1e-14)


def test_the_particle_set_carries_the_dry_loading_and_the_carbon_binder():
    cbd = carbon_binder(F, 0.5, 1.5)
    p = build_particles(20.5, F, 40.0, 5.5, 0.25, 5, 1.5, cbd, np.random.default_rng(0))
    area = p.side ** 2
    assert p.solid_mass / area == pytest.approx(20.5 * F.x_solids * 10, rel=1e-12)  # pg/µm^2 = 0.1 mg/cm^2
    cbd_mass = float(np.sum(cbd.solid_mass(p.dry_radius[p.is_cbd])))
    assert cbd_mass / area == pytest.approx(20.5 * F.x_solids * 10 * (F.w_CA + F.w_PB), rel=1e-12)
    assert p.cbd_radius == pytest.approx(1.5, rel=0.01)
    assert np.all(p.radius(1.0)[p.is_cbd] > p.radius(0.0)[p.is_cbd])


def test_overall_porosity_is_bulk_plus_nano_and_equals_eq_13():
    cbd = carbon_binder(F, 0.5, 1.5)
    p = build_particles(20.5, F, 40.0, 5.5, 0.25, 5, 1.5, cbd, np.random.default_rng(1))
    h = 60.0
    split = porosity_split(h, p.side ** 2, p.am_volume, p.cbd_envelope_volume, 0.5)
    assert split.overall == pytest.approx(split.bulk + split.nano, rel=1e-14)
    eq13 = 1.0 - F.solid_thickness(20.5) / h          # 1 - m_dry / (rho_solids h), the chain's porosity
    assert split.overall == pytest.approx(eq13, rel=1e-12)
    assert split.nano == pytest.approx(0.5 * p.cbd_envelope_volume / (p.side ** 2 * h), rel=1e-14)
    assert 0 < split.bulk < split.overall


def test_bad_cbd_parameters_are_named():
    with pytest.raises(ParameterError, match=r"nanoporosity = 1.2"):
        CarbonBinderDomain(0.03, 0.03, 1.8, 1.7, nanoporosity=1.2)
    with pytest.raises(ParameterError, match=r"swelling = 0.5"):
        CarbonBinderDomain(0.03, 0.03, 1.8, 1.7, swelling=0.5)
