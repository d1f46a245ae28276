"""What the panel calls before saving settings: errors are messages, never crashes later."""

from __future__ import annotations

import pytest

from app.mail.patterns import pattern_error
from app.mail.templates import template_error
from app.pipeline.rules.filters import filter_rule_errors
from app.pipeline.rules.shape import suspicious_rules


def test_template_that_does_not_compile_is_an_error_when_saved():
    assert "does not compile" in template_error("Hello {{ member_email ")
    assert "Unknown variables: password" in template_error("{{ password }}")
    assert template_error("Hi {{ member_name or member_email }} - {{ unsubscribe_url }}") is None


def test_filter_rule_errors():
    assert filter_rule_errors("header", "Subject", "(unclosed", "hold")[0].startswith(
        "The regular expression"
    )
    assert filter_rule_errors("size", "", "ten", "hold") == [
        "A size condition needs a whole number of bytes."
    ]
    assert filter_rule_errors("mime_type", "", "image/*", "reject") == []
    assert filter_rule_errors("spam", "", "", "hold") == []  # trust every Authentication-Results
    assert filter_rule_errors("header", "X" * 256, "x", "hold") == [
        "A header condition needs a header name (e.g. X-Spam-Flag)."
    ]
    assert filter_rule_errors("nonsense", "", "", "explode") == [
        "Unknown condition 'nonsense'.",
        "Unknown action 'explode'.",
    ]


def test_ban_and_allow_patterns():
    assert pattern_error("^[") is not None
    assert pattern_error("bob") is not None
    assert pattern_error("bob@example.org") is None


def test_suspicious_header_lines_are_checked():
    with pytest.raises(ValueError, match="line 2"):
        suspicious_rules("X-A: ok\nX-B: (\n")
    assert [name for name, _ in suspicious_rules("X-A: one\n\n# comment\nX-B: two")] == ["X-A", "X-B"]
