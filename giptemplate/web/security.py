"""What keeps the local page safe: security headers, cross-site request refusal, host check and the access code.

- Every response carries a Content-Security-Policy that allows only this server's own scripts and styles (no
  inline script, no framing), and ``nosniff``.
- A state-changing request (anything but GET/HEAD) must carry the page's CSRF token in ``X-CSRF-Token`` (htmx
  sends it on every request, from ``hx-headers`` on <body>) and must not come from another site (Origin and
  Sec-Fetch-Site checked when the browser sends them).
- Bound to the loopback address, only ``localhost``/``127.0.0.1`` are accepted as Host (no DNS rebinding).
- Bound to another address, every page needs the access code printed at start (a cookie once entered).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp

logger = logging.getLogger("giptemplate.web")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
CSRF_HEADER = "X-CSRF-Token"
ACCESS_COOKIE = "giptemplate_access"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
OPEN_PATHS = ("/login", "/static/")


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS


def new_access_code() -> str:
    """Eight digits: easy to read out to a colleague, and every attempt costs a request."""
    return f"{secrets.randbelow(10**8):08d}"


class Guard:
    """The secrets of one server run: the CSRF token and, on the LAN, the access code."""

    def __init__(self, *, access_code: str | None, loopback_only: bool) -> None:
        self.csrf_token = secrets.token_urlsafe(32)
        self.access_code = access_code
        self.loopback_only = loopback_only
        self._key = secrets.token_bytes(32)

    def access_cookie(self) -> str:
        return hmac.new(self._key, b"access", hashlib.sha256).hexdigest()

    def code_matches(self, typed: str) -> bool:
        return self.access_code is not None and hmac.compare_digest(typed.strip().encode(), self.access_code.encode())

    def has_access(self, request: Request) -> bool:
        if self.access_code is None:
            return True
        return hmac.compare_digest(request.cookies.get(ACCESS_COOKIE, ""), self.access_cookie())

    def cross_site(self, request: Request) -> bool:
        """Whether a state-changing request may have been sent by another site's page."""
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return True
        origin = request.headers.get("origin")
        if origin is not None:
            host = request.headers.get("host", "")
            if origin == "null" or urlsplit(origin).netloc != host:
                return True
        return False

    def csrf_ok(self, request: Request) -> bool:
        return hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), self.csrf_token)


Handler = Callable[[Request], Awaitable[Response]]
Refusal = Callable[[Request, int, str], Response]


class GuardMiddleware(BaseHTTPMiddleware):
    def __init__(self, app: ASGIApp, guard: Guard, refuse: Refusal) -> None:
        super().__init__(app)
        self.guard = guard
        self.refuse = refuse

    async def dispatch(self, request: Request, call_next: Handler) -> Response:
        response = await self._checked(request, call_next)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def _checked(self, request: Request, call_next: Handler) -> Response:
        guard = self.guard
        if guard.loopback_only:
            host = (request.url.hostname or "").lower()
            if not is_loopback(host):
                return self.refuse(request, 400, "只接受本机地址访问（127.0.0.1 或 localhost）。")
        path = request.url.path
        if request.method not in SAFE_METHODS:
            if guard.cross_site(request):
                return self.refuse(request, 403, "拒绝来自其他网站的请求。")
            if path != "/login" and not guard.csrf_ok(request):
                return self.refuse(request, 403, "请求缺少有效的安全令牌，请刷新页面后重试。")
        if not path.startswith(OPEN_PATHS) and not guard.has_access(request):
            if request.method in SAFE_METHODS:
                return RedirectResponse("/login", status_code=303)
            return self.refuse(request, 401, "请先输入访问码。")
        try:
            return await call_next(request)
        except Exception as exc:  # the page says what went wrong in one line; the console gets one line too
            logger.error("internal error on %s %s: %s: %s", request.method, path, type(exc).__name__, exc)
            message = f"处理请求时发生内部错误（{type(exc).__name__}），请重试；如仍出错请联系维护人员。"
            return self.refuse(request, 500, message)
