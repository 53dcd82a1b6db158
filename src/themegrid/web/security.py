"""Who may use the workspace: the access token, the CSRF token, the coder name, the headers.

A local server (127.0.0.1) admits a browser that opens the printed URL once
(``?token=...``); the token then lives in an HttpOnly cookie. Every request
without it gets 403. Every POST carries the CSRF token (a form field or the
``X-CSRF-Token`` header) that the server put in the page. Responses carry a
Content-Security-Policy without inline scripts and forbid framing.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_COOKIE = "tg_token"
SESSION_COOKIE = "tg_session"
USER_KEY = "themegrid.user"  # where the middleware puts the logged-in user in the ASGI scope
CODER_COOKIE = "tg_coder"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def is_local(host: str) -> bool:
    """Whether ``host`` is a loopback address (only this computer can connect)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Secrets:
    """The per-server secrets: the access token in the printed URL, and the CSRF token."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # With accounts (a server reachable from other computers): log-in sessions, by cookie.
    accounts: bool = False
    sessions: dict[str, str] = field(default_factory=dict)

    def new_session(self, user: str) -> str:
        key = secrets.token_urlsafe(32)
        self.sessions[key] = user
        return key

    def token_ok(self, value: str | None) -> bool:
        return value is not None and hmac.compare_digest(value.encode(), self.token.encode())

    def csrf_ok(self, value: str | None) -> bool:
        return value is not None and hmac.compare_digest(value.encode(), self.csrf.encode())


class SecurityMiddleware:
    """Token check, CSRF check on POST, security headers on every response."""

    def __init__(self, app: ASGIApp, secrets_: Secrets) -> None:
        self.app = app
        self.secrets = secrets_

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                for k, v in SECURITY_HEADERS.items():
                    headers.append((k.lower().encode(), v.encode()))
                message["headers"] = headers
            await send(message)

        body = b""
        if scope["method"] not in ("GET", "HEAD"):
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:  # after the body: whatever comes next (e.g. http.disconnect)
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        request = Request(scope, replay)
        response = self._check(request, body)
        if response is not None:
            await response(scope, replay, send_with_headers)
            return
        await self.app(scope, replay, send_with_headers)

    def _check(self, request: Request, body: bytes) -> Response | None:
        if self.secrets.accounts:
            denied = self._check_session(request)
            return denied if denied is not None else self._check_csrf(request, body)
        given = request.query_params.get("token")
        if given is not None:
            if not self.secrets.token_ok(given):
                return PlainTextResponse("403: wrong access token", status_code=403)
            rest = {k: v for k, v in request.query_params.items() if k != "token"}
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(TOKEN_COOKIE, self.secrets.token, httponly=True, samesite="strict")
            return response
        if not self.secrets.token_ok(request.cookies.get(TOKEN_COOKIE)):
            return PlainTextResponse(
                "403: open the URL that 'themegrid serve' printed (it carries the access token)",
                status_code=403,
            )
        return self._check_csrf(request, body)

    def _check_session(self, request: Request) -> Response | None:
        user = self.secrets.sessions.get(request.cookies.get(SESSION_COOKIE) or "")
        if user is not None:
            request.scope[USER_KEY] = user
            return None
        if request.url.path == "/login" or request.url.path.startswith("/static/"):
            return None
        if request.method in ("GET", "HEAD"):
            return RedirectResponse("/login", status_code=303)
        return PlainTextResponse("403: log in first (/login)", status_code=403)

    def _check_csrf(self, request: Request, body: bytes) -> Response | None:
        if request.method not in ("GET", "HEAD"):
            sent = request.headers.get(CSRF_HEADER)
            if sent is None and request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD)
                sent = values[0] if values else None
            if not self.secrets.csrf_ok(sent):
                return PlainTextResponse("403: missing or wrong CSRF token", status_code=403)
        return None


__all__ = [
    "CODER_COOKIE",
    "CSP",
    "CSRF_FIELD",
    "SECURITY_HEADERS",
    "SESSION_COOKIE",
    "TOKEN_COOKIE",
    "USER_KEY",
    "Secrets",
    "SecurityMiddleware",
    "is_local",
]
