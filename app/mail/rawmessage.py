"""A message as header fields and body bytes: header surgery without re-serialising the body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CRLF = b"\r\n"
FOLD = re.compile(r"\r\n(?=[ \t]+\S)")


def _crlf(data: bytes) -> bytes:
    """Every line end as CRLF: no bare CR or LF ever reaches SMTP (they enable smuggling tricks)."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", CRLF)


@dataclass
class RawMessage:
    """Header fields in order (name, whole field with continuations) and the untouched body."""

    fields: list[tuple[str, bytes]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def parse(cls, raw: bytes) -> RawMessage:
        """Split raw bytes at the first empty line; folded lines stay with their field."""
        data = raw.replace(b"\r\n", b"\n")
        fields: list[tuple[str, bytes]] = []
        body_from = len(data) + 1  # no empty line: no body
        pos = 0
        while pos <= len(data):  # line by line through the header block only (the body is not split)
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end
            raw_line = data[pos:end]
            if raw_line.rstrip(b"\r") == b"":
                body_from = end + 1
                break
            line = raw_line.rstrip(b"\r").replace(b"\r", b" ")  # a bare CR never starts a new field
            if line[:1] in (b" ", b"\t") and fields:
                last_name, value = fields[-1]
                fields[-1] = (last_name, value + CRLF + line)
            else:
                name, colon, _ = line.partition(b":")
                if not colon or not name.strip() or b" " in name.strip():
                    # Not a header line: the header block is over (RFC 5322 allows no such line in it).
                    body_from = pos
                    break
                fields.append((name.strip().decode("ascii", "replace").lower(), line))
            pos = end + 1
        return cls(fields, _crlf(data[body_from:]))

    def get(self, name: str) -> str | None:
        """The first field's raw value (unfolded, undecoded), or None."""
        values = self.get_all(name)
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        """Every field's raw value with this name, unfolded and undecoded."""
        name = name.lower()
        return [_value(data) for field_name, data in self.fields if field_name == name]

    def set(self, name: str, value: str) -> None:
        """Replace the first field of this name in place (others dropped), or append it."""
        key, line = name.lower(), header_line(name, value)
        index = next((i for i, (n, _) in enumerate(self.fields) if n == key), None)
        self.remove(name)
        if index is None:
            self.fields.append((key, line))
        else:
            self.fields.insert(min(index, len(self.fields)), (key, line))

    def remove(self, *names: str) -> None:
        """Drop every field with one of these names."""
        drop = {n.lower() for n in names}
        self.fields = [(n, d) for n, d in self.fields if n not in drop]

    def remove_prefixed(self, prefix: str) -> None:
        """Drop every field whose name starts with prefix (case-insensitive)."""
        prefix = prefix.lower()
        self.fields = [(n, d) for n, d in self.fields if not n.startswith(prefix)]

    def append(self, name: str, value: str) -> None:
        """Add a field at the end of the header block; the value must already be safe and encoded."""
        self.fields.append((name.lower(), header_line(name, value)))

    def header_bytes(self) -> bytes:
        """The header block with CRLF line ends, ending in the blank line."""
        return b"".join(data + CRLF for _, data in self.fields) + CRLF

    def to_bytes(self) -> bytes:
        """The whole message with CRLF line ends."""
        return self.header_bytes() + self.body


def _value(data: bytes) -> str:
    value = data.split(b":", 1)[1]
    return b" ".join(value.replace(CRLF, b" ").split()).decode("utf-8", "replace")


def header_line(name: str, value: str) -> bytes:
    """One header field as bytes; refuses CR, LF and NUL (but CRLF + space folding) so nothing can inject a header."""
    unfolded = FOLD.sub(" ", value)
    if any(c in unfolded for c in "\r\n\x00") or any(c in name for c in "\r\n\x00: "):
        raise ValueError(f"unsafe header {name!r}")
    return f"{name}: {value}".encode()
