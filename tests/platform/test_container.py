"""The container base class (platform/container.py): components from the class default,
options checked against declared names and choices, per-component declarations, limits."""
import dataclasses

import numpy as np
import pytest

from celltwin.platform.container import Container, Limit, per_component
from celltwin.platform.errors import ParameterError


class Plain(Container):
    """A toy step: doubles its input."""

    name = "plain"
    options = {"mode": "fast", "factor": 2.0}
    choices = {"mode": ("fast", "slow")}

    def inputs(self):
        return {"a": "1"}

    def outputs(self):
        return {"b": "1"}

    def evaluate(self, inputs):
        return {"b": self.settings["factor"] * inputs["a"]}


class WithDefaults(Plain):
    default_components = ("X", "Y")


def test_components_default_to_the_class_default():
    assert Plain().components == ()
    assert WithDefaults().components == ("X", "Y")
    assert WithDefaults(["Z"]).components == ("Z",)
    assert WithDefaults(()).components == ()  # an explicit empty tuple is not "none given"


def test_options_defaults_overrides_and_errors():
    assert Plain().settings == {"mode": "fast", "factor": 2.0}
    c = Plain(factor=3.0, mode="slow")
    assert c.settings == {"mode": "slow", "factor": 3.0}
    assert float(c.evaluate({"a": np.asarray(1.5)})["b"]) == 4.5
    assert repr(c) == "Plain(mode='slow', factor=3.0)"
    with pytest.raises(ParameterError, match=r"container 'plain': unknown option 'facter' \(did you mean 'factor'\?\)"):
        Plain(facter=3.0)
    with pytest.raises(ParameterError, match="container 'plain': option mode = 'medium' is not one of 'fast', 'slow'"):
        Plain(mode="medium")


def test_base_hooks_default_to_nothing():
    c = Plain()
    assert c.constraints({"a": np.ones(3)}) == []
    assert c.limits({"a": 1.0}) == []
    assert c.corrections() == {}
    assert c.describe() == "A toy step: doubles its input."
    for method in (Container().inputs, Container().outputs):
        with pytest.raises(NotImplementedError):
            method()


def test_per_component_declarations():
    assert per_component("w_{c}", ("AM", "SE"), "1") == {"w_AM": "1", "w_SE": "1"}
    assert per_component("rho_{c}", (), "g/cm^3") == {}


def test_limit_is_a_frozen_record():
    lim = Limit("rho_cal", "upper", 3.55, "why", ("eps_min",))
    assert dataclasses.replace(lim, bound=1.0).bound == 1.0 and lim.bound == 3.55
    with pytest.raises(dataclasses.FrozenInstanceError):
        lim.bound = 2.0
    assert Limit("h_cal", "lower", 40.0, "why").depends == ()
