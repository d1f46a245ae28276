"""Posts, copies sent and bounces per day: counted in SQL, drawn as server-side SVG (no script, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape
from sqlalchemy import func, select

from app.extensions import db
from app.models import Bounce, Delivery, DeliveryStatus, Post, PostSource
from app.models.timestamps import utcnow

DAYS = 14
SERIES = (("posts", "Posts"), ("sent", "Copies sent"), ("bounces", "Bounces"))
WIDTH, HEIGHT, PAD = 640, 220, 40


@dataclass
class DailyFigures:
    """Counts per day for the last DAYS days, oldest first."""

    days: list[date]
    series: dict[str, list[int]]

    def totals(self) -> dict[str, int]:
        """The sum of each series."""
        return {key: sum(values) for key, values in self.series.items()}


def _day(column):
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)


def _per_day(column, list_ids, list_column, since, *where) -> dict[str, int]:
    day = _day(column)
    query = select(day, func.count()).where(column >= since, list_column.in_(list_ids), *where).group_by(day)
    return {str(d): n for d, n in db.session.execute(query).all()}


def daily_figures(list_ids) -> DailyFigures:
    """Per-day counts for the given lists (a list or a select of ids)."""
    today = utcnow().date()
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    since = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS - 1)
    post_lists = select(Post.id).where(Post.list_id.in_(list_ids))
    counts = {
        "posts": _per_day(Post.received_at, list_ids, Post.list_id, since, Post.source != PostSource.DIGEST),
        "sent": _per_day(
            Delivery.sent_at, post_lists, Delivery.post_id, since, Delivery.status == DeliveryStatus.SENT
        ),
        "bounces": _per_day(Bounce.created_at, list_ids, Bounce.list_id, since),
    }
    return DailyFigures(days, {key: [counts[key].get(d.isoformat(), 0) for d in days] for key, _ in SERIES})


def svg_chart(figures: DailyFigures) -> Markup:
    """Grouped bars per day: posts on the left scale, copies and bounces on the right one (a list of 300
    members sends 300 copies per post, so one scale would flatten the posts to nothing). Text is escaped."""
    scales = {
        "posts": _top(figures.series["posts"]),
        "copies": _top(figures.series["sent"] + figures.series["bounces"]),
    }
    group = (WIDTH - 2 * PAD) / len(figures.days)
    bar = group / (len(SERIES) + 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 24}" role="img" '
        f'aria-label="Posts (left scale), copies sent and bounces (right scale) per day">',
        f'<text class="axis top key-posts-text" x="0" y="2">{scales["posts"]}</text>',
        f'<text class="axis top" x="{WIDTH}" y="2" text-anchor="end">{scales["copies"]}</text>',
        f'<text class="axis" x="0" y="{HEIGHT}">0</text>',
        f'<text class="axis" x="{WIDTH}" y="{HEIGHT}" text-anchor="end">0</text>',
        f'<line class="axis-line" x1="{PAD}" y1="{HEIGHT}" x2="{WIDTH - PAD}" y2="{HEIGHT}"/>',
    ]
    for i, day in enumerate(figures.days):
        x0 = PAD + i * group
        for j, (key, label) in enumerate(SERIES):
            value = figures.series[key][i]
            h = (HEIGHT - 24) * value / scales["posts" if key == "posts" else "copies"]
            parts.append(
                f'<rect class="bar-{key}" x="{x0 + j * bar:.1f}" y="{HEIGHT - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}"><title>{escape(label)} {day.isoformat()}: {value}</title></rect>'
            )
        if i % 3 == 0:
            parts.append(f'<text class="axis" x="{x0:.1f}" y="{HEIGHT + 20}">{day.strftime("%d %b")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _top(values: list[int]) -> int:
    return max([1, *values])
