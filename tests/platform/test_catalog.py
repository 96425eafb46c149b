"""The parameter catalog (platform/catalog.py): bounds with open and closed ends, messages
that name value, unit and range, component templates, and no battery components by default."""
import math

import numpy as np
import pytest

from celltwin.platform.catalog import DOMAINS, Catalog, Parameter, default_catalog
from celltwin.platform.errors import ParameterError, UnitError


def test_parameter_message_names_value_unit_range():
    p = Parameter("q_L", "N/mm", "process", "line load", low=0.0, high=1e4)
    with pytest.raises(ParameterError, match=r"q_L = -5 N/mm is outside its valid range \[0, 10000\] N/mm"):
        p.validate(-5.0)


def test_range_text_and_open_bounds():
    closed = Parameter("a", "1", "structural", low=0.0, high=1.0)
    opened = Parameter("b", "1", "structural", low=0.0, high=1.0, low_open=True, high_open=True)
    assert closed.range_text == "[0, 1]" and opened.range_text == "(0, 1)"
    x = np.array([0.0, 0.5, 1.0, -1e-12, np.nan, np.inf])
    assert closed.invalid_mask(x).tolist() == [False, False, False, True, True, True]
    assert opened.invalid_mask(x).tolist() == [True, False, True, True, True, True]
    assert Parameter("c", "1", "process").range_text == "[-inf, inf]"


def test_validate_arrays_names_the_first_offending_value():
    p = Parameter("eps_dry", "1", "structural", "porosity after drying", low=0.0, high=1.0, high_open=True)
    p.validate(np.array([0.1, 0.439, 0.99]))  # all valid: nothing raised
    with pytest.raises(ParameterError) as info:
        p.validate(np.array([0.4, 1.0, 1.5]))
    assert info.value.value == 1.0 and info.value.valid == "[0, 1)" and info.value.unit == "1"
    assert str(info.value) == "eps_dry = 1 is outside its valid range [0, 1) (porosity after drying)"


def test_default_catalog_has_no_components_until_asked():
    plain = default_catalog()
    templates = default_catalog(("AM",)).entries.keys() - plain.entries.keys()
    assert templates == {"w_AM", "rho_AM", "X_AM"}
    assert "rho_AM" not in plain and "q_L" in plain and "rho_solids" in plain
    two = default_catalog(("AM", "SE"))
    assert {"w_AM", "w_SE", "rho_AM", "rho_SE", "X_AM", "X_SE"} <= set(two)
    assert "w_CA" not in two
    assert len(two.entries) == len(plain.entries) + 3 * 2  # three templates per component
    assert two["w_SE"].description == "mass fraction of solid electrolyte in the dry solids"
    assert two["rho_AM"].range_text == "(0, 25]" and two["rho_AM"].unit == "g/cm^3"


def test_with_components_is_a_copy():
    plain = default_catalog()
    plain.with_components(("AM",))
    assert "w_AM" not in plain
    assert "w_AM" not in default_catalog()  # the shared default is never expanded in place


def test_unnamed_component_gets_a_generic_label_and_bad_names_are_refused():
    cat = default_catalog(("Li2S",))
    assert cat["w_Li2S"].description == "mass fraction of component Li2S in the dry solids"
    with pytest.raises(ParameterError, match="component name 'Li-S' must be an identifier"):
        default_catalog(("Li-S",))


def test_unknown_name_suggests_closest():
    with pytest.raises(ParameterError, match=r"unknown parameter 'q_l' \(did you mean 'q_L'\?\)"):
        default_catalog()["q_l"]


def test_add_checks_domain_and_unit():
    cat = Catalog()
    cat.add(Parameter("t", "degC", "process", low=-50.0, high=300.0))
    assert cat["t"].unit == "degC" and cat.names("process") == ["t"] and cat.names("structural") == []
    with pytest.raises(ParameterError, match="unknown domain 'proces' \\(did you mean 'process'\\?\\)"):
        cat.add(Parameter("u", "1", "proces"))
    with pytest.raises(UnitError, match="unknown unit 'bananas'"):
        cat.add(Parameter("v", "bananas", "process"))
    assert "performance" in DOMAINS


def test_from_toml_file(tmp_path):
    path = tmp_path / "cat.toml"
    path.write_text('[components]\nX = "thing"\n[components.templates."n_{c}"]\nunit = "1"\n'
                    'domain = "formulation"\nlow = 0.0\ndescription = "count of {name}"\n'
                    '[parameters.speed]\nunit = "m/min"\ndomain = "process"\nlow = 0.0\nlow_open = true\n'
                    'high = 10.0\nreference = 2.0\n')
    cat = Catalog.from_toml(path)
    assert list(cat) == ["speed"] and cat["speed"].range_text == "(0, 10]" and cat["speed"].reference == 2.0
    assert cat["speed"].high == 10.0 and cat["speed"].low == 0.0 and math.isinf(Parameter("x", "1", "process").high)
    assert cat.with_components(["X"])["n_X"].description == "count of thing"


def test_table_lists_every_entry():
    cat = default_catalog(("AM",))
    table = cat.table()
    assert len(table) == len(cat.entries)
    row = table.set_index("name").loc["q_L"]
    assert row["unit"] == "N/mm" and row["valid range"] == "[0, 10000]" and row["reference"] == 84.0
