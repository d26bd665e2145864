"""OAuth 2 for the fake: access/refresh tokens with scopes, the token endpoint, revocation."""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
from collections.abc import Iterable
from typing import Any

from .errors import ApiError

SCOPE_PREFIX = "https://www.googleapis.com/auth/"


def normalize_scope(scope: str) -> str:
    """Accept short names ("gmail.readonly") as well as full scope URLs."""
    return scope if "://" in scope else SCOPE_PREFIX + scope


class TokenStore:
    """Tokens the fake has issued. Not thread-safe by itself: the caller holds the fake's lock."""

    def __init__(self) -> None:
        self.access: dict[str, frozenset[str]] = {}
        self.refresh: dict[str, frozenset[str]] = {}
        self.revoked: set[str] = set()
        self.granted_scopes: set[str] = set()
        self.codes: dict[str, tuple[frozenset[str], str]] = {}
        self._serial = itertools.count(1)

    def issue(self, scopes: Iterable[str]) -> tuple[str, str]:
        """Grant ``scopes`` as a user's consent would: a fresh access and refresh token."""
        granted = frozenset(normalize_scope(s) for s in scopes)
        serial = next(self._serial)
        refresh_token = f"1//fake-refresh-{serial}-{secrets.token_hex(6)}"
        self.refresh[refresh_token] = granted
        return self._new_access(granted), refresh_token

    def _new_access(self, scopes: frozenset[str]) -> str:
        token = f"ya29.fake-{next(self._serial)}-{secrets.token_hex(8)}"
        self.access[token] = scopes
        self.granted_scopes |= scopes
        return token

    def revoke_refresh_token(self, refresh_token: str) -> None:
        self.revoked.add(refresh_token)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (401), as after an hour."""
        self.access.clear()

    def issue_code(self, scopes: Iterable[str], code_challenge: str = "") -> str:
        """The one-time code Google puts in the redirect after the user consents to ``scopes``."""
        code = f"4/fake-code-{next(self._serial)}-{secrets.token_hex(6)}"
        self.codes[code] = (frozenset(normalize_scope(s) for s in scopes), code_challenge)
        return code

    def _exchange_code(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        scopes, challenge = self.codes.pop(form.get("code", ""), (None, ""))
        if scopes is None:
            return 400, {"error": "invalid_grant", "error_description": "Malformed auth code."}
        if challenge:  # PKCE (S256), as the installed-app flow sends it
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).decode().rstrip("=") != challenge:
                return 400, {"error": "invalid_grant", "error_description": "Invalid code verifier."}
        access, refresh = self.issue(scopes)
        return 200, {"access_token": access, "refresh_token": refresh, "expires_in": 3599,
                     "scope": " ".join(sorted(scopes)), "token_type": "Bearer"}

    def token_endpoint(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Answer ``POST /token`` the way Google's OAuth server does (status, JSON body)."""
        if form.get("grant_type") == "authorization_code":
            return self._exchange_code(form)
        if form.get("grant_type") != "refresh_token":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "Invalid grant_type",
            }
        token = form.get("refresh_token", "")
        if token in self.revoked:
            return 400, {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
        if token not in self.refresh:
            return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
        allowed = self.refresh[token]
        asked = frozenset(normalize_scope(s) for s in form.get("scope", "").split())
        if asked - allowed:
            return 400, {
                "error": "invalid_scope",
                "error_description": "Some requested scopes were invalid. "
                f"{{invalid={sorted(asked - allowed)}}}",
            }
        scopes = asked or allowed
        return 200, {
            "access_token": self._new_access(scopes),
            "expires_in": 3599,
            "scope": " ".join(sorted(scopes)),
            "token_type": "Bearer",
        }

    def scopes_for(self, authorization: str | None) -> frozenset[str]:
        """The scopes behind an ``Authorization: Bearer`` header, or a 401 like Google's."""
        token = ""
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        if token not in self.access:
            raise ApiError(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        return self.access[token]
