"""The documentation site's configuration: every page of docs/ is in the nav (mkdocs --strict, run by
`make docs`, fails otherwise), and every package has its API page."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _pages(nav) -> list[str]:
    out = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        out += _pages(value) if isinstance(value, list) else [value]
    return out


def _config() -> dict:
    class Loader(yaml.SafeLoader):  # mkdocs.yml may hold !!python tags; only nav is read here
        pass

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)


def test_every_docs_page_is_in_the_nav():
    pages = _pages(_config()["nav"])
    on_disk = sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md"))
    assert sorted(pages) == on_disk


def test_an_api_page_per_package():
    for package in ("platform", "containers", "cellmodel", "analysis", "store", "report"):
        assert f"::: celltwin.{package}" in (ROOT / "docs" / "api" / f"{package}.md").read_text()
