"""Cost of the bounded template sandbox per copy: `python -m bench.template_render` prints microseconds per footer."""

from __future__ import annotations

import time

FOOTER = (
    "-- \n{{ list_name }} <{{ list_address }}>\n{% if member_name %}Hello {{ member_name }}. {% endif %}"
    "Leave: {{ unsubscribe_url }}\nManage: {{ manage_url }}"
)
VALUES = {
    "list_name": "Team",
    "list_address": "team@example.org",
    "member_name": "Ann",
    "unsubscribe_url": "https://lists.example.org/unsubscribe/1.abc",
    "manage_url": "https://lists.example.org/manage/1.abc",
}


def per_call(render, rounds: int = 20_000) -> float:
    """Microseconds per call of render()."""
    render()
    started = time.perf_counter()
    for _ in range(rounds):
        render()
    return (time.perf_counter() - started) / rounds * 1e6


def main() -> None:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from app.mail import templates

    plain = ImmutableSandboxedEnvironment().from_string(FOOTER)
    print(f"plain Jinja sandbox:  {per_call(lambda: plain.render(VALUES)):6.1f} us per footer")
    print(f"bounded (delivery):   {per_call(lambda: templates.render(FOOTER, VALUES)):6.1f} us per footer")


if __name__ == "__main__":
    main()
