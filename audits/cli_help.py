"""What `python -m audits [COMMAND] --help` says: each command's description, an example and its
exit codes, and a help formatter that keeps those paragraphs as written and names each
option's default. The options themselves are declared in audits/cli.py."""

from __future__ import annotations

import argparse
import textwrap
from dataclasses import dataclass

USAGE_ERROR = "2  the command line is wrong (argparse names the option)"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs as written; '(default: …)' after an option's help when it has a
    default worth saying (not for required options, flags, or an absent value)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if ("%(default)" in text or not action.option_strings or action.required or default is None
                or default is False or default is argparse.SUPPRESS):
            return text
        return f"{text} (default: %(default)s)"


@dataclass(frozen=True)
class CommandHelp:
    summary: str                 # one line, in the list of commands
    description: str             # what it does, a paragraph or two
    examples: tuple[str, ...]
    exit_codes: tuple[str, ...]  # "0  …" lines

    def epilog(self) -> str:
        lines = ["Example" + ("s" if len(self.examples) > 1 else "") + ":"]
        lines += [f"  {example}" for example in self.examples]
        lines += ["", "Exit codes:"] + [textwrap.fill(code, width=92, initial_indent="  ", subsequent_indent="     ")
                                        for code in self.exit_codes]
        return "\n".join(lines)


COMMANDS: dict[str, CommandHelp] = {
    "sample": CommandHelp(
        "write a realistic sample landing zone with planted violations",
        "Write a sample landing zone: reference tables, one CDR file per agency and day and one SMS file\n"
        "per texting agency and day, with violations planted on purpose, and the ground truth of what\n"
        "an audit must find (<landing>/truth/). About one text a day per 20 calls.\n"
        "For demonstrations and tests; no real data.",
        ("python -m audits sample --landing demo/landing --start 2026-11-21 --days 10 --agencies 8",),
        ("0  the landing zone was written", USAGE_ERROR)),
    "run": CommandHelp(
        "audit one business day",
        "Audit one business day: read the landing zone's reference tables and the day's CDR files,\n"
        "apply the rulepack's rules, keep the day's calls and cases in the store, and publish the\n"
        "report to <out>/<date>/ (scores.csv, violations.csv, cases.csv, index.html, workbooks,\n"
        "manifest). Findings are no failure: a report with findings exits 0. A rerun of a day\n"
        "replaces its report and keeps the old one under superseded/.\n"
        "Environment: AUDIT_HMAC_SECRET (the key of callee_key; without it a development key is used\n"
        "and said so), AUDIT_SIGNING_KEY (a PEM private key to sign the manifest; optional).",
        ("python -m audits run --date 2026-11-30 --landing /data/landing --out /data/reports "
         "--store /data/store",),
        ("0  the report was published", "2  the day cannot be audited: the message says why (rulepack, landing "
         "zone, reference data, lock, disk); nothing was published", USAGE_ERROR)),
    "verify": CommandHelp(
        "check a report, review or share pack against its manifest (and signature), or the chain of daily reports",
        "Check a published daily report, a review folder or an agency's share pack (.zip or extracted)\n"
        "against its manifest: every file listed and unchanged, no file added; for a daily report also\n"
        "its inputs, row conservation and the recomputed scores. With --public-key the manifest must be\n"
        "signed by that key. With --chain and PATH the reports root, check that each day of the range\n"
        "has a report naming the manifest published for the day before. With --desk and --store,\n"
        "check the case desk's chain of events instead: an edited, removed or reordered event is named.",
        ("python -m audits verify /data/reports/2026-11-30 --public-key bank.pub.pem",
         "python -m audits verify /data/reports --chain 2026-11-01..2026-11-30",
         "python -m audits verify --desk --store /data/store"),
        ("0  verified", "1  problems found: each is named on stderr",
         "2  cannot verify: the path or the key is unusable", USAGE_ERROR)),
    "keygen": CommandHelp(
        "write a key pair to sign manifests: DIR/signing-key.pem (private, 0600) and DIR/signing-key.pub.pem",
        "Write an Ed25519 key pair to sign manifests: DIR/signing-key.pem (private, mode 0600) and\n"
        "DIR/signing-key.pub.pem (public, for whoever verifies). An existing key is never overwritten.\n"
        "Then set AUDIT_SIGNING_KEY=DIR/signing-key.pem where the audit runs.",
        ("python -m audits keygen /etc/audits/keys",),
        ("0  the key pair was written", "2  cannot write it: a key is already there, or the folder is not "
         "writable", USAGE_ERROR)),
    "cases": CommandHelp(
        "print the case register of a day (masked)",
        "Print the case register of the latest audited day (or of --as-of) from the store, masked: one\n"
        "line per case with its status, days open and a one-sentence summary. The first line counts\n"
        "the cases shown; \"open\" means not resolved, with the statuses beside it (new, reopened,\n"
        "open: findings today and before, quiet: none today). Filters combine. Control characters in\n"
        "ids are printed escaped (\\x1b).",
        ("python -m audits cases --store /data/store --agency AG04 --severity critical",
         "python -m audits cases --store /data/store --status new,reopened --format csv > new.csv"),
        ("0  the register was printed (possibly empty after filtering)",
         "2  no cases: the store holds none (or none on or before --as-of), or --store is not the store",
         USAGE_ERROR)),
    "case": CommandHelp(
        "one case's history: every finding day, counts, status (masked)",
        "Print one case's history from the store, masked: every audited day from its first finding on,\n"
        "with its status, findings, calls and the decisions (exceptions, disputes) that covered it.",
        ("python -m audits case C-3f9a0c12d4e5 --store /data/store",),
        ("0  the history was printed", "2  no such case in the store, or --store is not the store", USAGE_ERROR)),
    "review": CommandHelp(
        "period scorecards, SLA and agency share packs of a month or quarter",
        "Build the review of a calendar month or quarter from the published daily reports and the\n"
        "store (never the landing zone): period scores and grades by the daily formula over the\n"
        "period's totals, the SLA per clause, cases active in the period, and one share pack per\n"
        "agency, written to <out>/reviews/<period>/. It refuses a period with days that have no\n"
        "published report, naming them, unless --allow-missing-days.",
        ("python -m audits review --month 2026-11 --out /data/reports --store /data/store",
         "python -m audits review --quarter 2026-Q4 --out /data/reports --store /data/store --allow-missing-days"),
        ("0  the review was published (or was unchanged)", "2  cannot review: the message says why (period, "
         "missing days, folders, rulepack, lock, disk)", USAGE_ERROR)),
    "pull": CommandHelp(
        "pull the day's files from their sources into the landing zone",
        "Pull the day's reference tables and CDR files from the sources named in sources.yaml (SFTP,\n"
        "object storage, a database query, a local folder) into the landing zone, validated and put\n"
        "in place whole. A file of a day already audited is not changed unless --replace.",
        ("python -m audits pull --date 2026-11-30 --landing /data/landing --out /data/reports",
         "python -m audits pull --date 2026-11-30 --landing /data/landing --agency AG03"),
        ("0  every source was pulled or has nothing yet", "1  some sources failed (named on stderr); the "
         "others were pulled", "2  nothing can be pulled: sources.yaml or the landing zone is unusable",
         USAGE_ERROR)),
    "desk": CommandHelp(
        "act on cases (take, assign, due, ack, comment, propose/approve exceptions, disputes) and print the log",
        "Record an act on a case in the case desk, as the web app does: the same events, roles and\n"
        "four eyes (nobody approves their own proposal or decides a dispute they recorded). --as names\n"
        "a user of the desk config (<store>/desk.yaml: users: alice: [officer]). A refused act prints\n"
        "one sentence saying why and records nothing; a recorded act prints what it recorded.\n"
        "propose-exception and dispute print the new id (EXC-…, DSP-…) as their last line.",
        ("python -m audits desk propose-exception C-3f9a0c12d4e5 --as alice --reason 'agreed with legal' "
         "--from 2026-12-01 --to 2026-12-31 --store /data/store",
         "python -m audits desk approve EXC-2026-12-07-N001 --as bob --store /data/store",
         "python -m audits desk log --store /data/store --format csv > desk-log.csv"),
        ("0  the act was recorded (or the log printed)", "1  the act was refused: the sentence says why; nothing "
         "was recorded", "2  the desk cannot be opened: the store, the desk config or the database is unusable",
         USAGE_ERROR)),
}

PROGRAM_EPILOG = "\n".join([
    "Examples:",
    "  python -m audits run --date 2026-11-30 --landing /data/landing --out /data/reports --store /data/store",
    "  python -m audits cases --store /data/store --severity critical",
    "  python -m audits COMMAND --help      (each command's options, defaults and exit codes)",
    "",
    "Exit codes:",
    "  0  done",
    "  1  verify found problems; pull could not pull some sources",
    "  2  the command could not do its work (the message says why), or the command line is wrong",
])


def add_command(commands, name: str) -> argparse.ArgumentParser:
    """The subparser of `name` with its summary, description, examples and exit codes."""
    text = COMMANDS[name]
    return commands.add_parser(name, help=text.summary, description=text.description, epilog=text.epilog(),
                               formatter_class=HelpFormatter)
