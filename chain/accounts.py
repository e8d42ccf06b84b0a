"""Gateway accounts: organisations (with their signing key) and users with API keys.

API keys look like ``dal_<prefix>_<secret>``; they are shown once and stored as an
argon2 hash next to the public ``prefix`` used to find the row. Verified keys are
remembered in memory (by the key's sha256) so a request does not pay argon2. A remembered
key is a dictionary lookup (:meth:`AccountStore.remembered`, safe on the event loop) while
its user's row was read within ``recheck_seconds``; after that one primary-key read of the
user's ``revoked_at``, current key prefix and key hash renews it: a row that still holds the
hash argon2 accepted the key against gives argon2's answer again, so a key in use is
verified once. A key unused for ``cache_seconds`` is forgotten (argon2 runs again). A
revocation or key rotation made through this store forgets the user's keys at once (and a
verification or recheck that was running meanwhile does not put them back: a generation
counter); one made by another gateway process on the same database holds here within
``recheck_seconds`` (docs/security.md). Concurrent first requests with one key share one
verification: the first runs argon2, the others wait for its answer (argon2 holds ~64 MiB
per run).
Roles: ``admin`` (manages users of its organisation; the consortium org's admin manages
every organisation), ``writer`` (writes for its organisation), ``reader``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import BigInteger, DateTime, ForeignKey, String, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from web3 import Web3

from chain.db import Base
from chain.errors import Conflict, NotFound, ValidationFailed

log = logging.getLogger("ledger.accounts")

ROLES = ("admin", "writer", "reader")
#: organisation kinds the consortium admits (DESIGN.md 5)
OrgKindName = Literal[
    "registrar",
    "holder",
    "competent_dept",
    "data_administration",
    "finance_dept",
    "operator",
    "merchant",
    "exchange",
    "bank",
    "auditor",
]
CONSORTIUM = "consortium"
#: organisation kinds plus the consortium that runs the deployment
ORG_KINDS: tuple[str, ...] = (CONSORTIUM, *get_args(OrgKindName))
#: the consortium organisation's id: keccak256("data-asset-ledger:consortium")
CONSORTIUM_ORG_ID = "0x" + Web3.keccak(text="data-asset-ledger:consortium").hex().removeprefix("0x")
KEY_PREFIX = "dal"
_KEY = re.compile(r"^dal_([a-z0-9]{8})_([A-Za-z0-9_-]{20,})$")
_ORG_ID = re.compile(r"^0x[0-9a-f]{64}$")


#: How long a remembered key is trusted without reading its user's row again: the bound
#: on a revocation or key rotation made by another gateway process sharing the database.
RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class _Remembered:
    """A verified key: when its user's row was last read (not revoked, that key prefix and
    hash; or argon2 verified it), its principal, its key prefix and the hash argon2
    accepted it against."""

    checked_at: float
    principal: Principal
    prefix: str
    key_hash: str


class _Flight:
    """One verification of a key in progress; requests with the same key wait for it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.waiters = 0
        self.completed = False
        self.result: Principal | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


class Organisation(Base):
    """An organisation known to this gateway and the keystore name of its signer.

    ``key_name`` is None for an external organisation: this gateway admitted it with a
    signing account whose key is held by another gateway (its own city's), so it cannot
    sign for it.
    """

    __tablename__ = "organisations"

    org_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    city_code: Mapped[int] = mapped_column(BigInteger)
    key_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    signer_address: Mapped[str] = mapped_column(String(42))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def is_external(self) -> bool:
        """True when another gateway holds this organisation's signing key."""
        return self.key_name is None


class User(Base):
    """A person or script acting for one organisation with one role."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.org_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Principal:
    """Who is calling: the authenticated user and its organisation."""

    user_id: str
    user_name: str
    org_id: str
    org_name: str
    org_kind: str
    city_code: int
    role: str

    @property
    def is_consortium_admin(self) -> bool:
        return self.role == "admin" and self.org_kind == CONSORTIUM

    def can_write(self) -> bool:
        return self.role in ("admin", "writer")


def normalise_org_id(org_id: str) -> str:
    value = org_id.strip().lower()
    if not value.startswith("0x"):
        value = "0x" + value
    if not _ORG_ID.match(value):
        raise ValidationFailed(
            f"organisation id {org_id!r} is not a 0x-prefixed 32-byte hex string",
            errors=[
                {"loc": ["org_id"], "msg": "expected 0x + 64 hex digits", "type": "value_error"}
            ],
        )
    return value


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def key_prefix_of(api_key: str) -> str:
    """The lookup prefix of a key; keys not in the dal_ format (a bootstrap token chosen
    by the operator) are found by a hash of the whole key instead."""
    match = _KEY.match(api_key)
    if match:
        return match.group(1)
    return "h" + hashlib.sha256(api_key.encode()).hexdigest()[:15]


def new_api_key() -> str:
    return f"{KEY_PREFIX}_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"


def org_key_name(org_id: str) -> str:
    """The keystore name of an organisation's signing account."""
    return f"org-{normalise_org_id(org_id)[2:18]}"


class AccountStore:
    """Organisations and users in the gateway database, with API-key verification."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        cache_seconds: float = 60.0,
        recheck_seconds: float = RECHECK_SECONDS,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.cache_seconds = cache_seconds
        self.recheck_seconds = recheck_seconds
        self._hasher = hasher or PasswordHasher()
        self._clock = clock
        #: sha256 of a key -> what this process knows of it
        self._cache: dict[str, _Remembered] = {}
        self._cache_lock = threading.Lock()
        #: bumped by every revocation or rotation through this store: a verification or
        #: recheck that started before one does not store its answer
        self._generation = 0
        #: bumped by every change of an organisation's signing key through this store
        self.signer_generation = 0
        #: sha256 of a key -> the verification of it in progress
        self._flights: dict[str, _Flight] = {}

    # -- organisations -----------------------------------------------------------------

    def create_org(
        self,
        org_id: str,
        name: str,
        kind: str,
        city_code: int,
        key_name: str | None,
        signer_address: str,
    ) -> Organisation:
        """A gateway row; ``key_name`` None records an external organisation."""
        if kind not in ORG_KINDS:
            raise ValidationFailed(
                f"unknown organisation kind {kind!r}; one of {', '.join(ORG_KINDS)}"
            )
        if not 0 <= city_code < 2**32:
            raise ValidationFailed(f"city code {city_code} is not a uint32")
        org = Organisation(
            org_id=normalise_org_id(org_id),
            name=name,
            kind=kind,
            city_code=city_code,
            key_name=key_name,
            signer_address=Web3.to_checksum_address(signer_address),
        )
        try:
            with self.sessions() as session, session.begin():
                session.add(org)
        except IntegrityError as exc:
            raise Conflict(f"organisation {org.org_id} exists already") from exc
        return org

    def get_org(self, org_id: str) -> Organisation:
        with self.sessions() as session:
            org = session.get(Organisation, normalise_org_id(org_id))
        if org is None:
            raise NotFound(f"no organisation {org_id}")
        return org

    def find_org(self, org_id: str) -> Organisation | None:
        with self.sessions() as session:
            return session.get(Organisation, normalise_org_id(org_id))

    def list_orgs(self) -> list[Organisation]:
        with self.sessions() as session:
            return list(session.scalars(select(Organisation).order_by(Organisation.created_at)))

    def find_org_by_key(self, key_name: str) -> Organisation | None:
        """The organisation bound to a keystore key, if any."""
        with self.sessions() as session:
            return session.scalars(
                select(Organisation).where(Organisation.key_name == key_name)
            ).first()

    def set_signer(self, org_id: str, key_name: str, signer_address: str) -> None:
        """Point an organisation at a new signing key (key rotation, import of a key)."""
        with self.sessions() as session, session.begin():
            session.execute(
                update(Organisation)
                .where(Organisation.org_id == normalise_org_id(org_id))
                .values(key_name=key_name, signer_address=Web3.to_checksum_address(signer_address))
            )
        with self._cache_lock:
            self.signer_generation += 1

    # -- users -------------------------------------------------------------------------

    def create_user(
        self, org_id: str, name: str, role: str, *, api_key: str | None = None
    ) -> tuple[User, str]:
        """Create a user; returns it with its API key (the only time the key is seen)."""
        if role not in ROLES:
            raise ValidationFailed(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        org = self.get_org(org_id)
        key = api_key or new_api_key()
        user = User(
            id=str(uuid.uuid4()),
            org_id=org.org_id,
            name=name,
            role=role,
            key_prefix=key_prefix_of(key),
            key_hash=self._hasher.hash(key),
        )
        try:
            with self.sessions() as session, session.begin():
                session.add(user)
        except IntegrityError as exc:  # a prefix collision (1 in 4 billion): try again
            if api_key is not None:
                raise Conflict("that API key is in use") from exc
            return self.create_user(org_id, name, role)
        return user, key

    def get_user(self, user_id: str) -> User:
        with self.sessions() as session:
            user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        return user

    def list_users(self, org_id: str) -> list[User]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(User)
                    .where(User.org_id == normalise_org_id(org_id))
                    .order_by(User.created_at)
                )
            )

    def revoke_user(self, user_id: str) -> User:
        """End the user's key at once in this process (within ``recheck_seconds`` in other
        processes); revoking again keeps the first revocation time."""
        with self.sessions() as session, session.begin():
            user = session.get(User, user_id)
            if user is None:
                raise NotFound(f"no user {user_id}")
            if user.revoked_at is None:
                user.revoked_at = utcnow()
        self._forget(user_id)
        return user

    def rotate_key(self, user_id: str) -> tuple[User, str]:
        """Give the user a new API key (returned, the only time it is seen); the old key
        stops authenticating at once in this process and, through the prefix check of
        remembered keys, within ``recheck_seconds`` in every other."""
        key = new_api_key()
        try:
            with self.sessions() as session, session.begin():
                user = session.get(User, user_id, with_for_update=True)
                if user is None:
                    raise NotFound(f"no user {user_id}")
                if user.revoked_at is not None:
                    raise Conflict(
                        f"user {user_id} was revoked; a revoked user gets no new key (create "
                        "a new user instead)",
                        user_id=user_id,
                    )
                user.key_prefix = key_prefix_of(key)
                user.key_hash = self._hasher.hash(key)
        except IntegrityError:  # a prefix collision (1 in 4 billion): try again
            return self.rotate_key(user_id)
        self._forget(user_id)
        return user, key

    def _forget(self, user_id: str) -> None:
        """Drop this process's cached keys of one user."""
        with self._cache_lock:
            self._generation += 1
            for digest in [d for d, r in self._cache.items() if r.principal.user_id == user_id]:
                del self._cache[digest]

    def count_users(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(User)) or 0)

    # -- authentication ---------------------------------------------------------------

    def authenticate(self, api_key: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None otherwise (may read the
        database and run argon2: call it from a worker thread)."""
        if not api_key or len(api_key) > 512:
            return None
        digest = _digest(api_key)
        now = self._clock()
        with self._cache_lock:
            known = self._cache.get(digest)
            generation = self._generation
        if known is not None and now - known.checked_at < self.cache_seconds:
            if now - known.checked_at < self.recheck_seconds:
                return known.principal
            if self._still_valid(known.principal.user_id, known.prefix, known.key_hash):
                with self._cache_lock:
                    if self._generation == generation and self._cache.get(digest) is known:
                        self._cache[digest] = dataclasses.replace(known, checked_at=now)
                return known.principal
            with self._cache_lock:
                self._cache.pop(digest, None)
            return None
        return self._verify_once(api_key, digest)

    def remembered(self, api_key: str) -> Principal | None:
        """The principal of a key this process verified and whose user's row it read
        within ``recheck_seconds``; None when :meth:`authenticate` must
        decide (unknown, wrong, stale or revoked key). No database, no argon2: a
        dictionary lookup that may run on the event loop."""
        if not api_key or len(api_key) > 512:
            return None
        with self._cache_lock:
            known = self._cache.get(_digest(api_key))
        if known is None:
            return None
        if self._clock() - known.checked_at >= self.recheck_seconds:
            return None
        return known.principal

    def recently_verified(self, api_key: str) -> bool:
        """Whether this process verified ``api_key`` and found it valid within the last
        ``cache_seconds`` (so it is no guess; it may have been revoked since, which
        :meth:`authenticate` checks)."""
        with self._cache_lock:
            known = self._cache.get(_digest(api_key))
        return known is not None and self._clock() - known.checked_at < self.cache_seconds

    def waiting(self, api_key: str) -> int:
        """How many requests wait for the verification of ``api_key`` in progress."""
        with self._cache_lock:
            flight = self._flights.get(_digest(api_key))
        return flight.waiters if flight is not None else 0

    def _verify_once(self, api_key: str, digest: str) -> Principal | None:
        """Verify a key that is not cached; concurrent callers with the same key wait for
        the first one's answer instead of running argon2 again."""
        with self._cache_lock:
            flight = self._flights.get(digest)
            leader = flight is None
            if flight is None:
                flight = self._flights[digest] = _Flight()
            else:
                flight.waiters += 1
        if not leader:
            flight.done.wait()
            if flight.completed:
                return flight.result
            return self.authenticate(api_key)  # the first verification failed: try anew
        try:
            flight.result = self._verify(api_key, digest)
            flight.completed = True
            return flight.result
        finally:
            with self._cache_lock:
                self._flights.pop(digest, None)
            flight.done.set()

    def _verify(self, api_key: str, digest: str) -> Principal | None:
        """Look the key up by its prefix and check it with argon2 (the slow part)."""
        now = self._clock()
        with self._cache_lock:
            generation = self._generation
        prefix = key_prefix_of(api_key)
        with self.sessions() as session:
            row = session.execute(
                select(User, Organisation)
                .join(Organisation, Organisation.org_id == User.org_id)
                .where(User.key_prefix == prefix)
            ).first()
        if row is None:
            return None
        user, org = row
        if user.revoked_at is not None:
            return None
        try:
            self._hasher.verify(user.key_hash, api_key)
        except (VerificationError, InvalidHashError):
            return None
        principal = Principal(
            user_id=user.id,
            user_name=user.name,
            org_id=org.org_id,
            org_name=org.name,
            org_kind=org.kind,
            city_code=int(org.city_code),
            role=user.role,
        )
        with self._cache_lock:
            unchanged = self._generation == generation
            if unchanged:  # no revocation or rotation through this store meanwhile
                self._cache[digest] = _Remembered(now, principal, prefix, user.key_hash)
        if not unchanged and not self._still_valid(user.id, prefix, user.key_hash):
            return None  # revoked or rotated while argon2 ran
        return principal

    def _still_valid(self, user_id: str, prefix: str, key_hash: str) -> bool:
        """Whether the user of a cached key exists, is not revoked and still has that key
        (not rotated since: the same prefix and the same hash argon2 accepted it against),
        as any process left it."""
        with self.sessions() as session:
            found = session.execute(
                select(User.revoked_at, User.key_prefix, User.key_hash).where(User.id == user_id)
            ).first()
        return (
            found is not None and found[0] is None and found[1] == prefix and found[2] == key_hash
        )

    # -- first start --------------------------------------------------------------------

    def ensure_consortium(self, key_name: str, signer_address: str) -> Organisation:
        """The consortium organisation (signing with the deployment admin key)."""
        existing = self.find_org(CONSORTIUM_ORG_ID)
        if existing is not None:
            return existing
        try:
            return self.create_org(
                CONSORTIUM_ORG_ID, "Consortium", CONSORTIUM, 0, key_name, signer_address
            )
        except Conflict:
            return self.get_org(CONSORTIUM_ORG_ID)

    def bootstrap_admin(self, token: str | None, secret_file: Path) -> str | None:
        """With no users yet, create the consortium's admin user.

        Its key is ``token`` when given; otherwise a new key is generated, written to
        ``secret_file`` (mode 0600) and returned so the caller prints it once. Returns
        None when users exist already or the key came from ``token``.
        """
        if self.count_users() > 0:
            return None
        generated = token is None
        key = token if token is not None else new_api_key()
        try:
            self.create_user(CONSORTIUM_ORG_ID, "bootstrap admin", "admin", api_key=key)
        except Conflict:  # another gateway process created it at the same moment
            return None
        if not generated:
            log.info("bootstrap admin created with the key from LEDGER_BOOTSTRAP_TOKEN")
            return None
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        os.chmod(secret_file, 0o600)
        return key
