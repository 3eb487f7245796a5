"""sources.yaml and rulepacks are YAML a person writes: an alias bomb (a few lines that expand to
billions of values), a huge value or a deeply nested one must stop the load at once with a short
message, never hang it or print the value whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from audits.config import ConfigError
from audits.rulepack import load_rulepack
from audits.sources.config import load_sources
from tests.landing import DAY, make_landing


def _laughs(levels: int) -> str:
    """`levels` anchors of 9 aliases each to the one before: 9**levels strings once expanded."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _bomb_in_sources(levels: int) -> str:
    """The anchors inside a source's entry, `kind` set to the largest expansion."""
    anchors = _laughs(levels).replace("\n", "\n      ")
    return f"cdr:\n  AG01:\n    x:\n      {anchors.rstrip()}\n    kind: *a{levels}\n    path: /x/{{date:%Y%m%d}}.csv\n"


def _bomb_in_rulepack(levels: int) -> str:
    """The anchors inside the first setting the rulepack reads, whose value is the largest expansion."""
    anchors = ["&a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    anchors += [f"&a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]" for level in range(1, levels + 1)]
    return ("name: bomb\nrules:\n  FREQ_CALLING_HOURS:\n    windows:\n      marketing:\n"
            f"        start: [{', '.join(anchors)}]\n        end: '21:00'\n")


def test_an_alias_in_sources_yaml_is_refused_with_a_short_message(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(_bomb_in_sources(5))
    with pytest.raises(ConfigError) as refused:
        load_sources(path)
    message = str(refused.value)
    assert "alias" in message and str(path) in message and len(message) < 1000
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "*a0" in text)
    assert f"line {line}, column " in message               # refused at the first alias, nothing expanded


def test_an_alias_in_a_rulepack_is_refused_with_a_short_message(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb_in_rulepack(5))
    with pytest.raises(ConfigError) as refused:
        load_rulepack(path)
    message = str(refused.value)
    assert "alias" in message and len(message) < 1000


@pytest.mark.slow                                   # the command line in a subprocess
@pytest.mark.parametrize("command", ["pull", "run"])
def test_a_nine_level_alias_bomb_stops_the_command_at_once(tmp_path, command):
    landing = make_landing(tmp_path / "landing")
    (landing / "sources.yaml").write_text(_bomb_in_sources(9))
    (tmp_path / "bomb.yaml").write_text(_bomb_in_rulepack(9))
    arguments = (["pull", "--date", DAY.isoformat(), "--landing", str(landing)] if command == "pull" else
                 ["run", "--date", DAY.isoformat(), "--landing", str(landing), "--out", str(tmp_path / "out"),
                  "--rulepack", str(tmp_path / "bomb.yaml")])
    try:
        done = subprocess.run([sys.executable, "-m", "audits", *arguments], capture_output=True, text=True,
                              timeout=600, env={**os.environ, "PYTHONPATH": os.getcwd()})
    except subprocess.TimeoutExpired:                 # a hang guard (expanding the bomb never ends), not a race
        pytest.fail(f"`{command}` still loading the YAML after 600 s")
    assert done.returncode == 2 and "alias" in done.stderr and len(done.stderr) < 2000, done.stderr[:2000]


def test_a_huge_value_is_cut_in_the_message(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("cdr:\n  AG01:\n    kind: [" + ", ".join(["lol"] * 50_000) + "]\n    path: /x/{date:%Y%m%d}.csv\n")
    with pytest.raises(ConfigError) as refused:
        load_sources(path)
    message = str(refused.value)
    assert "cdr.AG01.kind must be one of sftp, local, object" in message and len(message) < 400
    rulepack = tmp_path / "long.yaml"
    packaged = (Path(__file__).parents[1] / "audits" / "rulepacks" / "cn_bank.yaml").read_text(encoding="utf-8")
    rulepack.write_text(packaged.replace("default_region: CN", "default_region: '" + "X" * 100_000 + "'"),
                        encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_rulepack(rulepack)
    assert "default_region" in str(refused.value) and len(str(refused.value)) < 600


def test_a_huge_key_is_cut_in_the_message(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("cdr:\n  ? " + "A" * 100_000 + "\n  : {kind: local, path: '/x/{date:%Y%m%d}.csv'}\n")
    with pytest.raises(ConfigError) as refused:
        load_sources(path)
    assert "not an agency id" in str(refused.value) and len(str(refused.value)) < 600


def test_a_deeply_nested_document_is_refused_not_a_crash(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("cdr: " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(ConfigError) as refused:
        load_sources(path)
    assert "nested" in str(refused.value)
    rulepack = tmp_path / "deep.yaml"
    rulepack.write_text("rules: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n")
    with pytest.raises(ConfigError) as refused:
        load_rulepack(rulepack)
    assert "nested" in str(refused.value)


def test_the_packaged_rulepacks_still_load():
    for name in ("cn_bank", "us_collections"):
        assert load_rulepack(name).name == name
