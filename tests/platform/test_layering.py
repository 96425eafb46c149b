"""The package's layers, read from the source with ``ast`` (nothing is imported):

* ``celltwin.platform`` knows no battery: none of the electrode words appear in its code
  or string constants (docstrings may explain what the domain layer adds);
* no import goes upward: platform <- containers, cellmodel, metamodels, microstructure
  <- analysis <- store, report <- cli, app;
* no import cycle between modules, counting imports inside functions too.
"""
from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import networkx as nx
import pytest

import celltwin

PACKAGE = Path(celltwin.__file__).parent
SRC = PACKAGE.parent

#: words that belong to the battery domain, never to the platform's code
DOMAIN_WORDS = {
    "AM": r"(?<![A-Za-z0-9])AM(?![A-Za-z0-9])",
    "CA": r"(?<![A-Za-z0-9])CA(?![A-Za-z0-9])",
    "PB": r"(?<![A-Za-z0-9])PB(?![A-Za-z0-9])",
    "calendering": r"(?i)calendering",
    "current_density": r"current_density",
}

#: layer -> the layers it must not import from
FORBIDDEN = {
    **{low: {"analysis", "store", "report", "cli", "app"}
       for low in ("containers", "cellmodel", "metamodels", "microstructure")},
    # the materials library is data with a loader: it stands on the platform alone
    "materials": {"containers", "cellmodel", "metamodels", "microstructure", "analysis", "store", "report", "cli",
                  "app"},
    "analysis": {"store", "report", "cli", "app"},
    "store": {"cli", "app"},
    "report": {"cli", "app"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    """``celltwin.analysis.uq.study`` -> ``analysis``; ``celltwin.cli`` -> ``cli``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "celltwin"


def imports(module: str, path: Path) -> list[tuple[str, int]]:
    """Every celltwin module that ``module`` imports (at module level or inside a function),
    relative imports resolved, with the line of the import. ``from pkg import sub`` counts
    as an import of the submodule, ``from pkg import name`` as one of the package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub if sub in MODULES else target, node.lineno))
    out = []
    for target, line in found:
        if target != "celltwin" and not target.startswith("celltwin."):
            continue
        while target not in MODULES and "." in target:  # a name inside a module: the module
            target = target.rsplit(".", 1)[0]
        out.append((target, line))
    return out


def code_without_docstrings(source: str) -> str:
    """The code of a module without its module, class and function docstrings (and without
    comments): what runs, including every string constant."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                node.body[0] = ast.Pass()
    return ast.unparse(tree)


def domain_words(code: str) -> list[tuple[str, str]]:
    lines = code.splitlines()
    return [(word, lines[code[:m.start()].count("\n")].strip())
            for word, pattern in DOMAIN_WORDS.items() for m in re.finditer(pattern, code)]


def test_the_walk_sees_the_whole_package():
    assert {"celltwin.platform.scenario", "celltwin.containers.scenario", "celltwin.analysis",
            "celltwin.cellmodel.container"} <= set(MODULES)
    found = dict(imports("celltwin.platform.scenario", MODULES["celltwin.platform.scenario"]))
    assert "celltwin.platform.catalog" in found and "celltwin.platform.units" in found  # relative imports resolved


def test_the_docstring_filter_keeps_code_and_strings_and_drops_docstrings():
    source = '"""Module about AM."""\n\nclass C:\n    """Calendering."""\n\n    def f(self):\n' \
             '        """current_density"""\n        return {"w_PB": 1}  # a comment on CA\n'
    code = code_without_docstrings(source)
    assert [w for w, _ in domain_words(code)] == ["PB"]  # the string constant, not the docstrings or comment
    assert domain_words(code_without_docstrings("x = 'calendering'\n")) == [("calendering", "x = 'calendering'")]


@pytest.mark.parametrize("module", [m for m in MODULES if layer(m) == "platform"])
def test_platform_code_knows_no_battery(module):
    found = domain_words(code_without_docstrings(MODULES[module].read_text()))
    assert not found, f"{module} names the battery domain outside its docstrings: {found}"


def test_no_import_goes_upward():
    violations = []
    for module, path in MODULES.items():
        own = layer(module)
        for target, line in imports(module, path):
            other = layer(target)
            if own == "platform" and other != "platform" \
                    or other in FORBIDDEN.get(own, set()):
                violations.append(f"{module} (line {line}) imports {target}")
    assert not violations, "upward imports:\n" + "\n".join(violations)


def module_graph() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(MODULES)
    for module, path in MODULES.items():
        for target, line in imports(module, path):
            if target != module:  # a package importing its own names is no cycle
                g.add_edge(module, target, line=line)
    return g


def test_the_import_graph_has_the_edges_it_should():
    g = module_graph()
    assert g.has_edge("celltwin.containers.scenario", "celltwin.platform.scenario")
    assert g.has_edge("celltwin.containers.drying", "celltwin.metamodels.drying_model")  # inside a function
    assert g.has_edge("celltwin", "celltwin.containers")


def test_no_import_cycle_between_modules():
    g = module_graph()
    if not nx.is_directed_acyclic_graph(g):
        tangles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
        cycles = [" -> ".join([*c, c[0]]) for c in itertools.islice(nx.simple_cycles(g), 10)]
        pytest.fail("modules importing each other: " + "; ".join(", ".join(t) for t in tangles)
                    + "\nfor example:\n" + "\n".join(cycles))
