"""A loopback fake of the Gmail v1 and Calendar v3 REST APIs for the real Google client.

Fake the wire, not the library (see shared/DESIGN.md): tests build real
``googleapiclient`` services against ``FakeGoogle().base_url`` and play the user through its
helpers.
"""

from .fake import CALENDAR_SCOPES, DEFAULT_SCOPES, GMAIL_SCOPES, FakeGoogle
from .gmail import Draft, Message

__all__ = ["CALENDAR_SCOPES", "DEFAULT_SCOPES", "GMAIL_SCOPES", "Draft", "FakeGoogle", "Message"]
