"""The workbench without a browser: edits checked one by one, the surrogate against the P2D, uploads."""
import numpy as np
import pytest

from celltwin.app.registry import parse_upload
from celltwin.platform.errors import ScenarioError


@pytest.fixture(scope="module")
def wb(web):
    return web.registry.get(web.registry.default)


def test_edits_are_refused_one_by_one_with_the_catalog_message(wb):
    e = wb.edit({"q_L": "90", "w_AM": 2, "x_solids": "abc"}, {"V_dot": -1, "v_web": 0, "rho_AM": 0.05})
    assert e.values == {"q_L": 90.0}
    assert e.errors[("value", "w_AM")] == wb.base.catalog["w_AM"].message(2)
    assert "not a number" in e.errors[("value", "x_solids")]
    assert "must be positive" in e.errors[("spread", "V_dot")]
    assert e.fix == ["v_web"] and e.stds == {"rho_AM": 0.05}
    sc = wb.scenario(e)
    assert sc.nominal()["q_L"] == 90.0 and "v_web" in sc.fixed and sc.uncertain["rho_AM"].std == 0.05


def test_surrogate_matches_the_p2d_on_study_samples(wb):
    """Exact P2D of 12 Monte Carlo samples against the surrogate at the same structures."""
    sc = wb.base
    x = sc.sample(12, 5).drop(columns="segment")
    exact = wb.chain.evaluate({k: x[k].to_numpy() for k in x.columns}, on_invalid="mask")
    s, _ = wb.surrogate(sc)
    predicted = s.predict(exact)
    assert min(s.q2.values()) > 0.999
    assert not s.outside(exact).any()
    for k in ("capacity", "energy_density", "specific_capacity"):
        np.testing.assert_allclose(predicted[k], exact[k], rtol=1e-3)


def test_whatif_yield_and_drivers(wb):
    result = wb.whatif(wb.scenario(wb.edit({"q_L": 84})))
    y = result.yield_
    assert y.n == 4000 and 0.4 < y.p_in < 0.75  # the reference cathode: about 57 % (celltwin yield)
    assert result.nominal["rho_cal"] == pytest.approx(2.9575097165302635, rel=1e-9)
    d = wb.drivers(wb.base, samples=300)
    S = d.indices["S"]
    assert S.loc[("eps_cal", "q_L")] > 0.3  # the line load sets the porosity
    assert S.loc[("m_dry", "q_L")] == pytest.approx(0, abs=0.02)  # and not the loading


def test_inverse_target(wb):
    r = wb.inverse(wb.base, {"rho_cal": "3.0"}, ["q_L"])
    assert r.reachable and r.achieved["rho_cal"] == pytest.approx(3.0, rel=1e-4)
    assert 84 < r.settings["q_L"] < 120


def test_upload_parses_content_and_refuses_files():
    from importlib import resources

    text = resources.files("celltwin").joinpath("scenarios", "reference-cathode.toml").read_text()
    sc = parse_upload(text.encode(), "/etc/evil/../x.toml")
    assert sc.name == "reference-cathode" and sc.source == "upload:x.toml"
    for bad in ('[parameters]\nq_L = { distribution = "kde", data = "/etc/passwd" }\n',
                '[cell]\nbpx = "/root/cell.json"\n',
                '[containers.drying]\nmetamodel = "../model.json"\n'):
        with pytest.raises(ScenarioError, match="may not name files"):
            parse_upload((text + "\n" + bad).encode() if "cell]" in bad else bad.encode())
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_upload(b"[scenario\n")
    with pytest.raises(ScenarioError, match="bytes"):
        parse_upload(b"#" * 300_000)


def test_numpy_pce_equals_openturns(wb):
    """The numpy evaluation of the fitted PCEs is the same polynomial as OpenTURNS' metamodel."""
    from celltwin.app.surrogate import FastPCE

    s, _ = wb.surrogate(wb.base)
    rng = np.random.default_rng(3)
    lo, hi = (np.array([s.box[k][i] for k in s.inputs]) for i in (0, 1))
    X = lo + (hi - lo) * rng.random((500, len(s.inputs)))
    for sur in s.pces.values():
        np.testing.assert_allclose(FastPCE(sur.result)(X), sur.predict(X), rtol=1e-11)


def test_exact_run_reports_progress_and_checks_the_surrogate(wb):
    """The page's exact P2D run: a child process, progress per chunk, exact yield, surrogate error."""
    import time

    from celltwin.app.jobs import MAX_EXACT, ExactRun

    job = ExactRun()
    with pytest.raises(ValueError, match=f"\\[1, {MAX_EXACT}\\]"):
        job.start(wb.base, MAX_EXACT + 1, 1, wb.kpis(wb.base), None)
    s, _ = wb.surrogate(wb.base)
    job.start(wb.base, 12, 4, wb.kpis(wb.base), s)
    with pytest.raises(ValueError, match="already under way"):
        job.start(wb.base, 12, 4, wb.kpis(wb.base), s)
    deadline = time.monotonic() + 180
    while (st := job.poll())["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert st["status"] == "done", st
    assert st["done"] == st["total"] == 3  # 12 samples in chunks of 5: three progress reports
    assert st["n_valid"] == 12 and 0 <= st["yield"]["yield"] <= 1
    assert max(st["surrogate_error"].values()) < 1e-3
    assert st["stats"]["rho_cal"]["mean"] == pytest.approx(2.95, rel=0.02)
