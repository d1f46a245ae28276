"""Webhook targets: malformed URLs and private or loopback addresses are refused, naming the setting."""

import pytest

from app.webhooks.targets import TargetRefused, check_target


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "https://192.168.1.1/",
        "http://localhost:9/",
    ],
)
def test_private_and_loopback_targets_are_refused_naming_the_setting(url):
    with pytest.raises(TargetRefused, match="MAILFLOW_WEBHOOKS_ALLOW_PRIVATE=true"):
        check_target(url, allow_private=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://[::1]:8080/"])
def test_the_setting_allows_them(url):
    assert check_target(url, allow_private=True)


def test_a_public_address_is_accepted_without_the_setting():
    assert check_target("https://93.184.215.14/hook", allow_private=False) == ["93.184.215.14"]


@pytest.mark.parametrize(
    "url",
    ["ftp://93.184.215.14/", "http:///nohost", "https://user:pw@93.184.215.14/", "http://1.2.3.4:99999/"],
)
def test_malformed_urls_are_refused(url):
    with pytest.raises(TargetRefused):
        check_target(url, allow_private=True)
