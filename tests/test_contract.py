"""Contract tests over the registries: rules, rulepacks, suites, README, and the direction of imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from audits.models import RULE_INFO, RULES_BY_ID
from audits.rulepack import RULEPACK_DIR
from audits.rules import RULES

REPO = Path(__file__).resolve().parents[1]


def test_registry_and_rule_info_agree():
    assert [r.rule_id for r in RULES] == [i.rule_id for i in RULE_INFO]


def test_every_rule_of_docs_rules_md_is_implemented_with_its_severity():
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| ((?:FREQ|CONF|QUAL|SMS|CONTACT)_[A-Z0-9_]+) \| (critical|major|minor) \|", text, re.M))
    assert documented == {i.rule_id: i.severity.value for i in RULE_INFO}


@pytest.mark.parametrize("rule_id", sorted(RULES_BY_ID))
def test_every_rule_is_documented_in_the_readme(rule_id):
    assert f"`{rule_id}`" in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted(RULEPACK_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_rule_id_in_a_rulepack_exists(path):
    import yaml

    assert set(yaml.safe_load(path.read_text())["rules"]) <= set(RULES_BY_ID)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _modules():
    return [(p.relative_to(REPO).as_posix(), _imports(p)) for p in sorted((REPO / "audits").rglob("*.py"))]


def test_the_core_never_imports_airflow():
    # Only sources/ reaches the providers' hooks (style.md), and only inside functions (below).
    offenders = [m for m, names in _modules() if any(n.split(".")[0] == "airflow" for n in names)
                 and not m.startswith("audits/sources/")]
    assert offenders == []


def test_sources_import_airflow_and_the_drivers_only_inside_functions():
    lazy = {"airflow", "paramiko", "psycopg", "psycopg2", "fsspec"}
    for path in sorted((REPO / "audits" / "sources").glob("*.py")):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        top = {alias.name for node in body if isinstance(node, ast.Import) for alias in node.names}
        top |= {node.module for node in body if isinstance(node, ast.ImportFrom) and node.module}
        assert not {n.split(".")[0] for n in top} & lazy, path.name


def test_only_validation_imports_great_expectations():
    users = {m for m, names in _modules() if any(n.split(".")[0] == "great_expectations" for n in names)}
    assert users == {"audits/validation.py"}


def test_only_rendering_imports_jinja2_and_openpyxl():
    users = {m for m, names in _modules() if any(n.split(".")[0] in ("jinja2", "openpyxl") for n in names)}
    assert users and all(m.startswith("audits/rendering/") for m in users)


def test_stages_do_not_import_the_pipeline_and_rendering_sees_no_dataframes():
    stages = [m for m, names in _modules() if m.startswith(("audits/rules/", "audits/loaders", "audits/validation",
                                                            "audits/scoring", "audits/store", "audits/rendering/"))]
    for module, names in _modules():
        if module in stages:
            assert "audits.pipeline" not in names, module
        if module.startswith("audits/rendering/"):
            assert "pandas" not in names, module


def test_the_dag_calls_only_the_pipeline_and_config_layer():
    names = _imports(REPO / "dags" / "vendor_audit_nightly.py")
    ours = {n for n in names if n.startswith("audits")}
    assert ours <= {"audits.pipeline", "audits.config", "audits.rulepack", "audits.cli", "audits.notify",
                    "audits.deployment", "audits.signing",      # signing: the key from a connection (review.md §3)
                    "audits.sources.pull", "audits.sources.connections", "audits.restore", "audits.version",
                    "audits.landing_wait"}      # what wait_for_landing waits for (an SMS file where owed)



# --- the import graph: acyclic, one direction, no lazy import of our own modules -------------

# The layers of style.md ("Direction of imports"), top to bottom. A module belongs to the layer of
# the longest prefix that names it; an import may run sideways or down, never up.
LAYERS = (
    ("entry points", ("audits.__main__", "audits.cli", "audits.demo", "audits.local_run", "audits.restore",
                      "audits.desk.web")),
    ("orchestrators", ("audits.pipeline", "audits.review_run", "audits.report", "audits.verification")),
    ("rendering", ("audits.rendering",)),
    ("stages", ("audits",)),
    ("vocabulary", ("audits.models", "audits.config", "audits.errors", "audits.version")),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_files() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((REPO / "audits").rglob("*.py"))}


def _project_imports(name: str, path: Path, known) -> list[tuple[str, bool]]:
    """(imported project module, lazily?) for every import of `audits` in one module; relative
    imports resolved, `from package import module` read as the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node, lazy: bool):
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                found.extend((f"{base}.{a.name}" if f"{base}.{a.name}" in known else base, inner) for a in child.names)
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    ours = []
    for target, lazy in found:
        if target.split(".")[0] == "audits":
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            ours.append((target, lazy))
    return ours


def _import_graph(files: dict[str, Path]) -> dict[str, list[tuple[str, bool]]]:
    return {name: _project_imports(name, path, files) for name, path in files.items()}


def _layer(module: str) -> int:
    matches = [(len(prefix), rank) for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
               if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1]


def _cycles(graph: dict[str, list[tuple[str, bool]]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or of one importing itself (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def connect(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target, _ in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1 or any(t == node for t, _ in graph.get(node, ())):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_module_of_the_core_imports_itself_back_in_a_circle():
    assert _cycles(_import_graph(_module_files())) == []


def test_imports_run_down_the_layers_of_the_house_style_never_up():
    graph = _import_graph(_module_files())
    up = sorted({f"{source} ({LAYERS[_layer(source)][0]}) -> {target} ({LAYERS[_layer(target)][0]})"
                for source, targets in graph.items() for target, _ in targets if _layer(target) < _layer(source)})
    assert up == []


def test_the_core_imports_its_own_modules_at_the_top_only():
    # Lazy imports (inside a function) are for heavy third-party libraries: great_expectations,
    # the Airflow providers' hooks and drivers. An own module imported lazily hides a circle or an
    # arrow up. (The DAG files are exempt: Airflow parses them often, so audits is imported in tasks.)
    lazy = sorted({f"{source} -> {target}" for source, targets in _import_graph(_module_files()).items()
                  for target, inside_function in targets if inside_function})
    assert lazy == []


def test_the_import_scan_sees_a_circle_an_arrow_up_and_a_lazy_import(tmp_path):
    # The scanner itself, on a literal three-module package: without this the tests above could pass
    # on a scanner that finds nothing.
    package = tmp_path / "audits"
    package.mkdir()
    (package / "models.py").write_text("from audits import pipeline\n")
    (package / "pipeline.py").write_text("import audits.models\n\ndef run():\n    from .models import X\n")
    files = {name: package / f"{name.split('.')[1]}.py" for name in ("audits.models", "audits.pipeline")}
    graph = {name: _project_imports(name, path, files) for name, path in files.items()}
    assert graph == {"audits.models": [("audits.pipeline", False)],
                     "audits.pipeline": [("audits.models", False), ("audits.models", True)]}
    assert _cycles(graph) == [["audits.models", "audits.pipeline"]]
    assert _layer("audits.models") > _layer("audits.pipeline") > _layer("audits.cli")
    assert _layer("audits.rendering.html") < _layer("audits.scoring") < _layer("audits.config")
