"""Accounts: argon2 password hashes, logging in with a rate limit, login sessions, roles and what
each may open.

No Streamlit here: the pages ask ``can(role, page)`` through ``annotator.ui.auth``, and the
``annotator users`` command creates accounts through :func:`create_reviewer`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session

from annotator import repository
from annotator.errors import AnnotatorError
from annotator.models import Reviewer, utc_now

log = logging.getLogger(__name__)

Role = Literal["annotator", "adjudicator", "admin"]
ROLES: tuple[Role, ...] = ("annotator", "adjudicator", "admin")
ADMIN_NAME = "admin"

# Which roles may open which page. A page not listed here is open to nobody: a new page must be
# added on purpose. The check runs on the server when the page runs, not only in the navigation.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "annotate": frozenset(ROLES),
    "adjudicate": frozenset({"adjudicator", "admin"}),
    "agreement": frozenset({"adjudicator", "admin"}),
    "export": frozenset({"adjudicator", "admin"}),
    "events": frozenset({"adjudicator", "admin"}),
    "reports": frozenset({"admin"}),
    "models": frozenset({"admin"}),
    "users": frozenset({"admin"}),
}

# After this many wrong passwords in a row an account is locked for LOCK_SECONDS, doubling with
# every further failure up to MAX_LOCK_SECONDS: slow enough to stop guessing, short enough that a
# reviewer who mistyped is not locked out for long.
MAX_FAILURES = 5
LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 3600
MIN_PASSWORD_LENGTH = 8
# What every failed login says, whether the name is unknown, the password wrong, or the account
# locked or deactivated: a different answer would tell a guesser which names exist.
LOGIN_FAILED = "wrong name or password"
# A login session's token: 32 random bytes, URL-safe base64 (43 characters), kept by the browser
# in a cookie and stored only as its SHA-256; anything else a cookie holds is not looked up.
SESSION_TOKEN_BYTES = 32
SESSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")

# argon2id at argon2-cffi's defaults (RFC 9106's low-memory profile: 3 passes over 64 MiB in
# 4 lanes), about 0.1 s a hash: what makes guessing slow. The tests swap in a cheap hasher here
# (tests/conftest.py); verifying reads the cost from the stored hash, whichever hasher made it.
password_hasher = PasswordHasher()


class AccountError(AnnotatorError, ValueError):
    """An account that cannot be created or changed (a taken name, an unknown role...)."""


class LoginFailed(AnnotatorError, ValueError):
    """A wrong name or password; the message never says which."""


class LockedOut(LoginFailed):
    """A login of an account locked after too many wrong passwords: the password was not tried.

    The message is LoginFailed's own, so that the screen cannot tell a locked name from an
    unknown one; the type is for the code and the log.
    """

    def __init__(self) -> None:
        super().__init__(LOGIN_FAILED)


@dataclass(frozen=True)
class Account:
    """Who is logged in: ids and plain values, safe to keep in a session."""

    id: int
    name: str
    role: Role


def hash_password(password: str) -> str:
    """An argon2id hash of the password (salted; the parameters are part of the hash)."""
    return password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash."""
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verified against when the name is unknown, so that a wrong name costs as long as a wrong
    # password; made on first use rather than at import, which would cost every command a hash.
    return hasher.hash(secrets.token_urlsafe(16))


def can(role: str, page: str) -> bool:
    """True when this role may open this page."""
    return role in PERMISSIONS.get(page, frozenset())


def check_role(role: str) -> Role:
    """The role, or AccountError when it is not one of ROLES."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> None:
    """Raise AccountError for a password too short, or too blank, to protect anything."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise AccountError("a password cannot be only spaces")


def account_of(reviewer: Reviewer) -> Account:
    """The account of a stored reviewer."""
    assert reviewer.id is not None
    return Account(id=reviewer.id, name=reviewer.name, role=check_role(reviewer.role))


def create_reviewer(*, session: Session, name: str, password: str, role: str) -> Account:
    """Create a reviewer who can log in; a reviewer known only from imports gets the password."""
    name = name.strip()
    if not name:
        raise AccountError("a reviewer needs a name")
    checked = check_role(role)
    check_password(password)
    reviewer = repository.reviewer_named(session=session, name=name)
    if reviewer is not None and reviewer.password_hash is not None:
        raise AccountError(f"reviewer {name!r} already exists")
    if reviewer is None:
        reviewer = Reviewer(name=name)
    reviewer.role = checked
    reviewer.password_hash = hash_password(password)
    reviewer.active = True
    reviewer.failed_logins = 0
    reviewer.locked_until = None
    session.add(reviewer)
    session.flush()
    log.info("created reviewer %s (%s)", name, checked)
    return account_of(reviewer)


def set_password(*, session: Session, name: str, password: str) -> None:
    """Give a reviewer a new password and lift any lock."""
    check_password(password)
    reviewer = repository.reviewer_named(session=session, name=name)
    if reviewer is None:
        raise AccountError(f"no reviewer named {name!r}")
    reviewer.password_hash = hash_password(password)
    reviewer.failed_logins = 0
    reviewer.locked_until = None
    session.add(reviewer)
    session.flush()
    # Whoever knew the old password may be logged in somewhere: those sessions end with it.
    assert reviewer.id is not None
    end_sessions_of(session=session, reviewer_id=reviewer.id)


def set_role(*, session: Session, name: str, role: str, acting_id: int | None = None) -> Account:
    """Give a reviewer another role; never the last active admin's nor the acting admin's own."""
    checked = check_role(role)
    reviewer = _reviewer_to_change(session=session, name=name)
    if checked != "admin":
        _keep_an_admin(session=session, reviewer=reviewer, acting_id=acting_id, change="demote")
    reviewer.role = checked
    session.add(reviewer)
    session.flush()
    log.info("reviewer %s is now %s", reviewer.name, checked)
    return account_of(reviewer)


def set_active(
    *, session: Session, name: str, active: bool, acting_id: int | None = None
) -> Account:
    """Let a reviewer log in again, or not (their annotations stay); never the last admin out."""
    reviewer = _reviewer_to_change(session=session, name=name)
    if not active:
        _keep_an_admin(session=session, reviewer=reviewer, acting_id=acting_id, change="deactivate")
    reviewer.active = active
    session.add(reviewer)
    session.flush()
    if not active:
        assert reviewer.id is not None
        end_sessions_of(session=session, reviewer_id=reviewer.id)
    log.info("reviewer %s %s", reviewer.name, "reactivated" if active else "deactivated")
    return account_of(reviewer)


def unlock(*, session: Session, name: str) -> None:
    """Forget a reviewer's failed logins and lift their lock."""
    reviewer = _reviewer_to_change(session=session, name=name)
    assert reviewer.id is not None
    repository.reset_failed_logins(session=session, reviewer_id=reviewer.id)


def locked_until(reviewer: Reviewer, *, now: datetime | None = None) -> datetime | None:
    """When a reviewer's lock after failed logins ends, or None when they are not locked now."""
    if reviewer.locked_until is None:
        return None
    until = _aware(reviewer.locked_until)
    return until if until > (now or utc_now()) else None


def _reviewer_to_change(*, session: Session, name: str) -> Reviewer:
    reviewer = repository.reviewer_named(session=session, name=name)
    if reviewer is None:
        raise AccountError(f"no reviewer named {name!r}")
    return reviewer


def _keep_an_admin(
    *, session: Session, reviewer: Reviewer, acting_id: int | None, change: str
) -> None:
    """Refuse a change that would leave nobody able to manage accounts, or lock the actor out."""
    if reviewer.role != "admin" or not reviewer.active:
        return
    if reviewer.password_hash is not None and repository.count_login_admins(session=session) <= 1:
        raise AccountError(
            f"{reviewer.name!r} is the last active admin and cannot be {change}d "
            "(make another reviewer an admin first)"
        )
    if acting_id is not None and reviewer.id == acting_id:
        raise AccountError(f"you cannot {change} your own account (ask another admin)")


def lock_seconds(failures: int) -> int:
    """How long the ``failures``-th wrong password in a row locks an account (from MAX_FAILURES
    on): LOCK_SECONDS, twice as long with each further one, at most MAX_LOCK_SECONDS."""
    doublings = max(0, failures - MAX_FAILURES)
    return int(min(LOCK_SECONDS * 2**doublings, MAX_LOCK_SECONDS))


def authenticate(
    *, session: Session, name: str, password: str, now: datetime | None = None
) -> Account:
    """The account of this name and password; LoginFailed (LockedOut for a locked account)
    otherwise, always with the one message LOGIN_FAILED.

    Every attempt is counted as failed in the database before its password is checked, in one
    statement that also refuses a locked account, and the attempt that reaches MAX_FAILURES
    locks the account before its own check: however many attempts race, no more than
    MAX_FAILURES guesses are ever tried, and a locked account's password is never tried at all.
    The lock lasts :func:`lock_seconds`; a right password resets the count. The count is
    written to the session before LoginFailed is raised: the caller commits it (catch inside
    the session block).
    """
    now = now or utc_now()
    reviewer = repository.reviewer_named(session=session, name=name.strip())
    if reviewer is None or reviewer.password_hash is None or not reviewer.active:
        _try_no_password(password)
        raise LoginFailed(LOGIN_FAILED)
    assert reviewer.id is not None
    failures = repository.count_login_attempt(session=session, reviewer_id=reviewer.id, now=now)
    if failures is None:
        _try_no_password(password)
        raise LockedOut()
    if failures >= MAX_FAILURES:
        until = now + timedelta(seconds=lock_seconds(failures))
        repository.lock_reviewer(session=session, reviewer_id=reviewer.id, until=until)
    if verify_password(reviewer.password_hash, password):
        repository.reset_failed_logins(session=session, reviewer_id=reviewer.id)
        return account_of(reviewer)
    if failures >= MAX_FAILURES:
        log.warning("reviewer %s locked until %s after %d failures", reviewer.name, until, failures)
    raise LoginFailed(LOGIN_FAILED)


def _try_no_password(password: str) -> None:
    # A refusal that tries no stored password costs as long as one that does, so that the time an
    # answer takes does not tell an unknown or locked name from a wrong password either.
    verify_password(_dummy_hash(password_hasher), password)


def identity_account(*, session: Session, name: str) -> Account:
    """The account of a reviewer known from an identity provider; an annotator on first login."""
    name = name.strip()
    if not name:
        raise LoginFailed("the identity provider gave no name or email")
    reviewer = repository.ensure_reviewer(session=session, name=name, role="annotator")
    if not reviewer.active:
        raise LoginFailed(f"the account {name!r} is deactivated")
    return account_of(reviewer)


def open_session(
    *, session: Session, reviewer_id: int, hours: float, now: datetime | None = None
) -> str:
    """Start a login session of a reviewer that lasts ``hours``; the token for the browser.

    Only the token's SHA-256 is stored: whoever reads the database cannot use its sessions. The
    reviewer's sessions that have ended are dropped here, so the table keeps only live ones and
    a few dead ones.
    """
    now = now or utc_now()
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    repository.delete_ended_login_sessions(session=session, reviewer_id=reviewer_id, now=now)
    repository.insert_login_session(
        session=session,
        token_hash=_token_hash(token),
        reviewer_id=reviewer_id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    return token


def account_of_session(
    *, session: Session, token: str, now: datetime | None = None
) -> Account | None:
    """The account a login session's token belongs to, while the session is live (not expired,
    not revoked, its reviewer active); None otherwise, and for anything that is not a token."""
    if not SESSION_TOKEN.fullmatch(token):
        return None
    reviewer = repository.reviewer_of_session(
        session=session, token_hash=_token_hash(token), now=now or utc_now()
    )
    return None if reviewer is None else account_of(reviewer)


def end_session(*, session: Session, token: str, now: datetime | None = None) -> None:
    """End one login session (logging out); every tab and browser holding its token is out."""
    if SESSION_TOKEN.fullmatch(token):
        repository.revoke_login_session(
            session=session, token_hash=_token_hash(token), now=now or utc_now()
        )


def end_sessions_of(*, session: Session, reviewer_id: int, now: datetime | None = None) -> int:
    """End every live login session of a reviewer, wherever they are logged in; how many."""
    ended = repository.revoke_login_sessions_of(
        session=session, reviewer_id=reviewer_id, now=now or utc_now()
    )
    if ended:
        log.info("ended %d login session(s) of reviewer %d", ended, reviewer_id)
    return ended


def _token_hash(token: str) -> str:
    # A plain SHA-256 is enough: the token is 256 random bits, not a password to stretch.
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def ensure_admin(*, session: Session, password: str | None = None) -> str | None:
    """Create the ``admin`` account when no admin can log in; return its password, else None.

    Without ``password`` one is generated; the caller shows it once, it is not stored anywhere.
    """
    if repository.count_login_admins(session=session):
        return None
    password = password or secrets.token_urlsafe(12)
    existing = repository.reviewer_named(session=session, name=ADMIN_NAME)
    if existing is not None and existing.password_hash is not None:
        # "admin" exists with a password but is no longer an admin: leave it alone.
        raise AccountError(
            f"no admin can log in and {ADMIN_NAME!r} is taken; "
            "create one with: annotator users add NAME --role admin"
        )
    create_reviewer(session=session, name=ADMIN_NAME, password=password, role="admin")
    return password


def _aware(moment: datetime) -> datetime:
    # SQLite gives naive datetimes back; they were stored as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def has_admin(*, session: Session) -> bool:
    """True when an active admin with a password exists (someone can manage accounts)."""
    return bool(repository.count_login_admins(session=session))


@dataclass(frozen=True)
class UsersOverview:
    """What the users page lists: every reviewer by name, and their annotations by name."""

    reviewers: list[Reviewer]
    annotations: dict[str, int]


def list_reviewers(*, session: Session) -> list[Reviewer]:
    """Every reviewer, by name."""
    return repository.list_reviewers(session=session)


def users_overview(*, session: Session) -> UsersOverview:
    """Every reviewer and how many current annotations each has."""
    return UsersOverview(
        reviewers=list_reviewers(session=session),
        annotations=repository.annotation_counts(session=session),
    )
