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


#: ErrorInfo.reason that Google sends beside a legacy reason (the quota ones are documented at
#: https://cloud.google.com/apis/design/errors#error_info: RATE_LIMIT_EXCEEDED).
_ERROR_INFO = {
    "rateLimitExceeded": "RATE_LIMIT_EXCEEDED",
    "userRateLimitExceeded": "RATE_LIMIT_EXCEEDED",
    "insufficientPermissions": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
    "accessNotConfigured": "SERVICE_DISABLED",
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
        # Google's v1 error envelope carries the legacy ``errors[]`` *and* the AIP-193 fields
        # together: "status" (the google.rpc.Code name) and "details" with an ErrorInfo whose
        # "reason" is UPPER_SNAKE_CASE (https://cloud.google.com/apis/design/errors#error_info,
        # https://google.aip.dev/193: "Error responses must include an ErrorInfo ... reason").
        # googleapiclient's HttpError.error_details then holds ``details``, not ``errors``.
        error: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
            "status": _STATUS_NAMES.get(self.status, "UNKNOWN"),
        }
        info = _ERROR_INFO.get(self.reason)
        if info is not None:
            error["details"] = [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": info,
                "domain": "googleapis.com",
                "metadata": {"service": "gmail.googleapis.com", "quota_limit_value": "250"},
            }]
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
