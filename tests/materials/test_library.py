"""The materials library (materials/library.toml): every number has its reference, derived
densities follow from their crystal data, seed 004's values are Table A1's."""
import tomllib
from importlib import resources

import pytest

from celltwin.materials import library, material, parameter_set
from celltwin.platform.errors import ParameterError

RAW = tomllib.loads(resources.files("celltwin.materials").joinpath("library.toml").read_text())


def test_every_number_carries_a_unit_and_a_reference():
    for name, entry in RAW["materials"].items():
        assert entry["kind"] in ("active", "conductive", "binder", "solvent", "electrolyte"), name
        for key, fact in entry.items():
            if isinstance(fact, dict):
                assert fact.get("source", "").strip(), f"{name}.{key} has no source"
                if key != "crystal":
                    assert isinstance(fact["value"], int | float) and fact["unit"], f"{name}.{key}"
    for name, entry in RAW["sets"].items():
        assert entry["source"].strip() and entry["materials"], name
        assert all(m in RAW["materials"] for m in entry["materials"]), name


def test_the_brief_s_materials_are_all_there():
    for name in ("NMC111", "NMC532", "NMC622", "NMC811", "NCA", "LFP", "LCO", "LMFP", "graphite",
                 "silicon-graphite", "carbon-black", "CNT", "PVDF", "CMC", "SBR", "NMP", "water",
                 "Li6PS5Cl", "Li3PS4", "LLZO"):
        assert name in library()


def test_seed_004_table_a1_values():
    assert [material(n).rho for n in ("NMC111", "carbon-black", "PVDF", "NMP")] == [4.75, 1.80, 1.70, 1.03]


@pytest.mark.parametrize("name", [n for n, e in RAW["materials"].items() if "crystal" in e])
def test_densities_follow_from_their_crystal_data(name):
    m = material(name)
    # the stated density is the crystal density rounded to the digits given (or Table A1's 4.75 for NMC111)
    assert m.crystal_density() == pytest.approx(m.rho, abs=0.006)


def test_theoretical_capacity_is_one_lithium_per_formula_unit():
    for m in library().values():
        if "capacity_theoretical" in m.facts:
            q = 96485.33212 / 3.6 / m.facts["molar_mass"].value
            assert m.facts["capacity_theoretical"].value == pytest.approx(q, abs=0.06), m.name


def test_absent_numbers_are_absent_not_guessed():
    for name in ("CMC", "SBR", "CNT", "LMFP", "silicon-graphite", "NCA"):
        assert material(name).rho is None


def test_unknown_or_wrong_kind_names_the_closest():
    with pytest.raises(ParameterError, match=r"unknown material 'NMC81' \(did you mean 'NMC811'\?\)"):
        material("NMC81")
    with pytest.raises(ParameterError, match="unknown active material 'PVDF'"):
        material("PVDF", kind="active")


def test_parameter_sets_name_their_material():
    assert parameter_set("Chen2020").materials == ("NMC811",)
    assert parameter_set("Prada2013").materials == ("LFP",)
    assert "NMC811" in parameter_set("table-a2").materials
    assert parameter_set("Marquis2019") is None


def test_solid_electrolytes_carry_their_ionic_conductivity():
    """The solid-state half-cell's kappa_SE comes from here (S/m, with a source)."""
    expected = {"Li6PS5Cl": 0.133, "Li3PS4": 0.016, "LLZO": 0.0244}
    for name, kappa in expected.items():
        fact = material(name, kind="electrolyte").facts["ionic_conductivity"]
        assert (fact.value, fact.unit) == (kappa, "S/m") and fact.source


def test_seed_001_materials():
    """NMC622 (crystal-derived), SBS and p-xylene: the solid-state-cathode scenario's recipe."""
    assert material("NMC622").rho == pytest.approx(material("NMC622").crystal_density(), abs=0.005)
    assert (material("SBS", kind="binder").rho, material("p-xylene", kind="solvent").rho) == (0.94, 0.861)
