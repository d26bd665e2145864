"""The kinds of inbound message (``replies.Kind``), in a module of their own.

The pipeline's decisions, the timing of follow-ups and the provenance checks compare kinds;
only classifying a message needs the reply reader (``core.replies``, which re-exports
``Kind``) and the tables and libraries behind it. A pass with no new mail imports this alone.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ANSWER_KINDS", "Kind"]


class Kind(StrEnum):
    """What an inbound message is, from the pipeline's point of view."""

    HUMAN = "human"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OPT_OUT = "opt_out"
    DECLINE = "decline"
    REDIRECT = "redirect"


#: Inbound kinds that are a person answering (auto-replies and bounces are machines).
ANSWER_KINDS = frozenset({Kind.HUMAN, Kind.DECLINE, Kind.REDIRECT, Kind.OPT_OUT})
