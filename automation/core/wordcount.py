"""Measuring a rendered email the way the method judges it: words of prose, and what it asks.

*Prose* is the body without the offered-slot list (lines like ``  1. Tue, Dec 8, ...``) and
without the sign-off (the last paragraph: "Thank you,\\nAlex"). The method's budgets: at most
75 words of prose in an outreach, under 50 in a follow-up; an outreach asks a question, never
mentions a job, and is more about the reader ("you", "your") than the writer ("I", "my").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from automation.core.lazyre import lazy_compile

#: Words of prose allowed per template (``templates check`` warns above them).
BUDGETS = {"outreach.txt.j2": 75, "follow_up.txt.j2": 50}
#: Words an outreach must not use: it asks for advice, never for a job.
JOB_WORDS = ("job", "jobs", "position", "positions", "opening", "openings", "resume",
             "résumé", "resumes", "cv", "cvs", "hiring", "hire", "vacancy", "vacancies")

_LIST_LINE = lazy_compile(r"^\s*(\d+[.)]|[-*•])\s+")
_WORD = lazy_compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SELF = frozenset({"i", "i'm", "i’m", "i'd", "i’d", "i've", "i’ve", "i'll", "i’ll", "me", "my",
                   "mine", "myself"})
_READER = frozenset({"you", "your", "yours", "yourself", "you're", "you’re", "you'd", "you’d",
                     "you've", "you’ve", "you'll", "you’ll"})

__all__ = ["BUDGETS", "JOB_WORDS", "Measure", "measure", "prose", "warnings"]


def prose(body: str) -> str:
    """``body`` without list lines and without its last paragraph (the sign-off)."""
    paragraphs = re.split(r"\n\s*\n", body.strip())
    if len(paragraphs) > 1:
        paragraphs = paragraphs[:-1]
    lines = [line for p in paragraphs for line in p.splitlines()]
    return "\n".join(line for line in lines if not _LIST_LINE.match(line))


@dataclass(frozen=True)
class Measure:
    """What ``measure`` found in one rendered body."""

    words: int
    questions: int
    job_words: tuple[str, ...]
    about_reader: int  # "you", "your", ...
    about_writer: int  # "I", "my", ...


def measure(body: str) -> Measure:
    text = prose(body)
    words = _WORD.findall(text)
    lower = [w.lower() for w in words]
    return Measure(
        words=len(words),
        questions=text.count("?"),
        job_words=tuple(dict.fromkeys(w for w in lower if w in JOB_WORDS)),
        about_reader=sum(1 for w in lower if w in _READER),
        about_writer=sum(1 for w in lower if w in _SELF),
    )


def warnings(name: str, body: str) -> list[str]:
    """The method's warnings for template ``name`` rendered as ``body`` (empty: all good)."""
    found = measure(body)
    result = []
    budget = BUDGETS.get(name)
    if budget is not None and found.words > budget:
        result.append(f"{found.words} words of prose; keep it to {budget} or fewer "
                      "(the slot list and the sign-off are not counted)")
    if name == "outreach.txt.j2":
        if found.job_words:
            result.append(f"mentions {', '.join(repr(w) for w in found.job_words)}: ask for "
                          "advice and their story, never for a job")
        if not found.questions:
            result.append("asks no question; ask one they can answer (e.g. how they got "
                          "where they are)")
        if found.about_writer > found.about_reader:
            result.append(f"more about you ({found.about_writer} I/me/my) than about them "
                          f"({found.about_reader} you/your)")
    return result
