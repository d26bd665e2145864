"""Google-style API errors: one exception type, rendered as Google's JSON error envelope."""

from __future__ import annotations

from typing import Any

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class ApiError(Exception):
    """An error the fake answers with, shaped like Google's v1 error body.

    ``googleapiclient.errors.HttpError`` reads ``error.message`` and ``error.errors[0].reason``
    from this body, so ``exc.reason`` / ``exc.error_details`` look as they do against Google.
    """

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
            "status": _STATUS_NAMES.get(self.status, "UNKNOWN"),
        }
        error.update(self.extra)
        return {"error": error}


def bad_request(message: str, reason: str = "badRequest") -> ApiError:
    return ApiError(400, reason, message)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    return ApiError(404, "notFound", message)


def fault_error(status: int) -> ApiError:
    """The error body Google sends for transient server-side trouble of the given status."""
    if status == 429:
        return ApiError(429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits")
    if status == 403:
        return ApiError(
            403, "userRateLimitExceeded", "User Rate Limit Exceeded", domain="usageLimits"
        )
    if status == 500:
        return ApiError(500, "backendError", "Internal error encountered.")
    if status == 503:
        return ApiError(503, "backendError", "The service is currently unavailable.")
    return ApiError(status, "backendError", f"Injected fault {status}.")
