"""A hostile set of messages for the archive: each must be archived and shown safely, never a 500."""

from __future__ import annotations

import base64

HEAD = b"From: Mallory <mallory@example.com>\r\nTo: corpus@example.org\r\n"


def _message(extra: bytes, body: bytes, subject: bytes = b"hostile") -> bytes:
    return HEAD + b"Subject: " + subject + b"\r\n" + extra + b"\r\n" + body


def _attachment(name: bytes, data: bytes = b"payload") -> bytes:
    return _message(
        b"Message-ID: <att-" + base64.b16encode(name)[:40] + b"@example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n',
        b"--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\nContent-Type: text/html\r\n"
        b'Content-Disposition: attachment; filename="'
        + name
        + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(data).replace(b"\n", b"\r\n")
        + b"--XX--\r\n",
    )


def _nested(depth: int) -> bytes:
    body = b"deep text\r\n"
    for level in range(depth):
        boundary = b"b%d" % level
        body = (b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary + b"\r\n"
                + body + b"\r\n--" + boundary + b"--\r\n")  # fmt: skip
    return (
        _message(b"Message-ID: <nested@example.com>\r\nMIME-Version: 1.0\r\n", b"", b"nested").replace(
            b"\r\n\r\n", b"\r\n", 1
        )
        + body
    )


def hostile_messages() -> dict[str, bytes]:
    """Name -> raw bytes."""
    big = base64.encodebytes(bytes(range(256)) * 40960).replace(b"\n", b"\r\n")  # 10 MB decoded
    return {
        "no_id_no_date": HEAD + b"Subject: nothing to go by\r\n\r\njust text\r\n",
        "eight_bit_headers": b"From: J\xf6rg <joerg@example.com>\r\nTo: corpus@example.org\r\n"
        b"Subject: Gr\xfc\xdfe \xe2\x82\xac\r\n"
        b"Message-ID: <8bit@example.com>\r\n\r\nk\xf6rper\r\n",
        "unknown_charset": _message(
            b"Message-ID: <cs@example.com>\r\nContent-Type: text/plain; charset=x-no-such\r\n",
            b"caf\xe9 \xff\xfe\r\n",
        ),
        "utf16": _message(
            b"Message-ID: <u16@example.com>\r\nContent-Type: text/plain; charset=utf-16\r\n",
            "wide text".encode("utf-16"),
        ),
        "script_html": _message(
            b"Message-ID: <script@example.com>\r\nContent-Type: text/html\r\n",
            b"<script>alert('archive')</script><img src=https://tracker.example/x.gif onerror=alert(2)><p>hello</p>",
        ),  # fmt: skip
        "dotdot_name": _attachment(b"../../../etc/passwd"),
        "backslash_name": _attachment(b"..\\..\\windows\\win.ini"),
        "dot_name": _attachment(b".."),
        "encoded_name": _attachment(b"=?utf-8?q?evil=0D=0A=00name.html?="),
        "big_attachment": _message(
            b"Message-ID: <big@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n",
            b"--B\r\nContent-Type: text/plain\r\n\r\nbig one\r\n--B\r\n"
            b"Content-Type: application/octet-stream; name=big.bin\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + big + b"--B--\r\n",
        ),
        "no_boundary": _message(
            b"Message-ID: <nob@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n",
            b"--X\r\nno boundary given\r\n",
        ),
        "unclosed": _message(
            b"Message-ID: <unclosed@example.com>\r\nContent-Type: multipart/alternative; boundary=Q\r\n",
            b"--Q\r\nContent-Type: text/plain\r\n\r\nnever closed\r\n",
        ),  # fmt: skip
        "nested": _nested(120),
        "weird_id": _message(b"Message-ID: <a/b?c#d%e&f=g@../..>\r\n", b"weird id\r\n"),
        "long_id": _message(b"Message-ID: <" + b"x" * 600 + b"@example.com>\r\n", b"long id\r\n"),
        "dotdot_id": _message(b"Message-ID: <..>\r\n", b"dots\r\n"),
        "injection_subject": _message(
            b"Message-ID: <inj@example.com>\r\n", b"hi\r\n", b"=?utf-8?q?hi=0D=0ABcc:_victim@example.com?="
        ),
        "absurd_date": _message(
            b"Message-ID: <date@example.com>\r\nDate: Fri, 31 Dec 9999 23:59:59 +0000\r\n", b"future\r\n"
        ),
        "garbage_date": _message(b"Message-ID: <gdate@example.com>\r\nDate: yesterday-ish\r\n", b"when\r\n"),
        "nul_bytes": _message(
            b"Message-ID: <nul@example.com>\r\nX-Nul: a\x00b\r\n",
            b"body \x00 with nul\r\n",
            b"nul\x00subject",
        ),
        "rfc822_attachment": _message(
            b"Message-ID: <fwd@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=F\r\n",
            b"--F\r\nContent-Type: text/plain\r\n\r\nforwarded\r\n--F\r\nContent-Type: message/rfc822\r\n\r\n"
            b"From: x@example.org\r\nSubject: inner\r\n\r\ninner body\r\n--F--\r\n",
        ),
        "headers_only": HEAD + b"Subject: no body\r\nMessage-ID: <hdr@example.com>\r\n",
    }
