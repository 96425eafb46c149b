"""The cell surrogate: against the P2D, and its numpy evaluation against OpenTURNS."""
import numpy as np


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


def test_numpy_pce_equals_openturns(wb):
    """The numpy evaluation of the fitted PCEs is the same polynomial as OpenTURNS' metamodel."""
    from celltwin.app.surrogate import FastPCE

    s, _ = wb.surrogate(wb.base)
    rng = np.random.default_rng(3)
    lo, hi = (np.array([s.box[k][i] for k in s.inputs]) for i in (0, 1))
    X = lo + (hi - lo) * rng.random((500, len(s.inputs)))
    for sur in s.pces.values():
        np.testing.assert_allclose(FastPCE(sur.result)(X), sur.predict(X), rtol=1e-11)
