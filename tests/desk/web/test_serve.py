"""`make desk`: the api-server's environment, the demo users' passwords, the demo desk config."""

from __future__ import annotations

import json
import stat

from audits.desk.web.serve import (
    DEMO_USERS,
    SIMPLE_AUTH_MANAGER,
    demo_desk_config,
    demo_passwords,
    desk_environment,
)
from audits.local_run import REPO


def test_the_api_server_loads_the_plugin_with_the_simple_auth_manager_and_the_demo_users(tmp_path):
    env = desk_environment(tmp_path)
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == str(REPO / "plugins")
    assert (REPO / "plugins" / "audit_desk.py").is_file()
    assert env["AIRFLOW__CORE__AUTH_MANAGER"] == SIMPLE_AUTH_MANAGER
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "auditor:viewer,officer:user,approver:op,vendor:viewer"
    assert env["VENDOR_AUDIT_DATA"] == str(tmp_path.resolve())
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == desk_environment(tmp_path)["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert len(env["AIRFLOW__API_AUTH__JWT_SECRET"]) >= 64


def test_passwords_are_generated_once_kept_and_private(tmp_path):
    first = demo_passwords(tmp_path, list(DEMO_USERS))
    assert set(first) == set(DEMO_USERS) and len(set(first.values())) == 4
    assert demo_passwords(tmp_path, list(DEMO_USERS)) == first
    path = tmp_path / "desk-passwords.json"
    assert json.loads(path.read_text()) == first                 # the file the simple auth manager reads
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_demo_names_its_vendor_manager_unless_the_store_has_a_desk_config(tmp_path):
    demo_desk_config(tmp_path)
    assert "vendor: [vendor_manager]" in (tmp_path / "desk.yaml").read_text()
    (tmp_path / "desk.yaml").write_text("users: {}\n")
    demo_desk_config(tmp_path)
    assert (tmp_path / "desk.yaml").read_text() == "users: {}\n"
