"""Text made safe to store and show: no NUL, controls or lone surrogates; quotes grouped; addresses hidden."""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ADDRESS = re.compile(r"([A-Za-z0-9._%+\-=]{1,64})@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
QUOTE_FOLD_LINES = 4  # quoted blocks this long or longer are folded


def clean_text(text: str, limit: int | None = None) -> str:
    """Text any database accepts: lone surrogates replaced, NUL and other controls removed."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text[:limit] if limit is not None else text


def one_line(text: str, limit: int = 255) -> str:
    """Text on one line, whitespace collapsed, cut at limit."""
    return " ".join(clean_text(text).split())[:limit]


def obfuscate(text: str) -> str:
    """Addresses shortened so harvesters find none: jane.doe@example.org becomes jane.doe@ex…"""

    def hide(match: re.Match[str]) -> str:
        return f"{match.group(1)}@{match.group(2)[:2]}…"

    return ADDRESS.sub(hide, text)


@dataclass(frozen=True)
class Block:
    """A run of lines: quoted (folded when long) or not."""

    quoted: bool
    text: str

    @property
    def folded(self) -> bool:
        return self.quoted and self.text.count("\n") + 1 >= QUOTE_FOLD_LINES

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1


def blocks(text: str) -> list[Block]:
    """The text cut into runs of quoted ('>') and unquoted lines."""
    out: list[Block] = []
    current: list[str] = []
    quoted = False
    for line in text.split("\n"):
        is_quote = line.lstrip().startswith(">")
        if current and is_quote != quoted:
            out.append(Block(quoted, "\n".join(current)))
            current = []
        quoted = is_quote
        current.append(line)
    if current:
        out.append(Block(quoted, "\n".join(current)))
    return out
