"""SQLAlchemy 2 declarative models: the database schema of the voice service.

Owns the tables ``flows``, ``flow_versions``, ``calls``, ``call_events`` (the IVR path),
``recordings`` (audio files of calls and voicemails), ``customers`` + ``customer_phones``
(who ``authenticate`` verifies; secrets only as argon2 hashes), ``auth_attempts`` (the audit
of every verification, which lockouts are computed from), ``users`` (staff logins and API
keys), ``agents`` + ``agent_queues`` + ``agent_sessions`` (agents, the queues
they answer and their state history), ``queues`` + ``queue_entries`` (the ACD: configured
queues and each caller's stay), ``call_dispositions`` (agents' notes after calls),
``transcripts`` + ``transcript_segments`` (what was said, per channel, with word times),
``transcription_jobs`` (the durable state of each transcription),
``webhook_endpoints`` + ``webhook_deliveries`` (outbound webhooks, their outbox),
``login_attempts`` (web sign-ins, for lockouts), ``audit_log`` (who changed what),
``scorecards`` + ``scorecard_versions`` + ``evaluations`` (QA's evaluation forms and the
scores calls got), and the column type :class:`UtcDateTime`, which stores every timestamp
in UTC and always hands back timezone-aware UTC datetimes, on SQLite (which has no time
zone type) as well as on PostgreSQL. Every change here needs a matching Alembic revision
under ``migrations/``; ``tests/store/test_migrations.py`` fails when the two disagree.
Models carry no behaviour: the repositories (``voice.flows.repository``,
``voice.calls.repository``) own the queries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from voice.store.errors import InvalidTimestampError

# Deterministic constraint names, so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 100
#: the full-text search objects migrations create by hand (FTS5 table and its shadow tables on
#: SQLite, an expression index on PostgreSQL); not in the models, so autogenerate skips them
SEARCH_INDEX_PREFIXES = ("transcript_segments_fts", "ix_transcript_segments_fts")
CALL_ID_LENGTH = 255  # SIP Call-IDs can be long; Twilio CallSids are 34 characters
NUMBER_LENGTH = 255  # E.164 numbers, extensions, or full SIP URIs


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp column that accepts only aware datetimes and returns aware UTC ones.

    SQLite stores the UTC wall time without an offset, so results are re-tagged as UTC;
    PostgreSQL stores ``timestamptz`` and results are converted to UTC.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidTimestampError(value)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base holding the shared metadata (used by Alembic autogenerate)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class Flow(Base):
    """A flow id ever published; its versions hold the content."""

    __tablename__ = "flows"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class FlowVersion(Base):
    """One published version of a flow: the YAML text exactly as validated, and who/when."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow_id: Mapped[str] = mapped_column(String(ID_LENGTH), ForeignKey("flows.id"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    numbers: Mapped[list[str]]
    published_at: Mapped[datetime]
    published_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class Call(Base):
    """One call (real or simulated) and the flow version it ran."""

    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(String(CALL_ID_LENGTH), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    flow_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    flow_version: Mapped[int | None] = mapped_column(Integer)
    flow_sha256: Mapped[str | None] = mapped_column(String(64))
    # QA finds a caller's calls by number (migration 0012)
    from_number: Mapped[str] = mapped_column(String(NUMBER_LENGTH), index=True)
    to_number: Mapped[str] = mapped_column(String(NUMBER_LENGTH))
    started_at: Mapped[datetime] = mapped_column(index=True)  # call lists are newest first
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(100))
    simulated: Mapped[bool] = mapped_column(Boolean)
    worker: Mapped[str | None] = mapped_column(String(ID_LENGTH))

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call",
        order_by="CallEvent.seq",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class CallEvent(Base):
    """One step of a call's IVR path: a node visit with its outcome and (masked) input."""

    __tablename__ = "call_events"
    __table_args__ = (
        UniqueConstraint("call_id", "seq"),
        # the QA list's "verified" filter and column look only at authenticate visits
        Index("ix_call_events_authenticate", "call_id", "outcome",
              postgresql_where=text("node_type = 'authenticate'"),
              sqlite_where=text("node_type = 'authenticate'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(
        String(CALL_ID_LENGTH), ForeignKey("calls.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    flow_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    node: Mapped[str] = mapped_column(String(ID_LENGTH))
    node_type: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(100))
    input: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None]

    call: Mapped[Call] = relationship(back_populates="events")


class IvrSession(Base):
    """A live call's saved IVR session, between webhooks and across worker processes.

    ``state`` is ``SessionState.to_dict()`` without secrets; ``secrets`` holds them encrypted
    (Fernet). ``revision`` is an optimistic lock: a save that lost a race is retried, so two
    workers never advance one call twice. ``last_key``/``last_reply`` answer a repeated
    webhook delivery with the same reply instead of advancing the flow again.
    """

    __tablename__ = "ivr_sessions"

    call_id: Mapped[str] = mapped_column(
        String(CALL_ID_LENGTH), ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    state: Mapped[dict[str, Any]]
    secrets: Mapped[str | None] = mapped_column(Text)
    versions: Mapped[dict[str, Any]]
    timers: Mapped[dict[str, Any]]
    adapter: Mapped[dict[str, Any]]
    queue: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    queue_priority: Mapped[int | None] = mapped_column(Integer)
    enqueued_at: Mapped[datetime | None]
    last_key: Mapped[str | None] = mapped_column(String(255))
    last_reply: Mapped[str | None] = mapped_column(Text)
    ended: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class Recording(Base):
    """One audio file of a call: the whole call (two channels) or a voicemail.

    ``path`` is relative to the recordings folder (``VOICE_RECORDINGS_DIR``), so the folder can
    move. ``(source, source_id)`` is unique: Twilio retries its recording callback, and the
    second delivery must find the first row instead of storing the audio twice. ``channels``,
    ``duration_s``, ``size_bytes`` and ``sha256`` describe the file as stored, not what the
    carrier claimed. No ``ON DELETE CASCADE``: a call's rows may only go once its files have
    been removed (retention purge), or the audio would be orphaned on disk.
    """

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("source", "source_id"), UniqueConstraint("path"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(
        String(CALL_ID_LENGTH), ForeignKey("calls.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # 'call' (whole call) or 'voicemail'
    source: Mapped[str] = mapped_column(String(16))  # 'twilio' or 'sip'
    source_id: Mapped[str] = mapped_column(String(ID_LENGTH))  # e.g. Twilio's RecordingSid
    path: Mapped[str] = mapped_column(String(500))
    channels: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    flow_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    queue: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    agent: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    #: when the retention purge deletes the audio and its transcript (None: kept)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    #: the file's own AES-256-GCM key, wrapped with the master key (None: stored in clear)
    wrapped_key: Mapped[str | None] = mapped_column(Text)


class Customer(Base):
    """A customer ``authenticate`` can verify. Secrets are argon2 hashes, never the values.

    ``zip_hash``/``dob_hash`` are the knowledge answers (``dob`` hashed as the 8 digits
    MMDDYYYY a caller types). ``id`` is the customer id the session and screen pop carry.
    """

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_number: Mapped[str] = mapped_column(String(32), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(50))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    zip_hash: Mapped[str | None] = mapped_column(String(200))
    dob_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", order_by="CustomerPhone.id",
        cascade="all, delete-orphan", passive_deletes=True)


class CustomerPhone(Base):
    """One phone number (normalised: digits and a leading +) a customer calls from."""

    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("customer_id", "phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(NUMBER_LENGTH), index=True)

    customer: Mapped[Customer] = relationship(back_populates="phones")


class AuthAttempt(Base):
    """One verification attempt (or an unlock), without the secret.

    ``account_key`` is an HMAC of the account number typed (known or not), so lockouts can
    count failures per account without keeping guessed numbers; ``account_masked`` is what
    people see (``****4321``). ``outcome``: verified, failed, locked, limited, unlocked.
    """

    __tablename__ = "auth_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    call_id: Mapped[str | None] = mapped_column(String(CALL_ID_LENGTH), index=True)
    method: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(100))
    caller_id: Mapped[str | None] = mapped_column(String(NUMBER_LENGTH), index=True)
    account_key: Mapped[str | None] = mapped_column(String(64), index=True)
    account_masked: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str | None] = mapped_column(String(ID_LENGTH))  # who unlocked


class User(Base):
    """A member of staff: admin, supervisor, qa or agent, with an argon2 password hash.

    ``api_key_hash`` is the SHA-256 of the user's API key (random, 32 bytes: a fast hash is
    enough); the key itself is shown once, when it is made.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    api_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    disabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class Agent(Base):
    """An agent: a user with the agent role, how to reach them, and their ACD state.

    ``state`` is offline, available, reserved (ringing), on_call, wrap_up or away. The ACD
    moves it only with conditional UPDATEs (``voice.acd``), so two callers never get one
    agent. ``idle_since`` orders "longest idle"; ``after_call`` is the state an agent asked
    for while busy, taken when the call (and wrap-up) ends.
    """

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    extension: Mapped[str | None] = mapped_column(String(32))
    contact_uri: Mapped[str | None] = mapped_column(String(NUMBER_LENGTH))
    registered_contact: Mapped[str | None] = mapped_column(String(NUMBER_LENGTH))
    twilio_identity: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    skills: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), index=True)
    state_reason: Mapped[str | None] = mapped_column(String(100))
    state_since: Mapped[datetime]
    after_call: Mapped[str | None] = mapped_column(String(16))
    after_call_reason: Mapped[str | None] = mapped_column(String(100))
    call_id: Mapped[str | None] = mapped_column(String(CALL_ID_LENGTH), index=True)
    wrap_up_until: Mapped[datetime | None]
    idle_since: Mapped[datetime | None]
    last_offered_at: Mapped[datetime | None]


class AgentQueue(Base):
    """Which queues an agent answers."""

    __tablename__ = "agent_queues"

    agent_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    queue: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, index=True)


class AgentSession(Base):
    """One stretch of an agent in one state (``ended_at`` None: the current one)."""

    __tablename__ = "agent_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(100))
    call_id: Mapped[str | None] = mapped_column(String(CALL_ID_LENGTH))
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]


class QueueSettings(Base):
    """A configured ACD queue (a queue named by a flow but not configured uses defaults)."""

    __tablename__ = "queues"

    name: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    description: Mapped[str | None] = mapped_column(String(255))
    skills: Mapped[list[str]]
    strategy: Mapped[str] = mapped_column(String(32))
    ring_timeout: Mapped[int] = mapped_column(Integer)
    wrap_up: Mapped[int] = mapped_column(Integer)
    max_wait: Mapped[int | None] = mapped_column(Integer)
    overflow: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    service_level: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class QueueEntry(Base):
    """One caller's stay in one queue: waiting, offered to an agent, connected, then ended.

    ``outcome`` says how it ended (answered, abandoned, timeout, overflow, error);
    ``estimated_wait`` is what the caller was told on entering, kept next to the real wait
    (``answered_at`` or ``ended_at`` minus ``enqueued_at``) so the estimate's error can be
    measured. A callback entry keeps its place after the caller hung up.
    """

    __tablename__ = "queue_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(CALL_ID_LENGTH), index=True)
    queue: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    from_number: Mapped[str] = mapped_column(String(NUMBER_LENGTH))
    priority: Mapped[int] = mapped_column(Integer)
    skills: Mapped[list[str]]
    status: Mapped[str] = mapped_column(String(16), index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    enqueued_at: Mapped[datetime] = mapped_column(index=True)
    agent_id: Mapped[int | None] = mapped_column(Integer, index=True)
    offered_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    estimated_wait: Mapped[float | None] = mapped_column(Float)
    callback: Mapped[bool] = mapped_column(Boolean)
    callback_number: Mapped[str | None] = mapped_column(String(NUMBER_LENGTH))
    tried: Mapped[list[str]]
    holder: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class CallDisposition(Base):
    """What an agent wrote after a call: a disposition code and a note, against the
    customer's account (when the caller was identified) and the call."""

    __tablename__ = "call_dispositions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(CALL_ID_LENGTH), index=True)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    disposition: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Transcript(Base):
    """The transcript of one recording: which model made it, and how long that took."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("recordings.id", ondelete="CASCADE"), unique=True)
    call_id: Mapped[str] = mapped_column(String(CALL_ID_LENGTH), index=True)
    model: Mapped[str] = mapped_column(String(200))
    duration_s: Mapped[float] = mapped_column(Float)  # audio seconds transcribed
    processing_s: Mapped[float] = mapped_column(Float)  # wall seconds it took
    created_at: Mapped[datetime]

    segments: Mapped[list[TranscriptSegment]] = relationship(
        back_populates="transcript", order_by="TranscriptSegment.start_s",
        cascade="all, delete-orphan", passive_deletes=True)


class TranscriptSegment(Base):
    """One utterance on one channel: who spoke, when (seconds into the recording), what, how
    sure the model was, its words with times, and the IVR node (or call phase) it fell in."""

    __tablename__ = "transcript_segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transcript_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("transcripts.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[str] = mapped_column(String(CALL_ID_LENGTH), index=True)
    channel: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(16))  # caller, ivr or agent
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    words: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    node: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    phase: Mapped[str | None] = mapped_column(String(16))  # ivr, queue, agent, transfer

    transcript: Mapped[Transcript] = relationship(back_populates="segments")


class TranscriptionJob(Base):
    """The durable state of transcribing one recording (the task queue only carries ids).

    ``state``: queued, running, done or failed. A running job whose ``lease_until`` passed
    (its worker died) is queued again; ``attempts`` counts starts.
    """

    __tablename__ = "transcription_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("recordings.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


def include_in_autogenerate(obj: object, name: str | None, type_: str, reflected: bool,
                            compare_to: object) -> bool:
    """Alembic ``include_object``: leave out the hand-made full-text search objects."""
    return not (name or "").startswith(SEARCH_INDEX_PREFIXES)


# --- Outbound webhooks (the ``webhooks`` package) --------------------------------------------


class WebhookEndpoint(Base):
    """A receiver of outbound webhooks: where to POST, with which secret, which events.

    ``secret_sealed`` is the ``whsec_`` signing secret sealed with ``voice.secretbox`` (it
    must be read back to sign, so it cannot be a hash). ``events`` and ``queues`` filter what
    it receives; an empty list means all. A disabled endpoint gets nothing new;
    ``disabled_reason`` says who or what disabled it (an admin, or a ``410 Gone`` answer).
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret_sealed: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]]
    queues: Mapped[list[str]]
    enabled: Mapped[bool] = mapped_column(Boolean)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event for one endpoint: the outbox row and the log of its delivery.

    ``body`` is the exact JSON sent (and signed) on every attempt; ``msg_id`` is its
    ``webhook-id``, the same on retries and replays. ``status``: pending, delivered, dead
    (every attempt failed) or cancelled (the endpoint was disabled). A pending row is due at
    ``next_attempt_at``; a sender claims it by setting ``lease_until`` (and ``lease_owner``)
    with one conditional UPDATE, so two processes never send one attempt twice.
    """

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    endpoint_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[str | None] = mapped_column(String(CALL_ID_LENGTH), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


# --- Web logins (``voice.web.login``) ---------------------------------------------------------


class LoginAttempt(Base):
    """One sign-in attempt at the web login (or by HTTP Basic), without the password.

    ``outcome``: succeeded, failed (wrong username or password) or refused (the username was
    locked after too many failures, so the password was not even checked). Lockouts are
    counted from these rows, per ``username`` as typed (known or not, so a lockout does not
    reveal which usernames exist), which makes them hold across gunicorn workers.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class AuditEntry(Base):
    """One change made by a member of staff (or a CLI operator) to configuration.

    ``entity_type`` is flow, queue, user, agent, schedule, webhook or customer; ``action`` a
    verb such as ``flow.publish``; ``via`` web, api or cli; ``actor`` the username (or the
    operating-system user for the CLI). ``details`` holds what changed, never secrets (no
    passwords, PINs, API keys or webhook signing secrets).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity_type_entity_id", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    actor_role: Mapped[str | None] = mapped_column(String(20))
    via: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(CALL_ID_LENGTH))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- QA evaluations (``voice.evaluations``) ---------------------------------------------------


class Scorecard(Base):
    """An evaluation form admins define; its questions live in versions.

    ``version`` is the current version: the one new evaluations use. Past evaluations keep
    the version they were scored against, so editing a scorecard never changes old scores.
    An inactive scorecard is no longer offered to QA, but its evaluations stay.
    """

    __tablename__ = "scorecards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(ID_LENGTH))


class ScorecardVersion(Base):
    """The sections and questions of one version of a scorecard (frozen once evaluations
    use it): a JSON list of ``{title, questions: [{key, text, kind, min, max, weight,
    allow_na}]}``; ``key`` names a question across versions (answers and CSV columns)."""

    __tablename__ = "scorecard_versions"
    __table_args__ = (UniqueConstraint("scorecard_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scorecard_id: Mapped[int] = mapped_column(Integer, ForeignKey("scorecards.id"))
    version: Mapped[int] = mapped_column(Integer)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(ID_LENGTH))


class Evaluation(Base):
    """QA's score of one call against one scorecard version.

    ``agent`` and ``queue`` are copied from the call when it is first scored, so rollups need
    no joins. ``answers`` maps question keys to ``"yes"``, ``"no"``, a scale number or
    ``"na"``; ``comments`` is a list of ``{at_seconds, text, author}`` anchored in the
    recording; ``score`` is the percentage (``voice.evaluations.scoring``; None when every
    answer was N/A). One evaluation per call, scorecard and evaluator.
    """

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("call_id", "scorecard_id", "evaluator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(
        String(CALL_ID_LENGTH), ForeignKey("calls.id"), index=True)
    scorecard_id: Mapped[int] = mapped_column(Integer, ForeignKey("scorecards.id"), index=True)
    scorecard_version_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("scorecard_versions.id"))
    scorecard_version: Mapped[int] = mapped_column(Integer)
    evaluator: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    agent: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    queue: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    call_started_at: Mapped[datetime | None]
    answers: Mapped[dict[str, Any]]
    comments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(ID_LENGTH))


# --- Flow drafts (``voice.flows.drafts``) ------------------------------------------------------


class FlowDraft(Base):
    """The web editor's unpublished text of one flow (one draft per flow, shared by admins).

    ``content`` is the YAML exactly as typed (comments and formatting included);
    ``base_version`` the published version it was started from (None: not published yet);
    ``revision`` counts saves, so a save based on an older revision is refused instead of
    overwriting another admin's work. Publishing the draft deletes it.
    """

    __tablename__ = "flow_drafts"

    flow_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    base_version: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime]
    saved_by: Mapped[str] = mapped_column(String(ID_LENGTH))
