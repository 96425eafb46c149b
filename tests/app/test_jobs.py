"""The page's exact P2D run."""
import pytest


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
