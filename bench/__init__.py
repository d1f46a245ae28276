"""Benchmarks: MailFlow Relay measured side by side with a reference in the same run (`python -m bench`)."""
