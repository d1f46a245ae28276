"""What every rule shares: its signature and the map from an action name to an outcome."""

from __future__ import annotations

from collections.abc import Callable

from app.pipeline.context import Outcome, PostContext, Verdict, accept, discard, hold, reject

Rule = Callable[[PostContext], Outcome]

ACTIONS: dict[str, Callable[[str], Outcome]] = {
    Verdict.ACCEPT: accept,
    Verdict.HOLD: hold,
    Verdict.REJECT: reject,
    Verdict.DISCARD: discard,
}


def outcome_for(action: str, reason: str) -> Outcome:
    """The outcome an action name (accept/hold/reject/discard) stands for; unknown names hold."""
    return ACTIONS.get(action, hold)(reason)
