"""A logged-in panel session over real HTTP (urllib with a cookie jar), timing each request."""

from __future__ import annotations

import html
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class PanelClient:
    """One browser-like session against the panel at base."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[int, str, float]:
        """(status, body, seconds) of one GET."""
        start = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=60) as resp:
                body = resp.read().decode("utf-8", "replace")
                status = resp.status
        except urllib.error.HTTPError as exc:
            body, status = exc.read().decode("utf-8", "replace"), exc.code
        return status, body, time.perf_counter() - start

    def login(self, path: str, email: str, password: str) -> None:
        """Log in through the form, CSRF token and all; raises when the panel refuses."""
        status, body, _ = self.get(path)
        match = CSRF.search(body)
        if status != 200 or match is None:
            raise RuntimeError(f"no login form at {path} (HTTP {status})")
        form = {
            "csrf_token": html.unescape(match.group(1) or match.group(2)),
            "email": email,
            "password": password,
        }
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(form).encode(), method="POST"
        )
        try:
            with self.opener.open(request, timeout=60) as resp:
                landed = resp.url
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"login refused (HTTP {exc.code})") from None
        if landed.rstrip("/").endswith(path.rstrip("/")):
            raise RuntimeError("login did not succeed (still on the login page)")
