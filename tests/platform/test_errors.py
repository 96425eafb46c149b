"""The error hierarchy (platform/errors.py): every class is a CelltwinError and its builtin,
carries its fields as attributes and pickles with them (errors cross process boundaries)."""
import inspect
import pickle

import pytest

import celltwin as ct
from celltwin.platform import errors
from celltwin.platform.errors import (
    FIELDS,
    CelltwinError,
    ChainError,
    MissingDependencyError,
    ParameterError,
    RegistryError,
    RunStoreError,
    ScenarioError,
    SolverError,
    StoreBusyError,
    UnitError,
    UnreachableTargetError,
    closest,
    first_offending,
    unknown,
)

#: every error class and the builtin a caller may catch it by
BUILTIN = {
    CelltwinError: Exception,
    ParameterError: ValueError,
    UnitError: ValueError,
    ScenarioError: ValueError,
    ChainError: ValueError,
    RegistryError: KeyError,
    MissingDependencyError: ImportError,
    SolverError: RuntimeError,
    UnreachableTargetError: ValueError,
    RunStoreError: LookupError,
    StoreBusyError: LookupError,
}
FIELD_VALUES = {"parameter": "q_L", "value": -1.0, "unit": "N/mm", "valid": "[0, 10000]", "path": "runs/abc"}


def error_classes():
    return [c for _, c in inspect.getmembers(errors, inspect.isclass)
            if issubclass(c, CelltwinError) and c.__module__ == errors.__name__]


def make(cls, **extra):
    """An instance of ``cls`` with every field set (ChainError takes its problems instead of a message)."""
    if cls is ChainError:
        return cls(["one", "two"], **FIELD_VALUES, **extra)
    return cls("q_L = -1 N/mm is outside its valid range [0, 10000] N/mm", **FIELD_VALUES, **extra)


def test_the_table_names_every_error_class():
    assert set(error_classes()) == set(BUILTIN)


@pytest.mark.parametrize("cls", list(BUILTIN), ids=lambda c: c.__name__)
def test_subclasses_celltwin_error_and_its_builtin(cls):
    assert issubclass(cls, CelltwinError) and issubclass(cls, BUILTIN[cls])
    err = make(cls)
    with pytest.raises(BUILTIN[cls]):
        raise err
    with pytest.raises(CelltwinError):
        raise err


@pytest.mark.parametrize("cls", list(BUILTIN), ids=lambda c: c.__name__)
def test_fields_are_attributes(cls):
    err = make(cls)
    for key, value in FIELD_VALUES.items():
        assert getattr(err, key) == value, key
    assert {k: err.fields[k] for k in FIELDS} == FIELD_VALUES


@pytest.mark.parametrize("cls", list(BUILTIN), ids=lambda c: c.__name__)
def test_pickles_with_message_type_and_fields(cls):
    err = make(cls)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert str(back) == str(err) and back.message == err.message and back.args == err.args
    assert back.fields == err.fields
    for key, value in FIELD_VALUES.items():
        assert getattr(back, key) == value, key


@pytest.mark.parametrize("cls", list(BUILTIN), ids=lambda c: c.__name__)
def test_unset_fields_default_to_none_and_pickle(cls):
    err = cls(["only"]) if cls is ChainError else cls("plain message")
    assert all(getattr(err, k) is None for k in FIELDS)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls and str(back) == str(err)
    assert all(getattr(back, k) is None for k in FIELDS)


def test_chain_error_problems_pickle():
    err = ChainError(["container 'a': input 'm_wet' is produced by no container", "cycle between containers a -> a"])
    assert str(err) == ("process chain has 2 problem(s):\n  - container 'a': input 'm_wet' is produced by no "
                        "container\n  - cycle between containers a -> a")
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and len(back.problems) == 2
    assert str(back) == str(err) and isinstance(back, ValueError)
    assert ChainError("just one").problems == ["just one"]


def test_unreachable_target_error_result_pickles():
    result = {"x": {"q_L": 120.0}, "residual": 0.25, "targets": ["rho_cal"]}
    err = UnreachableTargetError("rho_cal = 3.5 g/cm^3 is out of reach", parameter="rho_cal", value=3.5,
                                 unit="g/cm^3", result=result)
    assert err.result is result and isinstance(err, ParameterError)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is UnreachableTargetError
    assert back.result == result and back.parameter == "rho_cal" and back.value == 3.5
    assert str(back) == "rho_cal = 3.5 g/cm^3 is out of reach"
    assert UnreachableTargetError("no search ran").result is None


def test_validate_carries_parameter_value_unit_and_range():
    with pytest.raises(ParameterError) as info:
        ct.default_catalog()["q_L"].validate(-1)
    err = info.value
    assert err.parameter == "q_L" and err.value == -1 and err.unit == "N/mm" and err.valid == "[0, 10000]"
    assert str(err).startswith("q_L = -1 N/mm is outside its valid range [0, 10000] N/mm")
    back = pickle.loads(pickle.dumps(err))
    assert (back.parameter, back.value, back.unit, back.valid) == ("q_L", -1, "N/mm", "[0, 10000]")


def test_registry_error_message_is_not_quoted():
    err = RegistryError("unknown container 'x'")
    assert str(err) == "unknown container 'x'"  # KeyError alone would print "\"unknown container 'x'\""


def test_closest_and_unknown_messages():
    assert closest("q_l", ["q_L", "h_cal"]) == " (did you mean 'q_L'?)"
    assert closest("VDOT", ["vdot", "q_L"]) == " (did you mean 'vdot'?)"  # the case-insensitive fallback
    assert closest("zzz", ["q_L", "h_cal"]) == ""
    assert unknown("container", "calendaring", ["mixing", "calendering"]) == (
        "unknown container 'calendaring' (did you mean 'calendering'?); valid: calendering, mixing")
    many = [f"p{i:02d}" for i in range(14)]
    assert unknown("parameter", "x", many).endswith("p10, p11, ...")


def test_first_offending_is_the_first_bad_value_broadcast():
    assert first_offending([1.0, -2.0, -3.0], [False, True, True]) == -2.0
    assert first_offending(5.0, [False, False, True]) == 5.0
