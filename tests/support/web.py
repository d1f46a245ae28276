"""Drive the panel through Flask's test client with real CSRF tokens."""

from __future__ import annotations

import re

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    if match is None:
        raise AssertionError("no CSRF token in the page")
    return match.group(1) or match.group(2)


def login(client, email: str, password: str):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})
