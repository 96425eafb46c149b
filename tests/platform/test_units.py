"""Units (platform/units.py): affine maps resolved once, the spellings engineers type,
and a UnitError for what pint cannot convert."""
import numpy as np
import pytest

from celltwin.platform.errors import ParameterError, UnitError
from celltwin.platform.units import affine, check_unit, convert, normalize, unit_suffix


@pytest.mark.parametrize("src,dst,scale,offset", [
    ("m/min", "cm/h", 6000.0, 0.0),       # 1 m/min = 100 cm * 60 / h
    ("m/min", "m/s", 1 / 60, 0.0),
    ("um", "cm", 1e-4, 0.0),
    ("g/cm^2", "mg/cm^2", 1000.0, 0.0),
    ("%", "1", 0.01, 0.0),
    ("degC", "K", 1.0, 273.15),           # an offset unit: the map is affine, not linear
    ("degC", "degF", 1.8, 32.0),
    ("cm^3/h", "cm^3/h", 1.0, 0.0),
])
def test_affine_known_maps(src, dst, scale, offset):
    s, o = affine(src, dst)
    assert s == pytest.approx(scale, rel=1e-12)
    assert o == pytest.approx(offset, rel=1e-12, abs=1e-12)


def test_affine_round_trip_is_the_identity():
    s1, o1 = affine("degC", "degF")
    s2, o2 = affine("degF", "degC")
    x = np.array([-40.0, 0.0, 25.0, 300.0])
    np.testing.assert_allclose((x * s1 + o1) * s2 + o2, x, rtol=1e-12, atol=1e-12)
    assert convert(-40.0, "degC", "degF") == pytest.approx(-40.0, rel=1e-12)  # where the scales cross


def test_convert_floats_and_arrays():
    assert convert(92.8, "um", "mm") == pytest.approx(0.0928, rel=1e-12)
    np.testing.assert_allclose(convert(np.array([1.0, 2.5]), "m/min", "cm/h"), [6000.0, 15000.0], rtol=1e-12)
    marker = object()
    assert convert(marker, "N/mm", "N/mm") is marker  # same unit: returned untouched


@pytest.mark.parametrize("typed,normal", [("", "dimensionless"), ("1", "dimensionless"), ("-", "dimensionless"),
                                          ("%", "percent"), (" µm ", "um"), ("μm", "um"), ("N/mm", "N/mm")])
def test_normalize_spellings(typed, normal):
    assert normalize(typed) == normal


def test_micro_sign_spellings_convert_like_u():
    assert affine("µm", "mm") == pytest.approx((1e-3, 0.0))
    assert affine("μm", "um") == pytest.approx((1.0, 0.0))


def test_unit_suffix():
    assert unit_suffix("N/mm") == " N/mm"
    assert unit_suffix("1") == "" and unit_suffix("dimensionless") == ""


def test_incompatible_and_unknown_units_raise_unit_error():
    with pytest.raises(UnitError, match="cannot convert 'kg' to 'N/mm'"):
        affine("kg", "N/mm")
    with pytest.raises(UnitError, match="cannot convert 'furlongs_per_blink'"):
        affine("furlongs_per_blink", "m")
    with pytest.raises(UnitError, match="unknown unit 'bananas'"):
        check_unit("bananas")
    check_unit("(N/mm)/(mg/cm^2)")  # a compound unit of the catalog is known
    assert issubclass(UnitError, ParameterError)
