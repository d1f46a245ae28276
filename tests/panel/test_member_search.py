"""Roster search: case-insensitive substring over address and name, wildcards taken literally, keyset pages,
and members found or not as they are added, renamed and removed."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text

from app.extensions import db
from app.membership.lines import Entry
from app.membership.members import add_members
from app.models import MailingList, Member
from app.panel.member_search import escape_like
from app.panel.roster import PAGE_SIZE, roster_page
from tests.support.factories import make_list


def _found(list_id: int, query: str) -> list[str]:
    """Every address the search finds, following the keyset pages to the end."""
    seen, after = [], ""
    while True:
        page = roster_page(list_id, query=query, after=after)
        seen += [m.email for m in page.members]
        if page.next_after is None:
            return seen
        after = page.next_after


def _add(mlist: MailingList, *pairs: tuple[str, str]) -> None:
    add_members(mlist.id, [Entry(email, name) for email, name in pairs])
    db.session.commit()


def test_substring_of_address_or_name_case_insensitive(app):
    team = make_list()
    _add(
        team,
        ("john.smith@example.com", "John Smith"),
        ("ann@smithfield.org", "Ann"),
        ("bob@example.net", "Robert Goldsmith"),
        ("carol@example.net", "Carol"),
        ("dee@example.net", "DEE SMITHERS"),
    )
    other = make_list("other@example.org")
    _add(other, ("smith@example.org", "Other List"))
    assert _found(team.id, "smith") == [
        "ann@smithfield.org",
        "bob@example.net",
        "dee@example.net",
        "john.smith@example.com",
    ]
    assert _found(team.id, "SMITH") == _found(team.id, "smith")
    assert _found(team.id, "n smi") == ["john.smith@example.com"]  # spaces are part of the substring
    assert _found(team.id, "ple.ne") == ["bob@example.net", "carol@example.net", "dee@example.net"]
    assert _found(team.id, "nobody") == []
    assert roster_page(team.id, query="smith").total == 4


def test_short_queries_match_a_prefix(app):
    team = make_list()
    _add(team, ("al@example.com", "Al"), ("sal@example.com", "Sal"))
    assert _found(team.id, "al") == ["al@example.com"]
    assert _found(team.id, "Sa") == ["sal@example.com"]


def test_wildcards_and_quotes_are_literal(app):
    team = make_list()
    _add(
        team,
        ("a_b@example.com", "Fifty% Off"),
        ("axb@example.com", "Fifty Percent"),
        ("q@example.com", 'Say "hi" now'),
        ("back@example.com", "C:\\dir"),
        ("plain@example.com", "Plain"),
    )
    assert _found(team.id, "a_b") == ["a_b@example.com"]
    assert _found(team.id, "ty%") == ["a_b@example.com"]
    assert _found(team.id, "%%%") == []
    assert _found(team.id, "___") == []
    assert _found(team.id, '"hi"') == ["q@example.com"]
    assert _found(team.id, ":\\d") == ["back@example.com"]
    assert _found(team.id, "a* OR b") == []


def test_search_pages_by_address(app):
    team = make_list()
    _add(
        team,
        *[(f"user{i:03d}@example.com", f"Staff {i}") for i in range(2 * PAGE_SIZE + 7)],
        ("outsider@example.net", "Nobody"),
    )
    first = roster_page(team.id, query="example.com")
    assert len(first.members) == PAGE_SIZE and first.next_after == f"user{PAGE_SIZE - 1:03d}@example.com"
    assert first.total == 2 * PAGE_SIZE + 7
    last = roster_page(team.id, query="example.com", after=f"user{2 * PAGE_SIZE - 1:03d}@example.com")
    assert len(last.members) == 7 and last.total == 2 * PAGE_SIZE + 7 and last.next_after is None
    assert roster_page(team.id, query="outsider").total == 1
    assert _found(team.id, "example.com") == [f"user{i:03d}@example.com" for i in range(2 * PAGE_SIZE + 7)]
    assert _found(team.id, "staff 1") == sorted(
        f"user{i:03d}@example.com" for i in range(2 * PAGE_SIZE + 7) if str(i).startswith("1")
    )


def test_added_renamed_and_removed_members_are_found_or_not(app):
    team = make_list()
    _add(team, ("zed@example.com", "Zed Zulu"))
    assert _found(team.id, "zulu") == ["zed@example.com"]
    _add(team, ("yan@example.com", "Yankee Zulu"))
    assert _found(team.id, "zulu") == ["yan@example.com", "zed@example.com"]
    zed = db.session.scalar(select(Member).where(Member.email == "zed@example.com"))
    zed.name, zed.email = "Zed Xray", "zed.new@example.org"
    db.session.commit()
    assert _found(team.id, "zulu") == ["yan@example.com"]
    assert _found(team.id, "xray") == _found(team.id, "new@exa") == ["zed.new@example.org"]
    db.session.delete(zed)
    db.session.commit()
    assert _found(team.id, "xray") == []
    db.session.execute(delete(Member).where(Member.list_id == team.id))
    db.session.commit()
    assert _found(team.id, "zulu") == []


def test_removing_a_list_removes_its_members_from_search(app):
    team = make_list()
    _add(team, ("gone@example.com", "Soon Gone"))
    db.session.delete(db.session.get(MailingList, team.id))
    db.session.commit()
    again = make_list()
    _add(again, ("kept@example.com", "Still Here"))
    assert _found(again.id, "gone") == [] and _found(again.id, "here") == ["kept@example.com"]


def test_escaping_helpers():
    assert escape_like("50%_a\\b") == "50\\%\\_a\\\\b"


def test_roster_page_searches_substrings(world, browser_for):
    a = world["a"]
    _add(a, ("jane.doe@example.com", "Jane Doe"))
    body = browser_for("owner@example.org").get(f"/lists/{a.id}/members?q=doe@").data.decode()
    assert "jane.doe@example.com" in body and "ann@example.net" not in body


def test_postgresql_serves_search_from_trigram_indexes(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_trgm indexes are PostgreSQL's")
    found = db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'members'")).all()
    assert {"ix_members_email_trgm", "ix_members_name_trgm"} <= set(found)


def test_postgresql_plans_each_search_for_its_pattern(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    mlist = make_list("team@example.org")
    _add(mlist, ("alice@example.org", "Alice"))
    db.session.commit()
    for _ in range(7):  # past psycopg's prepare threshold and PostgreSQL's five custom plans
        assert [m.email for m in roster_page(mlist.id, query="lic").members] == ["alice@example.org"]
        assert db.session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        db.session.commit()
        assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"  # SET LOCAL: this transaction only
        db.session.commit()
    roster_page(mlist.id, query="al")  # a prefix search is served by the ordered index: nothing to change
    assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"
