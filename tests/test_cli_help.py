"""Every command and option of `python -m audits` explains itself: a description, an example and
the exit codes on every command; help on every option, its default where it has one."""

from __future__ import annotations

import argparse

import pytest

from audits.cli import _parser
from audits.cli import main as cli


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


COMMANDS = _commands()


def test_every_command_is_walked():
    assert set(COMMANDS) == {"sample", "run", "verify", "keygen", "cases", "case", "review", "pull", "desk"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_description_an_example_and_exit_codes(name):
    command = COMMANDS[name]
    assert command.description and command.description.strip()
    assert command.epilog and "Exit codes" in command.epilog and "Example" in command.epilog
    assert f"python -m audits {name}" in command.epilog
    assert isinstance(command.formatter_class, type) and issubclass(command.formatter_class,
                                                                    argparse.RawDescriptionHelpFormatter)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_has_help_and_says_its_default(name):
    for action in COMMANDS[name]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        label = "/".join(action.option_strings) or action.dest
        assert action.help and action.help.strip(), f"{name} {label} has no help"
        default = action.default
        if action.option_strings and not action.required and default not in (None, False):
            assert "default" in COMMANDS[name]._get_formatter()._expand_help(action), f"{name} {label}: no default"


def test_the_top_level_help_names_exit_codes(capsys):
    with pytest.raises(SystemExit) as done:
        cli(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "Exit codes" in out and "python -m audits run --date" in out


def test_run_help_describes_every_option_with_its_default(capsys):
    with pytest.raises(SystemExit):
        cli(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for words in ("--date", "--landing", "--out", "--store", "(default: data/store)", "Exit codes", "Example"):
        assert words in out
