"""The text of an HTML mail body, without the quoted thread (used by ``core.newtext``).

Pure: no I/O. A module of its own so that ``html.parser`` is imported only when a reply with
an HTML body is read, not by every pass that imports the reply classifier.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

log = logging.getLogger(__name__)


class _HtmlText(HTMLParser):
    """HTML to plain text that stops at the first quoted-reply container."""

    # Gmail, Outlook (desktop and web), Apple Mail, Thunderbird and Yahoo mark where the quoted
    # message starts; everything from there on is the old thread, never the sender's new text.
    QUOTE_MARKERS = (
        "gmail_quote",
        "divrplyfwdmsg",
        "appendonsend",
        "moz-cite-prefix",
        "yahoo_quoted",
        "outlookmessageheader",
    )
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "hr", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.done = False
        self.mailto: list[str] = []  # address of each open <a href="mailto:...">, or ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        marks = " ".join(v or "" for k, v in attrs if k in ("class", "id", "type")).lower()
        if any(m in marks for m in self.QUOTE_MARKERS) or (tag == "blockquote" and "cite" in marks):
            self.done = True
        if tag in ("style", "script", "head", "title"):
            self.skip += 1
        if tag in self.BLOCKS:
            self.out.append("\n")
        if tag == "a":
            href = next((v or "" for k, v in attrs if k == "href"), "")
            self.mailto.append(href[7:].split("?")[0] if href.lower().startswith("mailto:") else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self.skip = max(0, self.skip - 1)
        if tag == "a" and self.mailto:
            # "<a href=mailto:x>Name</a>" shows only the name; keep the address, as a plain-text
            # client would, so a suggested colleague's address is not lost.
            addr = self.mailto.pop()
            if addr and not self.done and not self.skip and addr not in "".join(self.out[-3:]):
                self.out.append(f" <{addr}>")
        if tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.done and not self.skip:
            self.out.append(data)


def html_to_text(markup: str) -> str:
    """The visible text of an HTML body, up to its first quoted-reply container."""
    parser = _HtmlText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient; this guards only pathological input
        log.debug("HTML body could not be fully parsed", exc_info=True)
    text = "".join(parser.out).replace("\xa0", " ")
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()
