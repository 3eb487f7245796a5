"""Contract tests over the registries: rules, rulepacks, suites, README, and the direction of imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from audits.config import RULEPACK_DIR
from audits.models import RULE_INFO, RULES_BY_ID
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
    assert ours <= {"audits.pipeline", "audits.config", "audits.cli", "audits.notify",
                    "audits.deployment", "audits.signing",      # signing: the key from a connection (review.md §3)
                    "audits.sources.pull", "audits.restore"}
