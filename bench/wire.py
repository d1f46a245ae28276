"""The wire's ceiling: prebuilt bytes sent with smtplib on one reused connection, no database, no queue."""

from __future__ import annotations

import smtplib
import time


def smtplib_ceiling(
    port: int, data: bytes, copies: int, mail_from: str = "bench-bounces@example.org"
) -> float:
    """Copies per second that one smtplib connection pushes into the sink at port."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as conn:
        start = time.perf_counter()
        for i in range(copies):
            conn.sendmail(mail_from, [f"ceiling{i:06d}@example.com"], data)
        return copies / (time.perf_counter() - start)
