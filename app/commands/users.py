"""`mailflow users ...`"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.accounts.invitations import INVITATION_DAYS, invitation_url
from app.accounts.notice_settings import InvalidNoticeSetting, parse_settings, set_notice_settings
from app.accounts.tokens import create_token, revoke_token, tokens_of
from app.commands.arguments import list_or_exit, usage_error
from app.extensions import db
from app.lists.staff import all_users, find_user, grant_role, revoke_role, roles_of
from app.mail.addresses import InvalidAddress, normalise_address
from app.models import MembershipNotices, NoticeMode, Role, User
from app.models.audit import CLI

ROLE = click.Choice([r.value for r in Role])


@click.group()
def users() -> None:
    """Manage panel accounts."""


@users.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Make the user a site administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(email: str, admin: bool, password_stdin: bool) -> None:
    """Create a panel user (or update the password and role of an existing one)."""
    try:
        address = normalise_address(email)
    except InvalidAddress as exc:
        raise click.UsageError(str(exc)) from None
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    if len(password) < 8:
        raise click.UsageError("the password must have at least 8 characters")
    user = db.session.scalar(select(User).where(User.email == address))
    created = user is None
    if user is None:
        user = User(email=address)
        db.session.add(user)
    if user.awaiting_first_password:
        user.active = True  # an imported owner or moderator starts working once a password is set
    user.set_password(password)
    user.is_admin = user.is_admin or admin
    db.session.commit()
    click.echo(
        f"{'created' if created else 'updated'} user {address}{' (site admin)' if user.is_admin else ''}"
    )


@users.command("list")
@with_appcontext
def list_users() -> None:
    """Print every panel account, one a line: address, flags (active/inactive, admin), role:list ..."""
    for user in all_users():
        flags = ("active" if user.active else "inactive") + (",admin" if user.is_admin else "")
        roles = " ".join(f"{role}:{address}" for address, role in roles_of(user))
        click.echo(f"{user.email} {flags} {roles}".rstrip())


def _user_or_exit(email: str) -> User:
    user = find_user(email)
    if user is None:
        usage_error(f"no user {email} (create one with `mailflow users create`)")
    return user


@users.command("grant")
@click.argument("email")
@click.argument("list_address")
@click.argument("role", type=ROLE)
@with_appcontext
def grant(email: str, list_address: str, role: str) -> None:
    """Give the user EMAIL the ROLE (owner or moderator) on LIST."""
    user, mlist = _user_or_exit(email), list_or_exit(list_address)
    given = grant_role(user, mlist, Role(role), CLI)
    click.echo(f"{user.email} {'is now' if given else 'already was'} {role} of {mlist.address}")


@users.command("revoke")
@click.argument("email")
@click.argument("list_address")
@click.argument("role", type=ROLE)
@with_appcontext
def revoke(email: str, list_address: str, role: str) -> None:
    """Take the ROLE on LIST from the user EMAIL."""
    user, mlist = _user_or_exit(email), list_or_exit(list_address)
    taken = revoke_role(user, mlist, Role(role), CLI)
    click.echo(f"{user.email} {'is no longer' if taken else 'was not'} {role} of {mlist.address}")


@users.command("token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for (shown in `users tokens`).")
@with_appcontext
def new_token(email: str, name: str) -> None:
    """Create an API token for EMAIL (it acts with that user's roles); the token is printed once, last."""
    token, secret = create_token(_user_or_exit(email), name, CLI)
    click.echo(
        f"API token {token.prefix}… for {email}{f' ({token.name})' if token.name else ''}; keep it secret:"
    )
    click.echo(secret)


@users.command("tokens")
@click.argument("email")
@with_appcontext
def list_tokens(email: str) -> None:
    """List EMAIL's API tokens: prefix, name, created, last used, revoked."""
    for token in tokens_of(_user_or_exit(email)):
        used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never used"
        state = f"revoked {token.revoked_at.isoformat(timespec='seconds')}" if token.revoked_at else "active"
        click.echo(f"{token.id} {token.prefix}… {token.name or '-'} {used} {state}")


@users.command("revoke-token")
@click.argument("email")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_api_token(email: str, token_id: int) -> None:
    """Revoke EMAIL's API token TOKEN_ID (from `users tokens`); it stops working at once."""
    token = next((t for t in tokens_of(_user_or_exit(email)) if t.id == token_id), None)
    if token is None:
        usage_error(f"{email} has no API token {token_id}")
    done = revoke_token(token, CLI)
    click.echo(f"token {token_id} {'revoked' if done else 'was already revoked'}")


@users.command("invite")
@click.argument("email")
@with_appcontext
def invite(email: str) -> None:
    """Print a fresh invitation link with which EMAIL (made without a password) chooses one; it works once."""
    try:
        link = invitation_url(_user_or_exit(email))
    except ValueError as exc:
        usage_error(str(exc))
    click.echo(f"invitation for {email} (valid {INVITATION_DAYS} days, works once):")
    click.echo(link)


@users.command("notices")
@click.argument("email")
@click.argument("list_address")
@click.argument("mode", type=click.Choice([m.value for m in NoticeMode]))
@click.option("--minutes", default=60, show_default=True, help="For `interval`: minutes between summaries.")
@click.option(
    "--membership",
    default="off",
    show_default=True,
    type=click.Choice([m.value for m in MembershipNotices]),
    help="Owners: joins, leaves and bounce-disables, as they happen or daily.",
)
@with_appcontext
def notices(email: str, list_address: str, mode: str, minutes: int, membership: str) -> None:
    """How EMAIL hears of held posts and requests on LIST: each, interval (every --minutes) or daily."""
    user, mlist = _user_or_exit(email), list_or_exit(list_address)
    try:
        set_notice_settings(user, mlist, parse_settings(mode, minutes, membership), CLI)
    except InvalidNoticeSetting as exc:
        usage_error(str(exc))
    click.echo(f"{user.email} on {mlist.address}: notices {mode}, membership news {membership}")
