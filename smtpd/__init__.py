"""Entry point for the SMTP receiver (`python -m smtpd`). Shadows the deprecated stdlib module on purpose."""
