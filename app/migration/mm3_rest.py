"""A small client for Mailman 3 core's REST API (3.1): JSON over HTTP basic auth, collections paged."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

PAGE_SIZE = 500
TIMEOUT = 60


class Mailman3Unavailable(Exception):
    """Mailman 3 could not be reached, refused us, or answered with an error; the message says which."""


class Mailman3Client:
    """GETs against one Mailman 3 core; the password is only ever sent, never shown."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url.rstrip("/") + "/"
        if not self.url.rstrip("/").endswith("/3.1"):
            self.url += "3.1/"
        self._auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.requests = 0

    def get(self, path: str) -> dict:
        """The decoded JSON of one resource; raises Mailman3Unavailable with one clear line."""
        request = urllib.request.Request(self.url + path, headers={"Authorization": self._auth})
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise Mailman3Unavailable(self._http_problem(path, exc.code)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Mailman3Unavailable(f"cannot reach Mailman 3 at {self._shown_url()}: {reason}") from None
        except ValueError:
            raise Mailman3Unavailable(f"Mailman 3 answered {path} with something that is not JSON") from None

    def pages(self, path: str) -> Iterator[dict]:
        """Every entry of a collection, page by page."""
        page = 1
        separator = "&" if "?" in path else "?"
        while True:
            answer = self.get(f"{path}{separator}count={PAGE_SIZE}&page={page}")
            entries = answer.get("entries", [])
            yield from entries
            if len(entries) < PAGE_SIZE or page * PAGE_SIZE >= int(answer.get("total_size", 0)):
                return
            page += 1

    def _http_problem(self, path: str, status: int) -> str:
        if status == 401:
            return f"Mailman 3 at {self._shown_url()} refused the user name or password (401)"
        if status == 404:
            return f"Mailman 3 has no {urllib.parse.unquote(path.split('?')[0])} (404)"
        return f"Mailman 3 answered {status} for {path.split('?')[0]}; nothing of this list was imported"

    def _shown_url(self) -> str:
        """The base URL without any user:password@ part."""
        parts = urllib.parse.urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"
