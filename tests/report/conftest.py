"""Shared fixture: render an HTML file in Debian's headless Chromium, DOM after its scripts ran."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture
def rendered_dom(tmp_path):
    """``rendered_dom(html_path) -> str``; skips the test when no Chromium is installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("needs a headless Chromium (Debian: apt-get install chromium)")

    def render(html: Path) -> str:
        profile = tmp_path / f"profile-{Path(html).stem}"
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom",
               Path(html).resolve().as_uri()]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout

    return render
