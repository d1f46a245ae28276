"""Issue 12 item 15: every route, asked anything by anyone, answers below 500 (Hypothesis)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from app import create_app
from app.extensions import db
from app.panel.throttle import limiter
from tests.support.factories import make_list, make_members
from tests.support.smtp import free_port
from tests.support.web import csrf_token

FIELDS = (
    "email",
    "name",
    "website",
    "submit",
    "unsubscribe",
    "delivery_enabled",
    "password",
    "List-Unsubscribe",
)
ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\((?P<options>[^)]*)\))?:)?(?P<name>\w+)>")
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["²", "١٢.x", "².²", "0." + "²" * 3, "%00", "..", "\x00", "a" * 400, "news@example.org"]),
    st.from_regex(r"\A[0-9]{1,20}\.[^/]{0,30}\Z"),
    st.from_regex(r"\A[0-9]{1,30}\Z"),  # ids beyond the database's INTEGER
    st.just("9" * 5000),  # int() refuses more than 4,300 digits
)


@pytest.fixture
def fuzz_app(app, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    mlist = make_list("news@example.org", "News", subscription_policy="confirm")
    make_members(mlist, "ann@example.net")
    return app


# /readyz answers 503 by contract when a check fails (JSON naming it); any other 5xx is a bug there too.
READINESS = "/readyz"


def below_500_or_unready(url: str, response) -> bool:
    """The route answered below 500, or it is /readyz saying which check failed."""
    if response.status_code < 500:
        return True
    return (
        url.partition("?")[0] == READINESS
        and response.status_code == 503
        and bool(response.is_json and response.json["failed"])
    )


def _rules(app) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule)


def _value(draw, converter: str | None, options: str | None) -> str:
    if converter == "int":
        return str(
            draw(st.one_of(st.integers(min_value=0, max_value=5), st.integers(min_value=0, max_value=10**20)))
        )
    if converter == "any" and options:
        return draw(st.sampled_from([o.strip().strip("'\"") for o in options.split(",")]))
    return quote(draw(HOSTILE_TEXT), safe="") or "x"


@st.composite
def requests(draw, rules: list[Rule]):
    rule = draw(st.sampled_from(rules))
    path = ARGUMENT.sub(lambda m: _value(draw, m["converter"], m["options"]), rule.rule)
    method = draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})))
    query = draw(
        st.dictionaries(
            st.sampled_from(("next", "status", "before", "q", "page", "outcome", "per_page", "limit")),
            HOSTILE_TEXT,
            max_size=2,
        )
    )
    form = draw(st.dictionaries(st.sampled_from(FIELDS), HOSTILE_TEXT, max_size=4))
    raw_body = draw(st.one_of(st.none(), st.binary(max_size=200)))
    return method, path + ("?" + urlencode(query) if query else ""), form, raw_body


def test_every_route_answers_any_input_below_500(fuzz_app):
    rules = _rules(fuzz_app)
    client = fuzz_app.test_client()  # one session, and its CSRF token, so forms get past the CSRF check
    token = csrf_token(client.get("/login").get_data(as_text=True))

    @hypothesis_settings(
        max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(requests(rules))
    def ask(request):
        method, url, form, raw_body = request
        form = {"csrf_token": token, **form}
        if raw_body is not None and method == "POST":
            response = client.open(url, method=method, data=raw_body, content_type="application/json")
        else:
            response = client.open(url, method=method, data=form if method == "POST" else None)
        assert below_500_or_unready(url, response), (method, url, form, response.status_code)

    ask()


def test_readyz_is_503_with_the_failed_check_named_when_redis_is_down(settings):
    """The one route whose 5xx is its contract: unready, with JSON saying which check failed."""
    settings["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/5"
    app = create_app(settings)
    with app.app_context():
        response = app.test_client().get(READINESS)
        db.engine.dispose()
    assert response.status_code == 503 and below_500_or_unready(READINESS, response)
    assert not below_500_or_unready("/healthz", response)


@pytest.mark.parametrize("token", ["²", "².x", "١٢.abc", "12.²", "0.é"])
def test_non_ascii_digits_and_signatures_in_links_are_404(fuzz_app, token):
    client = fuzz_app.test_client()
    for route in ("unsubscribe", "manage"):
        assert client.get(f"/{route}/{quote(token)}").status_code == 404
    assert (
        client.post(f"/unsubscribe/{quote(token)}", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    )


def test_every_page_an_admin_opens_answers_any_query_below_500(fuzz_app):
    """GET only (nothing changes), logged in as a site admin so the panel's views run too."""
    from tests.support.factories import make_user
    from tests.support.web import login

    make_user("admin@example.org", admin=True)
    client = fuzz_app.test_client()
    assert login(client, "admin@example.org", "correct horse battery").status_code == 302
    rules = [r for r in _rules(fuzz_app) if "GET" in r.methods and not r.endpoint.endswith("logout")]

    @hypothesis_settings(
        max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(requests(rules))
    def ask(request):
        _, url, _, _ = request
        response = client.get(url)
        assert below_500_or_unready(url, response), (url, response.status_code)

    ask()
