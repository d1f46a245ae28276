"""DATA read in chunks gives what aiosmtpd's line loop gives, however the bytes arrive, and leaves pipelined
commands in the reader."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingress.data_reader import DataError, DataRead, read_data

LINE_LIMIT = 1001  # aiosmtpd's line_length_limit, CRLF included


def reference(stream: bytes, size_limit: int | None) -> tuple[DataRead, bytes]:
    """aiosmtpd's rules restated line by line: (what DATA gives, the bytes left after the final dot)."""
    pos, lines, too_long = 0, [], False
    while True:
        cut = stream.find(b"\r\n", pos)
        if cut < 0:
            return DataRead(error=DataError.CLOSED), b""
        line, pos = stream[pos : cut + 2], cut + 2
        if line == b".\r\n":
            break
        lines.append(line)
        too_long |= len(line) > LINE_LIMIT
    size = sum(map(len, lines))
    if size_limit and size > size_limit:  # both refusals: the size is reported first
        return DataRead(error=DataError.TOO_MUCH), stream[pos:]
    if too_long:
        return DataRead(error=DataError.TOO_LONG), stream[pos:]
    return DataRead(content=b"".join(line[1:] if line.startswith(b".") else line for line in lines)), stream[
        pos:
    ]


async def _read(chunks: list[bytes], size_limit: int | None, eof: bool) -> tuple[DataRead, bytes]:
    reader = asyncio.StreamReader(limit=LINE_LIMIT)

    async def feed() -> None:
        for chunk in chunks:
            reader.feed_data(chunk)
            await asyncio.sleep(0)
        if eof:
            reader.feed_eof()

    feeder = asyncio.ensure_future(feed())
    got = await asyncio.wait_for(
        read_data(reader, size_limit, LINE_LIMIT), timeout=10
    )  # a bug fails, not hangs
    await feeder
    if not eof:
        reader.feed_eof()
    return got, await reader.read()


def read(chunks: list[bytes], size_limit: int | None = None, eof: bool = False) -> tuple[DataRead, bytes]:
    return asyncio.run(_read(chunks, size_limit, eof))


def test_dot_stuffing_is_undone_and_pipelined_commands_stay():
    stream = b"Subject: x\r\n\r\n..one\r\n...two\r\n.\r\nQUIT\r\n"
    assert read([stream]) == (DataRead(content=b"Subject: x\r\n\r\n.one\r\n..two\r\n"), b"QUIT\r\n")


def test_an_empty_message_and_a_first_line_with_a_dot():
    assert read([b".\r\nMAIL FROM:<a@b>\r\n"]) == (DataRead(content=b""), b"MAIL FROM:<a@b>\r\n")
    assert read([b"..x\r\n.\r\n"]) == (DataRead(content=b".x\r\n"), b"")


def test_a_terminator_split_over_every_byte():
    stream = b"line one\r\nline two\r\n.\r\nRSET\r\n"
    assert read([bytes([b]) for b in stream]) == (DataRead(content=b"line one\r\nline two\r\n"), b"RSET\r\n")


def test_bare_line_feeds_and_dots_are_not_line_ends():
    stream = b"a\n.\nb\r\n.x\r.\r\n\r\n.\r\n"
    assert read([stream]) == reference(stream, None)
    assert read([stream])[0].content == b"a\n.\nb\r\nx\r.\r\n\r\n"


def test_limits_are_aiosmtpds():
    ok_line, long_line = b"x" * (LINE_LIMIT - 2) + b"\r\n", b"x" * (LINE_LIMIT - 1) + b"\r\n"
    assert read([ok_line + b".\r\n"])[0].content == ok_line
    assert read([long_line + b".\r\nQUIT\r\n"]) == (DataRead(error=DataError.TOO_LONG), b"QUIT\r\n")
    body = b"y" * 98 + b"\r\n"  # 100 bytes
    assert read([body + b".\r\n"], size_limit=100)[0].content == body
    assert read([body + b"z\r\n.\r\n"], size_limit=100)[0].error is DataError.TOO_MUCH


def test_far_too_much_is_not_kept_while_reading_on():
    chunks = [b"z" * 500 + b"\r\n"] * 2000 + [b".\r\nQUIT\r\n"]  # 1 MB against a 10 kB limit
    assert read(chunks, size_limit=10_000) == (DataRead(error=DataError.TOO_MUCH), b"QUIT\r\n")


def test_a_connection_closed_mid_data():
    assert read([b"half a message\r\n"], eof=True)[0].error is DataError.CLOSED


LINES = st.lists(
    st.sampled_from([b"", b".", b"..", b"a", b".a", b"\r", b"\n", b"x" * 997, b"y" * 1000, b"\r\n.a"]),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(
    LINES,
    st.lists(st.integers(min_value=1, max_value=40), max_size=20),
    st.sampled_from([None, 50, 2000]),
    st.sampled_from([b"", b"QUIT\r\n", b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"]),
)
def test_any_message_in_any_chunks_reads_as_aiosmtpd_would(lines, cuts, size_limit, after):
    stream = b"".join(line + b"\r\n" for line in lines) + b".\r\n" + after
    chunks, pos = [], 0
    for cut in cuts:
        chunks.append(stream[pos : pos + cut])
        pos += cut
    chunks.append(stream[pos:])
    assert read([c for c in chunks if c], size_limit) == reference(stream, size_limit)


@pytest.mark.parametrize("size_limit", [None, 30])
def test_reference_and_reader_agree_on_a_plain_message(size_limit):
    stream = b"From: a@b\r\n\r\nhello\r\n.\r\n"
    assert read([stream], size_limit) == reference(stream, size_limit)


def _talk(port: int, script: bytes, replies: int) -> list[bytes]:
    """Send the whole script in one write (a pipelining client) and read that many reply lines."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        stream = sock.makefile("rb")
        stream.readline()  # greeting
        sock.sendall(script)
        lines = []
        while len(lines) < replies:
            line = stream.readline()
            if not line:
                break
            if line[3:4] != b"-":  # last line of a multi-line reply
                lines.append(line)
        return lines


def test_the_receiver_answers_commands_pipelined_after_the_final_dot(queued_app, smtpd_port):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Post
    from tests.support.factories import make_list, message
    from tests.support.stack import receiver

    make_list("team@example.org")
    raw = message(body=".starts with a dot\n..two dots\n")
    stuffed = raw.replace(b"\r\n.", b"\r\n..")
    script = (
        b"EHLO client.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<team@example.org>\r\nDATA\r\n"
        + stuffed
        + b".\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<team@example.org>\r\nDATA\r\n"
        + b"x" * 1200
        + b"\r\n.\r\nRSET\r\nQUIT\r\n"
    )
    with receiver(queued_app, smtpd_port):
        replies = _talk(smtpd_port, script, 10)
    codes = [line[:3] for line in replies]
    assert codes == [b"250", b"250", b"250", b"354", b"250", b"250", b"250", b"354", b"500", b"250"]
    stored = db.session.scalars(select(Post.raw)).all()
    assert len(stored) == 1 and stored[0].endswith(b"\r\n" + raw)  # dot-stuffing undone, bytes otherwise kept
