"""The roster query: keyset pagination by address, substring search over address and name (member_search)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.models import Member, MemberStatus
from app.panel.member_search import MIN_SUBSTRING, matching, plan_each_search
from app.panel.paging import Page

PAGE_SIZE = 50
# Column sorts the roster offers; each ends with the address so the order is total and pages do not overlap.
SORTS = {
    "email": (Member.email,),
    "name": (Member.name, Member.email),
    "status": (Member.status, Member.email),
    "joined": (Member.created_at, Member.email),
}
COUNT_CAP = 10_000  # counting stops here: a page view must not scan a 100,000-member list (shown as "10000+")


@dataclass
class RosterPage:
    """One page of members and where the next one starts."""

    members: list[Member]
    total: int
    next_after: str | None

    @property
    def total_text(self) -> str:
        """The count as shown: exact up to COUNT_CAP, then "COUNT_CAP+"."""
        return f"{COUNT_CAP:,}+" if self.total > COUNT_CAP else f"{self.total:,}"


def _filters(list_id: int, query: str, status: str) -> list:
    where = [Member.list_id == list_id]
    if status in set(MemberStatus):
        where.append(Member.status == status)
    query = query.strip()
    if query:
        where.append(matching(query))
    return where


def roster_page(list_id: int, query: str = "", status: str = "", after: str = "") -> RosterPage:
    """Members whose address or name contains query, PAGE_SIZE at a time after the address `after`."""
    where = _filters(list_id, query, status)
    if len(query.strip()) >= MIN_SUBSTRING:
        plan_each_search()
    page_query = select(Member).where(*where)
    if after:
        page_query = page_query.where(Member.email > after)
    rows = db.session.scalars(page_query.order_by(Member.email).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    if after or more:
        capped = select(Member.id).where(*where).limit(COUNT_CAP + 1).subquery()
        total = db.session.scalar(select(func.count()).select_from(capped)) or 0
    else:  # the first page holds them all (a typical search): no second scan to count them
        total = len(rows)
    rows = rows[:PAGE_SIZE]
    return RosterPage(list(rows), total, rows[-1].email if more else None)


def numbered_page(
    list_id: int, query: str = "", status: str = "", number: str = "", sort: str = "email"
) -> tuple[list[Member], Page]:
    """One numbered page of the roster ("51–100 of 291"), sorted by a column; "-joined" sorts descending."""
    where = _filters(list_id, query, status)
    if len(query.strip()) >= MIN_SUBSTRING:
        plan_each_search()
    capped = select(Member.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(capped)) or 0
    page = Page.of(number, min(total, COUNT_CAP), PAGE_SIZE)
    page = Page(page.number, PAGE_SIZE, min(total, COUNT_CAP), more=total > COUNT_CAP)
    columns = SORTS.get(sort.removeprefix("-"), SORTS["email"])
    order = [column.desc() for column in columns] if sort.startswith("-") else list(columns)
    rows = db.session.scalars(
        select(Member).where(*where).order_by(*order).offset(page.offset).limit(PAGE_SIZE)
    ).all()
    return list(rows), page
