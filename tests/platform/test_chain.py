"""The process chain (platform/chain.py): building collects every problem; evaluation validates
and converts units; the nested function, producers and container limits."""
import numpy as np
import pytest

import celltwin as ct
from celltwin.platform.catalog import default_catalog
from celltwin.platform.chain import ProcessChain
from celltwin.platform.container import Container
from celltwin.platform.errors import ChainError, ParameterError


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
        ProcessChain([make("a", {"h_wet": "um"}, {"m_wet": "mg/cm^2"}),
                      make("b", {"m_wet": "mg/cm^2"}, {"h_wet": "um"})], given=set(), catalog=cat)


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


@pytest.fixture(scope="module")
def reference():
    sc = ct.Scenario.load("reference-cathode")
    return sc, sc.build_chain(with_cell=False)


def test_collapsed_function_matches_evaluate(reference):
    sc, chain = reference
    f = chain.function(["V_dot", "q_L"], ["m_dry", "rho_cal"], fixed=sc.nominal())
    y = f(np.array([[696.0, 84.0], [700.0, 90.0]]))
    ref = chain.evaluate(sc.with_values(V_dot=700.0, q_L=90.0).nominal())
    assert y.shape == (2, 2)
    assert y[1, 0] == pytest.approx(ref["m_dry"]) and y[1, 1] == pytest.approx(ref["rho_cal"])


def test_nested_chain_equals_evaluate_on_the_same_points(reference):
    sc, chain = reference
    nominal = sc.nominal()
    X = np.array([[696.0, 84.0, 0.94], [720.0, 70.0, 0.93], [650.0, 100.0, 0.95]])
    f = chain.function(["V_dot", "q_L", "w_AM"], ["m_dry", "h_cal", "rho_cal", "eps_cal"], fixed=nominal,
                       complete=sc.close_balance)
    y = f(X)
    for i, row in enumerate(X):
        point = sc.close_balance({**nominal, "V_dot": row[0], "q_L": row[1], "w_AM": row[2]})
        ref = chain.evaluate(point)
        for j, name in enumerate(f.outputs):
            assert y[i, j] == pytest.approx(ref[name], rel=1e-12), (i, name)
    res = f.evaluate(X)
    np.testing.assert_array_equal(np.column_stack([res[o] for o in f.outputs]), y)
    np.testing.assert_allclose(res["w_PB"], 1.0 - X[:, 2] - nominal["w_CA"], rtol=1e-12)  # completed per row
    assert res.valid.all() and f.evaluations == 6 and f.calls == 2


def test_nested_chain_defaults_to_every_output_and_masks_rejected_rows(reference):
    sc, chain = reference
    f = chain.function(["q_L"], fixed=sc.nominal())
    assert f.outputs == chain.outputs
    y = f(np.array([[84.0], [-3.0]]))
    assert y.shape == (2, len(chain.outputs))
    assert np.isfinite(y[0]).all()
    computed_after = [chain.outputs.index(p) for p in ("eps_cal", "h_cal", "rho_cal")]
    assert np.isnan(y[1, computed_after]).all()  # q_L < 0 is rejected: NaN, not clipped
    with pytest.raises(ParameterError, match="not computed by this chain: rho_call") as info:
        chain.function(["q_L"], ["rho_call"], fixed=sc.nominal())
    assert info.value.parameter == "rho_call"


def test_limits_of_the_reference_chain_at_its_nominal_state(reference):
    sc, chain = reference
    state = chain.evaluate(sc.nominal())
    rs, em, ed, md = state["rho_solids"], state["eps_min"], state["eps_dry"], state["m_dry"]
    lim = {(p, x.side): x for p, xs in chain.limits(state).items() for x in xs}
    assert set(lim) == {("rho_dry", "upper"), ("rho_cal", "upper"), ("rho_cal", "lower"), ("eps_cal", "lower"),
                        ("eps_cal", "upper"), ("h_cal", "lower")}
    assert lim["rho_cal", "upper"].bound == pytest.approx(rs * (1 - em), rel=1e-12)     # g/cm^3
    assert lim["rho_cal", "lower"].bound == pytest.approx(rs * (1 - ed), rel=1e-12)
    assert lim["eps_cal", "lower"].bound == pytest.approx(em, rel=1e-12)
    assert lim["eps_cal", "upper"].bound == pytest.approx(ed, rel=1e-12)
    assert lim["rho_dry", "upper"].bound == pytest.approx(rs, rel=1e-12)
    # h_cal in the catalog's um: m_dry (mg/cm^2) * 1e-3 / (g/cm^3) = cm, * 1e4 = um
    assert lim["h_cal", "lower"].bound == pytest.approx(md * 1e-3 / (rs * (1 - em)) * 1e4, rel=1e-12)
    # the numbers: rho_solids 4.3065 g/cm^3, eps_min 0.176, m_dry 14.31 mg/cm^2
    assert lim["rho_cal", "upper"].bound == pytest.approx(3.5485, abs=1e-4)
    assert lim["h_cal", "lower"].bound == pytest.approx(40.339, abs=1e-3)
    assert lim["rho_cal", "lower"].bound <= state["rho_cal"] <= lim["rho_cal", "upper"].bound
    assert lim["h_cal", "lower"].bound < state["h_cal"]
    assert lim["rho_cal", "upper"].depends == ("rho_solids", "eps_min", "eps_dry")
    assert "rho_solids*(1-eps_min)" in lim["rho_cal", "upper"].why


def test_limits_skip_containers_whose_inputs_are_missing(reference):
    sc, chain = reference
    state = dict(chain.evaluate(sc.nominal()))
    del state["m_dry"]  # calendering cannot say anything; drying still can
    assert set(chain.limits(state)) == {"rho_dry"}


def test_unknown_key_refused_with_the_closest_name(reference):
    sc, chain = reference
    with pytest.raises(ParameterError, match=r"unknown parameter 'q_l' \(did you mean 'q_L'\?\)") as info:
        chain.evaluate({**sc.nominal(), "q_l": 84.0})
    assert info.value.parameter == "q_l"
    with pytest.raises(ParameterError, match="missing input value") as info:
        chain.evaluate({k: v for k, v in sc.nominal().items() if k != "q_L"})
    assert info.value.parameter == "q_L"
    with pytest.raises(ParameterError, match="on_invalid = 'skip' must be 'raise' or 'mask'"):
        chain.evaluate(sc.nominal(), on_invalid="skip")


def test_producer(reference):
    _, chain = reference
    assert chain.producer("rho_cal").name == "calendering"
    assert chain.producer("eps_dry").name == "drying"  # the DEM metamodel computes it here
    assert chain.producer("rho_solids") is chain.container("mixing")
    with pytest.raises(ParameterError, match=r"'rho_call' is not computed by this chain \(did you mean 'rho_cal'\?\)"):
        chain.producer("rho_call")
    with pytest.raises(ParameterError) as info:
        chain.producer("q_L")  # an input, not computed
    assert info.value.parameter == "q_L"
