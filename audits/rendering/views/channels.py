"""Calls and texts side by side on a scorecard (sms.md §3): shown only on a day with texts."""

from __future__ import annotations

from dataclasses import dataclass

from audits.models import Scorecard
from audits.rendering.formatting import fmt_int


@dataclass(frozen=True)
class ChannelsView:
    calls_audited: str
    messages_audited: str
    findings_calls: str
    findings_messages: str


def channels_view(card: Scorecard) -> ChannelsView | None:
    """Both channels' volumes and findings; None on a day without texts (nothing shown)."""
    if not card.texts_shown:
        return None
    return ChannelsView(calls_audited=fmt_int(card.calls_audited), messages_audited=fmt_int(card.messages_audited),
                        findings_calls=fmt_int(card.findings_calls), findings_messages=fmt_int(card.findings_sms))
