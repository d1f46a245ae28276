"""Egress through the organisation's own SMTP server, one connection reused across a batch."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence

from app.config import Settings
from app.egress.base import Outgoing, SendResult

log = logging.getLogger(__name__)
# Failures of the connection or the session set-up (TLS, AUTH): nothing was accepted, try again later.
TEMPORARY_ERRORS = (smtplib.SMTPException, OSError)


class SMTPSender:
    """Sends each copy as its own transaction on a shared connection."""

    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=s.SMTP_CA_FILE or None)
        if s.SMTP_SECURITY == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(s.SMTP_HOST, s.SMTP_PORT, timeout=s.SMTP_TIMEOUT, context=context)
        else:
            conn = smtplib.SMTP(s.SMTP_HOST, s.SMTP_PORT, timeout=s.SMTP_TIMEOUT)
        try:
            conn.ehlo()
            if s.SMTP_SECURITY == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if s.SMTP_USERNAME:
                conn.login(s.SMTP_USERNAME, s.SMTP_PASSWORD)
        except BaseException:
            conn.close()
            raise
        return conn

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def send(self, batch: Sequence[Outgoing]) -> list[SendResult]:
        results: list[SendResult] = []
        for index, copy in enumerate(batch):
            try:
                results.append(self._send_one(copy))
            except TEMPORARY_ERRORS as exc:
                # The connection is gone: this copy and the rest of the batch were not accepted.
                self._drop()
                reason = f"connection to {self.settings.SMTP_HOST}:{self.settings.SMTP_PORT} failed: {exc}"
                results.extend(SendResult(c.delivery_id, ok=False, error=reason) for c in batch[index:])
                break
        return results

    def _send_one(self, copy: Outgoing) -> SendResult:
        conn = self._connection()
        try:
            conn.sendmail(copy.mail_from, [copy.rcpt], copy.data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients[copy.rcpt]
            return _failure(copy, code, text)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            self._reset(conn)
            return _failure(copy, exc.smtp_code, exc.smtp_error)
        return SendResult(copy.delivery_id, ok=True, provider_id=f"smtp-{copy.delivery_id}")

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except smtplib.SMTPException:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


def _failure(copy: Outgoing, code: int, text: bytes | str) -> SendResult:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return SendResult(copy.delivery_id, ok=False, error=f"{code} {message}", permanent=500 <= code < 600)
