"""Full-text search of one list's archive: FTS5 on SQLite, tsvector on PostgreSQL; never a syntax error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from markupsafe import Markup, escape
from sqlalchemy import text

from app.archive.text import clean_text, obfuscate
from app.extensions import db

PER_PAGE = 20
MAX_PAGE = 50
MAX_QUERY = 200
MAX_TERMS = 12
START, STOP = "\x02", "\x03"  # highlight marks: stored text never holds control characters
PHRASE_OR_WORD = re.compile(r'"([^"]*)"|(\S+)')
WORD = re.compile(r"\w+")
AUTHOR_WORD = re.compile(r"[^\W_]+")  # what both databases' indexes see as a word (no underscore)


@dataclass(frozen=True)
class SearchQuery:
    terms: str
    author: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1

    @property
    def empty(self) -> bool:
        return not fts5_expression(self.terms)


@dataclass(frozen=True)
class Hit:
    key: str
    subject: str
    author: str
    date: datetime
    snippet: Markup


def fts5_expression(terms: str) -> str:
    """The words and "quoted phrases" as an FTS5 expression of quoted phrases: no operator gets through."""
    parts = []
    for phrase, word in PHRASE_OR_WORD.findall(clean_text(terms)[:MAX_QUERY]):
        words = WORD.findall(phrase or word)
        if words:
            parts.append('"' + " ".join(words) + '"')
    return " ".join(parts[:MAX_TERMS])


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        raise ValueError(f"{value[:20]!r} is not a date: use YYYY-MM-DD.") from None


def parse_query(args) -> tuple[SearchQuery, list[str]]:
    """The search form read from request args; problems come back as sentences, never as exceptions."""
    problems: list[str] = []
    dates: dict[str, date | None] = {}
    for name in ("since", "until"):
        try:
            dates[name] = _day(args.get(name, ""))
        except ValueError as exc:
            problems.append(str(exc))
            dates[name] = None
    page_text = args.get("page", "1")
    page = int(page_text) if page_text.isdecimal() and len(page_text) < 4 else 1
    query = SearchQuery(
        terms=clean_text(args.get("q", ""))[:MAX_QUERY],
        author=clean_text(args.get("author", "")).strip()[:100],
        since=dates["since"],
        until=dates["until"],
        page=min(max(page, 1), MAX_PAGE),
    )
    return query, problems


def author_words(author: str) -> list[str]:
    """The words of an author filter: each must start a word of the author's name or address."""
    return AUTHOR_WORD.findall(author.lower())[:MAX_TERMS]


def _filters(query: SearchQuery, params: dict, alias: str) -> str:
    sql = ""
    if query.since:
        params["since"] = datetime.combine(query.since, time.min, UTC)
        sql += f" AND {alias}.date >= :since"
    if query.until:
        params["until"] = datetime.combine(query.until + timedelta(days=1), time.min, UTC)
        sql += f" AND {alias}.date < :until"
    return sql


# A word in most messages would have every one of them ranked: rank the newest RANKED matches instead.
RANKED = 2000
SQLITE_FLOOR = (  # the rowid of the RANKED-th newest match: FTS5 then ranks only the rows above it
    "SELECT x.id FROM archive_fts JOIN archived_messages x ON x.id = archive_fts.rowid "
    "WHERE archive_fts MATCH :match AND x.list_id = :list_id AND x.removed_at IS NULL{filters} "
    "ORDER BY archive_fts.rowid DESC LIMIT 1 OFFSET :ranked"
)
SQLITE = (  # rank first, then snippet() only for the page's rows (a sorter would compute it for every match)
    "WITH ranked AS MATERIALIZED (SELECT archive_fts.rowid AS id, bm25(archive_fts, 8.0, 4.0, 1.0) AS rank, "
    "x.date AS date FROM archive_fts JOIN archived_messages x ON x.id = archive_fts.rowid "
    "WHERE archive_fts MATCH :match AND archive_fts.rowid > :floor AND x.list_id = :list_id "
    "AND x.removed_at IS NULL{filters} ORDER BY rank, x.date DESC LIMIT :limit OFFSET :offset) "
    "SELECT m.key, m.subject, m.author, m.date, "
    "snippet(archive_fts, -1, :start, :stop, ' … ', 24) AS snippet "
    "FROM ranked CROSS JOIN archive_fts CROSS JOIN archived_messages m "  # CROSS JOIN: in this order
    "WHERE archive_fts MATCH :match AND archive_fts.rowid = ranked.id AND m.id = ranked.id "
    "ORDER BY ranked.rank, ranked.date DESC"
)
# The tsquery is written out (not a CTE) so that the planner sees how common its words are: a word in most
# messages is then found walking (list_id, date) backwards until RANKED hits, a rare one through the GIN index.
# Only those hits are ranked (their tsvector carried along, not fetched again), ts_headline only for the page.
TSQUERY = "websearch_to_tsquery('english', :terms)"
# The author filter: the author's words split at every non-alphanumeric character (an address too), each word
# typed a prefix of one of them; exactly the expression of the GIN index ix_archived_author_words (b14).
AUTHOR_WORDS = "to_tsvector('simple', regexp_replace(x.author, '[^[:alnum:]]+', ' ', 'g'))"
BY_AUTHOR = f" AND {AUTHOR_WORDS} @@ to_tsquery('simple', :author)"
POSTGRESQL = (
    "WITH hits AS (SELECT x.id, x.date, x.search_vector FROM archived_messages x "
    f"WHERE x.search_vector @@ {TSQUERY} AND x.list_id = :list_id AND x.removed_at IS NULL{{filters}} "
    "ORDER BY x.date DESC LIMIT :ranked), "
    f"ranked AS (SELECT hits.id, hits.date, ts_rank_cd(hits.search_vector, {TSQUERY}) AS rank FROM hits "
    "ORDER BY rank DESC, hits.date DESC LIMIT :limit OFFSET :offset) "
    "SELECT m.key, m.subject, m.author, m.date, "
    f"ts_headline('english', left(m.body_text, 20000), {TSQUERY}, :options) AS snippet "
    "FROM ranked JOIN archived_messages m ON m.id = ranked.id ORDER BY ranked.rank DESC, ranked.date DESC"
)
HEADLINE = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=' … '"
)


def highlighted(snippet: str, hide_addresses: bool) -> Markup:
    """A snippet with its marks as <mark> and everything else escaped."""
    text_ = obfuscate(snippet) if hide_addresses else snippet
    return Markup(str(escape(text_)).replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S704


def search(list_id: int, query: SearchQuery, hide_addresses: bool = False) -> tuple[list[Hit], bool]:
    """One page of hits, best first, and whether there is a next page."""
    words = author_words(query.author)
    if query.empty or (query.author and not words):
        return [], False
    params: dict = {
        "list_id": list_id,
        "limit": PER_PAGE + 1,
        "offset": (query.page - 1) * PER_PAGE,
        "ranked": RANKED,
    }
    filters = _filters(query, params, "x")
    if db.session.get_bind().dialect.name == "postgresql":
        params.update(terms=query.terms, options=HEADLINE)  # websearch_to_tsquery accepts any text
        params["author"] = " & ".join(f"'{word}':*" for word in words)  # words: nothing to escape
        sql = POSTGRESQL.format(filters=filters + (BY_AUTHOR if words else ""))
    else:
        match = fts5_expression(query.terms)
        if words:  # a prefix query on FTS5's author column
            match = f"({match}) AND author : (" + " ".join(f'"{word}" *' for word in words) + ")"
        params.update(match=match, start=START, stop=STOP)
        params["floor"] = db.session.execute(text(SQLITE_FLOOR.format(filters=filters)), params).scalar() or 0
        sql = SQLITE.format(filters=filters)
    rows = db.session.execute(text(sql), params).all()
    hits = [
        Hit(
            row.key,
            row.subject,
            obfuscate(row.author) if hide_addresses else row.author,
            _aware(row.date),
            highlighted(row.snippet or "", hide_addresses),
        )
        for row in rows[:PER_PAGE]
    ]
    return hits, len(rows) > PER_PAGE


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite hands text back through a raw query
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
