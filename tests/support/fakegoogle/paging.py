"""Opaque page tokens shared by the list methods."""

from __future__ import annotations

from typing import Any

from .errors import bad_request


def paginate(items: list, params: dict[str, Any], default: int, cap: int) -> tuple[list, dict]:
    """One page of ``items`` per ``pageToken``/``maxResults``, and the next token if any."""
    token = params.get("pageToken")
    try:
        start = int(token.removeprefix("page-")) if token else 0
    except ValueError:
        raise bad_request("Invalid pageToken", reason="invalid") from None
    size = max(1, min(int(params.get("maxResults") or default), cap))
    page = items[start : start + size]
    extra = {"nextPageToken": f"page-{start + size}"} if start + size < len(items) else {}
    return page, extra
