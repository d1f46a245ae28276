"""Issue 16: `mailflow bans` is the Senders tab's CLI door: allowed senders, site bans, import, export, remove."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AllowedSender, AuditEntry, Ban
from tests.moderation.test_exact_bans import mailflow
from tests.support.factories import make_list


def test_allowed_senders_site_bans_import_export_and_remove(app, tmp_path):
    make_list("alpha@example.org", "Alpha")
    added = mailflow(app, "bans", "add", "alpha@example.org", "Friend@example.com", "--allowed")
    assert added.exit_code == 0 and "allowed (address) friend@example.com" in added.output
    site = mailflow(app, "bans", "add", "site", r"^.*@bad\.example$")
    assert site.exit_code == 0 and "banned (regex)" in site.output
    assert mailflow(app, "bans", "add", "site", "x@example.com", "--allowed").exit_code == 2
    source = tmp_path / "bans.txt"
    source.write_text("a@example.com\nnonsense\n^.*@spam\\.example$\n")
    done = mailflow(app, "bans", "import", "alpha@example.org", str(source))
    assert done.exit_code == 0 and "Added 2; 0 were there already; 1 line(s) not used." in done.output
    listed = mailflow(app, "bans", "list", "alpha@example.org").output
    assert (
        listed
        == "address\ta@example.com\nregex\t^.*@spam\\.example$\nregex\t^.*@bad\\.example$\t(site-wide)\n"
    )
    exported = mailflow(app, "bans", "export", "alpha@example.org", "--csv").output
    assert exported.startswith("pattern,kind,added\na@example.com,address,")
    assert mailflow(app, "bans", "remove", "alpha@example.org", "A@example.com").exit_code == 0
    assert mailflow(app, "bans", "remove", "alpha@example.org", "nobody@example.com").exit_code == 2
    assert db.session.scalars(select(Ban.pattern).order_by(Ban.id)).all() == [
        r"^.*@bad\.example$",
        r"^.*@spam\.example$",
    ]
    assert db.session.scalars(select(AllowedSender.pattern)).all() == ["friend@example.com"]
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["allow.add", "ban.add", "ban.import", "ban.remove"]
