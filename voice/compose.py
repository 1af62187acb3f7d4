"""Composition root: build the service objects of one process from its :class:`Settings`.

Owns the wiring (settings -> engine -> session factory -> repositories -> flow catalog).
Every process entry point (``voice.app.create_app``, each CLI command, later the SIP and
task workers) calls :func:`build_services` exactly once and closes the result when done;
nothing else creates engines or clients, and nothing here is global.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from voice.acd.desktop import AgentDesktop
from voice.acd.service import Acd
from voice.audit.log import AuditLog
from voice.auth.attempts import AttemptRepository
from voice.auth.guard import GuardedVerifier, LockoutPolicy
from voice.auth.hashing import SecretHasher
from voice.auth.verifier import Verifier
from voice.calls.repository import CallRepository
from voice.calls.service import CallService
from voice.calls.sessions import SessionStore
from voice.customers.repository import CustomerRepository
from voice.customers.service import CustomerService
from voice.evaluations.store import EvaluationStore
from voice.events import OutboxEvents
from voice.flows.catalog import FlowCatalog
from voice.flows.repository import FlowRepository
from voice.lookups import HttpLookupService
from voice.recordings.crypto import RecordingCipher
from voice.recordings.repository import RecordingRepository
from voice.recordings.retention import RetentionPolicy
from voice.recordings.service import RecordingService, make_download_client
from voice.secretbox import SecretBox, load_or_create_key
from voice.settings import Settings
from voice.store.db import create_db_engine, session_factory
from voice.tasks.jobs import TranscriptionJobs
from voice.tasks.queue import TaskQueue, make_huey
from voice.transcripts.store import TranscriptStore
from voice.users.repository import UserRepository
from voice.users.service import UserService
from webhooks.delivery import Deliverer
from webhooks.endpoints import EndpointRepository
from webhooks.outbox import Outbox
from webhooks.sender import WebhookSender

if TYPE_CHECKING:
    from voice.twilio.twiml import RecordingHook


@dataclass
class Services:
    """Everything a process needs to do its work, built once from settings."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    flow_repository: FlowRepository
    call_repository: CallRepository
    flow_catalog: FlowCatalog
    call_service: CallService
    clock: Callable[[], datetime]
    http: httpx.Client
    #: carries out whole-call recording actions for the Twilio adapter (None: not configured)
    recording_hook: RecordingHook | None = None
    #: files finished recordings (SIP: recorded here; Twilio: downloaded with credentials)
    recording_service: RecordingService | None = None
    #: staff users: passwords, API keys and roles (``voice users``, ``voice.web.access``)
    user_service: UserService | None = None
    #: customers for admins (import, add, show, unlock)
    customer_service: CustomerService | None = None
    #: verifies callers (customers table or CRM) with lockout and audit
    verifier: Verifier | None = None
    #: the task queue (transcription jobs, retention purge); consumed by ``voice worker``
    task_queue: TaskQueue | None = None
    #: transcripts: stored, searched
    transcript_store: TranscriptStore | None = None
    #: outbound webhook endpoints (admins: ``voice webhooks``, ``/api/webhooks``)
    webhook_endpoints: EndpointRepository | None = None
    #: producers add events here, inside their own transaction (``webhooks.outbox``)
    outbox: Outbox | None = None
    #: sends, lists and replays webhook deliveries (``webhooks.delivery``)
    webhook_deliverer: Deliverer | None = None
    #: first attempts right after commit (used by ``TaskQueue.webhook_queued``)
    webhook_sender: WebhookSender | None = None
    #: the call distributor: agents, queues, assignment, hand-off, reconciliation
    acd: Acd | None = None
    #: what agents' desktops show (state, screen pop, caller history)
    agent_desktop: AgentDesktop | None = None
    #: who changed what (flows, queues, users, agents, schedules, webhooks, customers)
    audit: AuditLog | None = None
    #: QA scorecards and evaluations (``/admin/scorecards``, ``/qa/evaluations``)
    evaluations: EvaluationStore | None = None

    def close(self) -> None:
        """Release connections and threads; the object must not be used afterwards."""
        self.call_service.close()
        if self.webhook_sender is not None:
            self.webhook_sender.close()
        self.http.close()
        if self.recording_service is not None:
            self.recording_service.close()
        self.engine.dispose()

    def __enter__(self) -> Services:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def build_services(settings: Settings,
                   clock: Callable[[], datetime] | None = None) -> Services:
    """Create the engine, session factory and repositories for ``settings``.

    Does not touch the schema; run ``voice.store.migrate.upgrade`` first (``voice up`` and
    ``voice db upgrade`` do).
    """
    engine = create_db_engine(settings.database_url)
    sessions = session_factory(engine)
    flow_repository = FlowRepository(sessions)
    calls = CallRepository(sessions)
    catalog = FlowCatalog(flows_dir=settings.flows_dir, schedules_file=settings.schedules_file,
                          repository=flow_repository)
    http = httpx.Client()
    clock = clock or (lambda: datetime.now(UTC))
    key = load_or_create_key(settings.secret_key, settings.data_dir)
    box = SecretBox(key)
    deliverer = Deliverer(sessions, box, http, clock)  # 10 s timeout per request
    sender = WebhookSender(deliverer)
    hasher = SecretHasher(settings.auth_hash_time_cost, settings.auth_hash_memory_kib)
    attempts = AttemptRepository(sessions, key)
    customers = CustomerRepository(sessions)
    policy = LockoutPolicy(attempts=settings.auth_lockout_attempts,
                           window=timedelta(minutes=settings.auth_lockout_minutes),
                           caller_attempts=settings.auth_caller_attempts)
    verifier = GuardedVerifier(_inner_verifier(settings, customers, hasher, http), attempts,
                               hasher, policy, clock)
    call_service = CallService(
        catalog=catalog, calls=calls, store=SessionStore(sessions, box), verifier=verifier,
        lookups=HttpLookupService(http), lookup_budget=settings.lookup_budget, clock=clock,
        default_flow=settings.twilio_default_flow, handle_time=settings.queue_handle_time)
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=sessions,
        flow_repository=flow_repository,
        call_repository=calls,
        flow_catalog=catalog,
        call_service=call_service,
        clock=clock,
        http=http,
        customer_service=CustomerService(customers, attempts, hasher, policy, clock),
        verifier=verifier,
        task_queue=TaskQueue(make_huey(settings), TranscriptionJobs(sessions), clock,
                             deliverer=deliverer, sender=sender),
        transcript_store=TranscriptStore(sessions),
        webhook_endpoints=EndpointRepository(sessions, box, clock),
        outbox=Outbox(),
        webhook_deliverer=deliverer,
        webhook_sender=sender,
    )
    services.user_service = UserService(UserRepository(sessions), hasher, clock)
    queue = services.task_queue
    assert queue is not None and services.outbox is not None
    events = OutboxEvents(services.outbox, queue.webhook_queued, settings.public_url)
    calls.events = events  # call.started / call.ended with the call log's own writes
    services.acd = Acd(sessions, services.user_service, clock, events=events,
                       default_handle_time=settings.queue_handle_time)
    call_service.acd = services.acd
    queue.reconcile = services.acd.reconciler.run
    services.agent_desktop = AgentDesktop(sessions, clock)
    services.audit = AuditLog(sessions, clock)
    services.evaluations = EvaluationStore(sessions, clock)
    twilio = not settings.missing_twilio_credentials()
    recordings = RecordingRepository(sessions)
    recordings.events = events  # recording.ready with each filed recording
    assert services.transcript_store is not None
    services.transcript_store.events = events  # transcript.ready with each transcript
    services.recording_service = RecordingService(
        recordings, settings.recordings_dir,
        make_download_client(settings) if twilio else None,
        cipher=RecordingCipher(settings.recordings_key) if settings.recordings_key else None,
        retention=RetentionPolicy(settings.retention_days, flow_repository), clock=clock)
    services.recording_service.on_filed = lambda info: queue.recording_filed(info.id)
    if twilio:
        from voice.twilio.recording import TwilioRecordingHook
        from voice.twilio.rest import TwilioRecordingControl, make_twilio_client

        services.recording_hook = TwilioRecordingHook(
            TwilioRecordingControl(make_twilio_client(settings)), settings.public_url)
        # the Twilio agent hand-off: a queued caller offered to an agent leaves hold at once
        from voice.twilio.agents import TwilioOfferHook
        from voice.twilio.rest import TwilioCallControl

        services.acd.distributor.on_offer.append(TwilioOfferHook(
            TwilioCallControl(make_twilio_client(settings)), settings.public_url, calls))
    return services


def _inner_verifier(settings: Settings, customers: CustomerRepository, hasher: SecretHasher,
                    http: httpx.Client) -> Verifier:
    """The customers table, or the CRM when ``VOICE_AUTH_VERIFIER=http``."""
    if settings.auth_verifier == "http" and settings.auth_http_url:
        from voice.auth.http_verifier import HttpVerifier

        return HttpVerifier(http, settings.auth_http_url, settings.auth_http_token)
    from voice.auth.store_verifier import StoreVerifier

    return StoreVerifier(customers, hasher)
