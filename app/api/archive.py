"""/api/v1/lists/{address}/archive/search: the archive's search, under the archive's own policy."""

from __future__ import annotations

from flask import Blueprint, request

from app.api.access import current_api_user, roles_on
from app.api.problems import ApiProblem
from app.api.schemas import ArchiveResults
from app.api.spec import endpoint
from app.archive.permalinks import permalink
from app.archive.policy import has_archive
from app.archive.search import parse_query, search
from app.lists.lookup import find_list
from app.models import ArchivePolicy, MailingList

archive_api = Blueprint("api_archive", __name__)


def readable_archive(address: str) -> tuple[MailingList, bool]:
    """The list and whether the token's user is its staff; 404 unless its archive is open to them.

    A public archive is open to every token; a private or members-only one to the list's owners and
    moderators (API tokens belong to panel users, not to members); a list without an archive to no one.
    """
    mlist = find_list(address)
    staff = mlist is not None and bool(roles_on(current_api_user(), mlist.id))
    if mlist is None or not has_archive(mlist) or not (staff or mlist.archive_policy == ArchivePolicy.PUBLIC):
        raise ApiProblem(404, f"There is no archive of {address[:320]} that this token may search.")
    return mlist, staff


@endpoint(
    archive_api,
    "GET",
    "/lists/{address}/archive/search",
    "Search the list's archive (?q=, &author=, &since=, &until= as YYYY-MM-DD, &page=)",
    answer=ArchiveResults,
)
def archive_search(address: str) -> dict:
    mlist, staff = readable_archive(address)
    query, problems = parse_query(request.args)
    if problems:
        raise ApiProblem(400, " ".join(problems))
    if query.empty:
        raise ApiProblem(400, "Give the words to search for as ?q=.")
    hide = mlist.archive_policy == ArchivePolicy.PUBLIC and mlist.archive_obfuscate and not staff
    hits, more = search(mlist.id, query, hide_addresses=hide)
    items = [
        {
            "key": h.key,
            "permalink": permalink(mlist, h.key),
            "subject": h.subject,
            "author": h.author,
            "date": h.date,
            "snippet": h.snippet.striptags(),
        }
        for h in hits
    ]
    return {"items": items, "page": query.page, "has_next": more}
