"""Building a chain collects every problem; evaluation validates and converts units."""
import numpy as np
import pytest

import celltwin as ct
from celltwin.platform.catalog import Parameter, default_catalog
from celltwin.platform.chain import ProcessChain
from celltwin.platform.container import Container
from celltwin.platform.errors import ChainError, ParameterError
from celltwin.platform.registry import containers


def make(name, ins, outs, fn=None):
    class C(Container):
        def inputs(self):
            return ins

        def outputs(self):
            return outs

        def evaluate(self, inputs):
            return fn(inputs) if fn else {k: inputs[next(iter(ins))] for k in outs}

    C.name = name
    return C()


@pytest.fixture
def cat():
    return default_catalog()


def test_missing_input_names_container_and_parameter(cat):
    with pytest.raises(ChainError) as e:
        ProcessChain([make("a", {"m_wet": "mg/cm^2"}, {"m_dry": "mg/cm^2"})], given=set(), catalog=cat)
    assert "container 'a': input 'm_wet' is produced by no container" in str(e.value)


def test_two_producers(cat):
    with pytest.raises(ChainError, match="produced by more than one container: a, b"):
        ProcessChain([make("a", {"q_L": "N/mm"}, {"h_cal": "um"}), make("b", {"q_L": "N/mm"}, {"h_cal": "um"})],
                     given={"q_L"}, catalog=cat)


def test_cycle(cat):
    with pytest.raises(ChainError, match="cycle between containers"):
        ProcessChain([make("a", {"h_wet": "um"}, {"m_wet": "mg/cm^2"}), make("b", {"m_wet": "mg/cm^2"}, {"h_wet": "um"})],
                     given=set(), catalog=cat)


def test_incompatible_units(cat):
    with pytest.raises(ChainError, match="declared in 'N/mm', which is incompatible with its catalog unit 'um'"):
        ProcessChain([make("a", {"h_wet": "N/mm"}, {"m_wet": "mg/cm^2"})], given={"h_wet"}, catalog=cat)


def test_unknown_name_suggests(cat):
    with pytest.raises(ChainError, match=r"input 'h_wett' is not in the catalog \(did you mean 'h_wet'\?\)"):
        ProcessChain([make("a", {"h_wett": "um"}, {"m_wet": "mg/cm^2"})], given={"h_wet"}, catalog=cat)


def test_given_and_produced(cat):
    with pytest.raises(ChainError, match="given by the scenario but also produced"):
        ProcessChain([make("a", {"h_wet": "um"}, {"m_wet": "mg/cm^2"})], given={"h_wet", "m_wet"}, catalog=cat)


def test_all_problems_reported_at_once(cat):
    with pytest.raises(ChainError) as e:
        ProcessChain([make("a", {"h_wett": "um"}, {"m_wet": "mg/cm^2"}),
                      make("b", {"q_L": "um"}, {"m_wet": "mg/cm^2"})], given=set(), catalog=cat)
    assert len(e.value.problems) >= 3


def test_chain_error_pickles(cat):
    import pickle

    err = ChainError(["one", "two"])
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == ["one", "two"] and isinstance(back, ValueError)


def test_skip_steps_edge():
    sc = ct.Scenario.load("reference-cathode")
    g = sc.build_chain(with_cell=False).graph
    assert g.has_edge("rho_solids", "calendering")  # mixing -> calendering skips three steps
    assert g.has_edge("m_dry", "calendering")


def test_unit_conversion_once_at_build(cat):
    """A container that wants the web speed in m/s gets it converted from the catalog's m/min."""
    seen = {}

    def fn(x):
        seen.update(x)
        return {"h_wet": x["v_web"] * 1e6}  # pretend: 1 m/s -> 1e6 um

    chain = ProcessChain([make("a", {"v_web": "m/s"}, {"h_wet": "um"}, fn)], given={"v_web"}, catalog=cat)
    out = chain.evaluate({"v_web": 6.0})
    assert seen["v_web"] == pytest.approx(0.1)
    assert out["h_wet"] == pytest.approx(1e5)


def test_output_conversion_to_catalog_unit(cat):
    chain = ProcessChain([make("a", {"h_wet": "um"}, {"h_dry": "mm"}, lambda x: {"h_dry": x["h_wet"] / 1000})],
                         given={"h_wet"}, catalog=cat)
    assert chain.evaluate({"h_wet": 92.8})["h_dry"] == pytest.approx(92.8)


def test_nominal_bad_value_raises_before_evaluation():
    sc = ct.Scenario.load("reference-cathode")
    chain = sc.build_chain(with_cell=False)
    values = sc.nominal()
    values["v_web"] = -1.0
    with pytest.raises(ParameterError, match=r"v_web = -1 m/min is outside its valid range \(0, 1000\] m/min"):
        chain.evaluate(values)


def test_eps_dry_below_eps_min_refused():
    sc = ct.Scenario.load("reference-cathode").with_values(eps_min=0.5)  # eps_dry ~0.439 from drying
    with pytest.raises(ParameterError, match="eps_dry = 0.439.* must exceed eps_min = 0.5"):
        sc.build_chain(with_cell=False).evaluate(sc.nominal())


def test_mask_counts_and_keeps_going():
    sc = ct.Scenario.load("reference-cathode")
    chain = sc.build_chain(with_cell=False)
    values = {k: np.full(5, v) for k, v in sc.nominal().items()}
    values["w_AM"] = np.array([0.94, 0.99, 0.94, 0.94, 0.94])
    values["w_PB"] = 1 - values["w_AM"] - values["w_CA"]  # -0.02 in sample 1
    values["q_L"] = np.array([84, 84, -3, 84, 84.0])
    res = chain.evaluate(values, on_invalid="mask")
    assert res.valid.tolist() == [True, False, False, True, True]
    assert sum(res.rejections.values()) == 2
    assert np.isnan(res["h_cal"][1]) and np.isnan(res["h_cal"][2]) and np.isfinite(res["h_cal"][0])
    assert "w_PB" in res.reasons[1] and "q_L" in res.reasons[2]


def test_collapsed_function_matches_evaluate():
    sc = ct.Scenario.load("reference-cathode")
    chain = sc.build_chain(with_cell=False)
    f = chain.function(["V_dot", "q_L"], ["m_dry", "rho_cal"], sc.nominal())
    y = f(np.array([[696.0, 84.0], [700.0, 90.0]]))
    ref = chain.evaluate(sc.with_values(V_dot=700.0, q_L=90.0).nominal())
    assert y.shape == (2, 2)
    assert y[1, 0] == pytest.approx(ref["m_dry"]) and y[1, 1] == pytest.approx(ref["rho_cal"])


def test_registry_suggests_closest():
    from celltwin.platform.errors import RegistryError

    with pytest.raises(RegistryError, match="did you mean 'calendering'"):
        containers.get("calendaring")


def test_entry_point_plugin(monkeypatch):
    """Third-party containers come in through the entry-point group celltwin.containers."""
    from importlib.metadata import EntryPoint

    from celltwin.platform.registry import Registry

    reg = Registry("celltwin.containers")
    ep = EntryPoint(name="my-dryer", value="celltwin.containers.drying:Drying", group="celltwin.containers")
    monkeypatch.setattr("celltwin.platform.registry.entry_points", lambda group: [ep] if group == reg.group else [])
    assert reg.get("my-dryer").__name__ == "Drying"


def test_parameter_message_names_value_unit_range():
    p = Parameter("q_L", "N/mm", "process", "line load", low=0.0, high=1e4)
    with pytest.raises(ParameterError, match=r"q_L = -5 N/mm is outside its valid range \[0, 10000\] N/mm"):
        p.validate(-5.0)
