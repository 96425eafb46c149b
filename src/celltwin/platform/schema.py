"""Declared schemas of the scenario tables (pydantic), checked before any model runs.

Each table of a scenario file is a strict model: integers are integers (a float with a
fraction, a bool or a string is refused), numbers are finite, and a key that the table (or
the distribution kind) does not use is an error that names the closest valid key. A
:class:`pydantic.ValidationError` becomes one :class:`ScenarioError` whose message names the
table, the key, the value given and what is valid, and whose ``parameter`` field is the key.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError

from .errors import ScenarioError, closest

Number = StrictInt | StrictFloat
"""A finite number (int or float, never a bool or a string)."""

#: the largest seed OpenTURNS and numpy accept
MAX_SEED = 2**32 - 1


class Table(BaseModel):
    """A scenario table: no unknown keys, strict types, finite numbers."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class StudyTable(Table):
    samples: StrictInt = Field(1000, ge=1, description="Monte Carlo samples")
    seed: StrictInt = Field(2022, ge=0, le=MAX_SEED, description="random seed")
    method: Literal["mc", "lhs", "sobol"] = Field("mc", description="sampling method")
    current_densities: list[Annotated[Number, Field(gt=0)]] = Field(
        default_factory=list, description="rerun the cell stage at these current densities (mA/cm^2) and "
                                        "write the sensitivity per rate")


class Spread(Table):
    """A between-segment spread: one of ``std`` (catalog unit) or ``rel_std`` (of the nominal)."""

    std: Number | None = Field(None, ge=0)
    rel_std: Number | None = Field(None, ge=0)


class Drift(Table):
    """A drift per segment: one of ``per_segment`` (catalog unit) or ``rel_per_segment``."""

    per_segment: Number | None = None
    rel_per_segment: Number | None = None


class SegmentsTable(Table):
    count: StrictInt = Field(1, ge=1, le=1_000_000, description="production segments")
    between: dict[str, Spread] = Field(default_factory=dict)
    drift: dict[str, Drift] = Field(default_factory=dict)


class ScenarioHead(Table):
    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False, frozen=True)

    name: StrictStr | None = None
    description: StrictStr = ""
    chain: list[StrictStr] | None = None
    cell: StrictStr | None = None
    components: list[StrictStr] | None = None


class SpecTable(Table):
    """A specification window: ``value`` with ``rel_tol`` or ``abs_tol``, or ``min`` and/or ``max``."""

    value: Number | None = None
    rel_tol: Number | None = Field(None, gt=0)
    abs_tol: Number | None = Field(None, gt=0)
    min: Number | None = None
    max: Number | None = None
    unit: StrictStr | None = None


class FixedParam(Table):
    value: Number
    unit: StrictStr | None = None


class NormalParam(Table):
    distribution: Literal["normal", "lognormal"] = "normal"
    value: Number
    std: Number | None = None
    rel_std: Number | None = None
    unit: StrictStr | None = None


class UniformParam(Table):
    distribution: Literal["uniform"]
    low: Number
    high: Number
    value: Number | None = None
    unit: StrictStr | None = None


class TruncatedNormalParam(Table):
    distribution: Literal["truncated-normal"]
    value: Number
    std: Number | None = None
    rel_std: Number | None = None
    low: Number | None = None
    high: Number | None = None
    unit: StrictStr | None = None


class KdeParam(Table):
    distribution: Literal["kde"]
    data: StrictStr
    column: StrictStr | None = None
    unit: StrictStr | None = None


#: the table of each distribution kind (None: a fixed value)
PARAMETER_TABLES: dict[str | None, type[Table]] = {
    None: FixedParam, "normal": NormalParam, "lognormal": NormalParam, "uniform": UniformParam,
    "truncated-normal": TruncatedNormalParam, "kde": KdeParam}

T = TypeVar("T", bound=Table)


def check(model: type[T], where: str, table: Any, *, kind: str = "", known: tuple[str, ...] = (),
          parameter: str | None = None) -> T:
    """``table`` validated against ``model``; a :class:`ScenarioError` naming the key otherwise.
    An unknown key is matched against ``known`` too (the keys of related tables) for a suggestion.
    ``parameter`` names the parameter the table describes (the error's ``parameter`` field;
    by default the key that is wrong)."""
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where}: expected a table {{ key = value, ... }}, got {table!r}", path=where)
    try:
        return model.model_validate(dict(table))
    except ValidationError as exc:
        err = _scenario_error(exc, model, where, kind, known)
        if parameter is not None:
            err.parameter = parameter
            err._fields["parameter"] = parameter
        raise err from None


#: the tags pydantic adds to the location of an error inside one branch of ``int | float``
_BRANCHES = ("int", "float")


def _first_error(exc: ValidationError) -> dict:
    """The error to report: of the ``int | float`` branches, the float one (it says "finite" for
    a NaN and "number" for a string)."""
    errors = exc.errors()
    first = errors[0]
    if str(first["loc"][-1]) not in _BRANCHES:
        return dict(first)
    loc = first["loc"][:-1]
    branch = [e for e in errors if tuple(e["loc"][:-1]) == tuple(loc) and str(e["loc"][-1]) in _BRANCHES]
    chosen = next((e for e in branch if e["type"] == "finite_number"), None) or \
        next((e for e in branch if str(e["loc"][-1]) == "float"), first)
    return {**chosen, "loc": loc}


def _bounds(model: type[Table], key: str) -> str | None:
    """A field's declared range as text (``[0, 4294967295]``), if it has one."""
    field = model.model_fields.get(key)
    if field is None:
        return None
    low = next((getattr(m, a) for m in field.metadata for a in ("ge", "gt") if hasattr(m, a)), None)
    high = next((getattr(m, a) for m in field.metadata for a in ("le", "lt") if hasattr(m, a)), None)
    if low is None and high is None:
        return None
    return f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"


def _scenario_error(exc: ValidationError, model: type[Table], where: str, kind: str,
                    known: tuple[str, ...]) -> ScenarioError:
    err = _first_error(exc)
    loc = [str(p) for p in err["loc"]]
    key = loc[0] if loc else ""
    dotted = ".".join(loc)
    given = err.get("input")
    valid_keys = list(model.model_fields)
    typ = err["type"]
    if typ == "extra_forbidden":
        owner = f" by a {kind} distribution" if kind else ""
        hint = "" if key in known else closest(key, [*valid_keys, *known])  # a key of another kind: no guess
        msg = (f"{where}: key {key!r} is not used{owner}{hint}; valid keys: "
               f"{', '.join(valid_keys)}")
    elif typ == "missing":
        msg = f"{where}: needs {dotted!r}" + (f" for a {kind} distribution" if kind else "")
    elif typ in ("int_type", "int_from_float"):
        msg = f"{where}: {dotted} = {given!r} must be an integer"
    elif typ in ("finite_number",):
        msg = f"{where}: {dotted} = {given!r} must be a finite number"
    elif typ in ("list_type", "dict_type", "model_type", "tuple_type"):
        what = {"list_type": "a list", "tuple_type": "a list"}.get(typ, "a table")
        msg = f"{where}: {dotted} = {given!r} must be {what}"
    elif typ in ("float_type", "int_parsing", "float_parsing") or (typ.endswith("_type") and "str" not in typ):
        msg = f"{where}: {dotted} = {given!r} must be a number"
    elif typ == "string_type":
        msg = f"{where}: {dotted} = {given!r} must be a string"
    elif typ == "literal_error":
        msg = f"{where}: {dotted} = {given!r} is not one of {err.get('ctx', {}).get('expected', '')}"
    elif typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        ctx = err.get("ctx", {})
        low, high = ctx.get("ge", ctx.get("gt")), ctx.get("le", ctx.get("lt"))
        valid = (_bounds(model, key) if len(loc) == 1 else None) or \
            f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        msg = f"{where}: {dotted} = {given!r} is outside its valid range {valid}"
        return ScenarioError(msg, parameter=dotted, value=given, valid=valid, path=where)
    else:
        msg = f"{where}: {dotted}: {err['msg']} (got {given!r})"
    return ScenarioError(msg, parameter=dotted or None, value=given, path=where)


def integer(name: str, value: Any, low: int = 0, high: int | None = None) -> int:
    """An API or command-line count/seed: an int (or an integral float) in ``[low, high]``, else a
    :class:`ParameterError` naming it."""
    from .errors import ParameterError

    valid = f"[{low}, {high if high is not None else 'inf'}]"
    ok = (isinstance(value, int | np.integer) and not isinstance(value, bool)) or \
        (isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer())
    if not ok:
        raise ParameterError(f"{name} = {value!r} must be an integer in {valid}", parameter=name, value=value,
                             valid=valid)
    v = int(value)
    if v < low or (high is not None and v > high):
        raise ParameterError(f"{name} = {v} is outside its valid range {valid}", parameter=name, value=v, valid=valid)
    return v
