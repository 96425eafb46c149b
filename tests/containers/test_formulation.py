"""The formulation (containers/formulation.py): seed 004's components, the mass-balance rule,
the specific volume shared by the containers, and the electrode containers' base class."""
import numpy as np
import pytest

import celltwin as ct
from celltwin.containers import Calendering, Coating, Dispersion, Drying, Mixing
from celltwin.containers.formulation import (
    DEFAULT_COMPONENTS,
    MASS_BALANCE_TOL,
    ElectrodeContainer,
    default_catalog,
    mass_balance_problems,
    mass_fractions,
    specific_volume,
)
from celltwin.platform.catalog import default_catalog as platform_catalog
from celltwin.platform.container import Container

TABLE_A1 = {"w_AM": 0.94, "w_CA": 0.03, "w_PB": 0.03, "rho_AM": 4.75, "rho_CA": 1.80, "rho_PB": 1.70}


def test_default_components_and_mass_fractions():
    assert DEFAULT_COMPONENTS == ("AM", "CA", "PB")
    assert mass_fractions(DEFAULT_COMPONENTS) == ["w_AM", "w_CA", "w_PB"]
    assert mass_fractions(("AM", "SE")) == ["w_AM", "w_SE"]


def test_default_catalog_is_expanded_for_the_default_formulation():
    assert ct.default_catalog is default_catalog
    cat = default_catalog()
    assert {"w_AM", "w_CA", "w_PB", "rho_AM", "rho_CA", "rho_PB", "X_AM", "X_CA", "X_PB"} <= set(cat)
    assert "w_AM" not in platform_catalog()  # the platform's catalog knows no components by itself
    assert set(cat) == set(platform_catalog(DEFAULT_COMPONENTS))
    ssb = default_catalog(("AM", "SE"))
    assert "w_SE" in ssb and "w_CA" not in ssb


def test_specific_volume_of_table_a1():
    v = specific_volume(TABLE_A1, DEFAULT_COMPONENTS)
    assert v == pytest.approx(0.94 / 4.75 + 0.03 / 1.80 + 0.03 / 1.70, rel=1e-15)
    assert 1 / v == pytest.approx(4.306475, rel=1e-6)  # Table A1: rho_solids 4.31 g/cm^3


def test_mass_balance_rule():
    assert mass_balance_problems(TABLE_A1, DEFAULT_COMPONENTS) == []
    ok = {**TABLE_A1, "w_PB": 0.03 + 0.5 * MASS_BALANCE_TOL}
    assert mass_balance_problems(ok, DEFAULT_COMPONENTS) == []
    w_pb = np.array([0.03, 0.04, 0.02])
    (bad, message), = mass_balance_problems({**TABLE_A1, "w_PB": w_pb}, DEFAULT_COMPONENTS)
    assert bad.tolist() == [False, True, True]
    assert message.startswith("mass fractions w_AM + w_CA + w_PB = 1.01 (unit 1) must sum to 1 "
                              "(valid range [1 - 1e-06, 1 + 1e-06])")


@pytest.mark.parametrize("cls", [Mixing, Dispersion, Coating, Drying, Calendering])
def test_electrode_containers_default_to_the_three_components(cls):
    assert issubclass(cls, ElectrodeContainer)
    assert cls().components == DEFAULT_COMPONENTS
    assert cls(("AM", "SE")).components == ("AM", "SE")


def test_the_platform_container_has_no_default_components():
    assert ElectrodeContainer.default_components == DEFAULT_COMPONENTS
    assert Container.default_components == () and Container().components == ()
