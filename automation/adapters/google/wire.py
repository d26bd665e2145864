"""The transport under the Google clients: an ``httplib2.Http`` that counts what it sends."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import httplib2


class _Counted:
    """A connection that counts each request it writes, by path, on its ``wire``."""

    wire: WireHttp

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        self.wire.sent[urlsplit(url).path] += 1
        super().request(method, url, *args, **kwargs)  # type: ignore[misc]


class WireHttp(httplib2.Http):
    """An ``httplib2.Http`` that counts the requests it puts on the wire, by path.

    httplib2 sends a request again by itself, POSTs included, when the connection drops
    before the answer (``_conn_request`` on ``BadStatusLine``): a ``drafts.create`` that
    Gmail committed is then done twice, and Google counts the quota of both. The count tells
    the backend when that happened, so only then does it look for a copy (and the pacer
    charges the copy). It rides on ``Http.request``'s documented ``connection_type``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: Counter[str] = Counter()
        self._types = {
            "http": type("CountedHTTP", (_Counted, httplib2.HTTPConnectionWithTimeout),
                         {"wire": self}),
            "https": type("CountedHTTPS", (_Counted, httplib2.HTTPSConnectionWithTimeout),
                          {"wire": self}),
        }

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
                connection_type: Any = None) -> Any:
        connection_type = connection_type or self._types.get(urlsplit(uri).scheme.lower())
        return super().request(uri, method, body, headers, redirections, connection_type)

    def sends(self, uri: str) -> int:
        """Requests written so far to ``uri``'s path (any query)."""
        return self.sent[urlsplit(uri).path]
