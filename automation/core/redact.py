"""Scrub anything that looks like a credential out of text shown or logged.

Pure: used by health records (shown to the user) and by the log filter in ``adapters/logsafe``.
"""

from __future__ import annotations

from automation.core.lazyre import lazy_compile

MASK = "[redacted]"

_PATTERNS = [
    # Authorization headers: keep the scheme, hide the credential.
    lazy_compile(r"(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{6,}"),
    # Google access tokens (ya29.…) and refresh tokens (1//…).
    lazy_compile(r"\bya29\.[A-Za-z0-9._-]+"),
    lazy_compile(r"(?<![\w/])1//[A-Za-z0-9._-]{8,}"),
    # key=value, key: value and "key": "value" for secret-bearing keys.
    lazy_compile(r"(?i)((?<![A-Za-z0-9])\"?(?:access_token|refresh_token|id_token|client_secret"
                 r"|token|password|secret|assertion)\"?\s*[:=]\s*\"?)[^\"&\s,}]+"),
    # An OAuth authorization code in a redirect URL.
    lazy_compile(r"([?&]code=)[^&\s]+"),
]


def redact(text: str) -> str:
    """``text`` with every credential-looking substring replaced by ``[redacted]``."""
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        else:
            text = pattern.sub(MASK, text)
    return text
