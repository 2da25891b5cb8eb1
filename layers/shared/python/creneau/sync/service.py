"""Calendar sync use cases: connections and their OAuth flows, push, pull, the scheduled run.

Everything outside is injected: the OAuth flows and calendar providers (functions/sync builds them
over Google and Microsoft), the clock. Local appointments are only ever read here: a provider that
fails, throttles or loses our events never changes or deletes one.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from creneau.clock import Clock, iso
from creneau.dal import session_repository
from creneau.dal.connections import ConnectionRecord
from creneau.dal.store import Store
from creneau.errors import (
    Conflict,
    ConnectionNotReady,
    OAuthRefused,
    ProviderNotConfigured,
    ValidationFailed,
)
from creneau.models.sync import ConnectionIn, ConnectionOptions, OptionsPatch
from creneau.security import new_id
from creneau.sync import busy as busy_pieces
from creneau.sync import render, state, vault
from creneau.sync.ports import (
    CalendarProvider,
    GrantRevoked,
    OAuthFlow,
    ProviderError,
    Rejected,
    Throttled,
)

logger = logging.getLogger(__name__)
MAX_PULL_DAYS = 365
RESYNC_MARGIN = timedelta(days=7)  # a full pull again when the window would outgrow the last one
PAST_REACH = timedelta(days=1)  # appointments that ended this recently are still kept in sync


@dataclass
class Report:
    pushed: int = 0
    updated: int = 0
    deleted: int = 0
    busy_blocks: int = 0
    pending: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "pushed": self.pushed,
            "updated": self.updated,
            "deleted": self.deleted,
            "busy_blocks": self.busy_blocks,
            "pending": self.pending,
            "errors": self.errors,
        }


class Deadline:
    def __init__(self, seconds: float):
        self._until = time.monotonic() + seconds

    def left(self) -> float:
        return self._until - time.monotonic()


Metric = Callable[[str, int], None]


def _no_metric(name: str, value: int) -> None:
    return None


class SyncService:
    def __init__(
        self,
        flows: dict[str, OAuthFlow],
        provider_for: Callable[[ConnectionRecord, Deadline], CalendarProvider],
        clock: Clock,
        store: Store,
        metric: Metric = _no_metric,
    ):
        self.flows, self.provider_for, self.clock, self.metric = flows, provider_for, clock, metric
        self.store = store  # connections and busy blocks written; the catalog and appointments only read

    # ---- connections -----------------------------------------------------------------------------

    def create(self, tenant_id: str, calendar_id: str, request: ConnectionIn, redirect_base: str) -> dict:
        self.store.calendars.get(tenant_id, calendar_id)  # 404 calendar-not-found first
        flow = self._flow(request.provider)
        connection = ConnectionRecord(
            id=new_id(),
            calendar_id=calendar_id,
            provider=request.provider,
            status="pending",
            options=request.options.model_dump(),
            tenant_id=tenant_id,
        )
        self.store.connections.create(connection)
        url = self._authorize(connection, flow, redirect_base)
        return {
            "id": connection.id,
            "provider": connection.provider,
            "status": "pending",
            "authorization_url": url,
        }

    def _flow(self, provider: str) -> OAuthFlow:
        flow = self.flows.get(provider)
        if flow is None or not flow.configured:
            prefix = "GOOGLE" if provider == "google" else "MS"
            needed = f"{prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET"
            raise ProviderNotConfigured(f"{provider} connections need {needed} in the configuration")
        return flow

    def _authorize(self, connection: ConnectionRecord, flow: OAuthFlow, redirect_base: str) -> str:
        redirect_uri = f"{redirect_base.rstrip('/')}/v1/oauth/{connection.provider}/callback"
        nonce, signed = state.new_state()
        url, pending = flow.start(redirect_uri, signed)
        record = {
            "tenant_id": connection.tenant_id,
            "calendar_id": connection.calendar_id,
            "connection_id": connection.id,
            "provider": connection.provider,
            "redirect_uri": redirect_uri,
            "pending": pending,
        }
        now = self.clock.now()
        self.store.connections.put_state(nonce, record, int(now.timestamp()) + state.STATE_TTL_SECONDS)
        return url

    def callback(self, provider: str, query: dict[str, str]) -> dict:
        """Finish a consent. Refused (400) unless the state is ours, unused and fresh, and names a
        connection of this provider that still exists; the code is exchanged only then."""
        nonce = state.verified_nonce(query.get("state"))
        if nonce is None:
            raise OAuthRefused("this link is not one we issued (its state is missing or forged)")
        record = self.store.connections.take_state(nonce, self.clock.now())
        if record is None:
            raise OAuthRefused("this link was already used or has expired; start the connection again")
        if record["provider"] != provider:
            raise OAuthRefused("this link belongs to another provider")
        connection = self.store.connections.find(record["tenant_id"], record["calendar_id"])
        if connection is None or connection.id != record["connection_id"]:
            raise OAuthRefused("this connection no longer exists")
        if query.get("error"):
            reason = query.get("error_description") or query["error"]
            raise OAuthRefused(f"the consent was refused at {provider}: {reason}")
        if not query.get("code"):
            raise OAuthRefused("the provider sent no authorization code")
        try:
            grant = self._flow(provider).finish(record["redirect_uri"], record["pending"], query)
        except ProviderError as error:
            raise OAuthRefused(f"{provider} did not accept the authorization: {error.message}") from error
        sealed = vault.seal(grant.tokens, record["tenant_id"], connection.id)
        connection = self._save_tokens_forced(connection, sealed)
        connected = {"status": "connected", "account": grant.account, "last_error": None, "sync_state": None}
        return self._update(connection, **connected).public()

    def _save_tokens_forced(self, connection: ConnectionRecord, sealed: bytes) -> ConnectionRecord:
        for _ in range(5):
            try:
                return self.store.connections.save_tokens(connection, sealed)
            except Conflict:
                connection = self.store.connections.reread(connection)
        raise Conflict("the connection is being changed by another request; try again")

    def _update(self, connection: ConnectionRecord, **changes: Any) -> ConnectionRecord:
        """Apply `changes` to the latest version of the connection (re-read on a concurrent edit)."""
        for _ in range(10):
            try:
                return self.store.connections.replace(connection.changed(**changes))
            except Conflict:
                connection = self.store.connections.reread(connection)
        raise Conflict("the connection is being changed by another request; try again")

    def list(self, tenant_id: str, calendar_id: str) -> dict:
        self.store.calendars.get(tenant_id, calendar_id)
        found = self.store.connections.find(tenant_id, calendar_id)
        return {"items": [found.public()] if found else [], "next_cursor": None}

    def get(self, tenant_id: str, calendar_id: str, connection_id: str) -> dict:
        return self.store.connections.get(tenant_id, calendar_id, connection_id).public()

    def patch(self, tenant_id: str, calendar_id: str, connection_id: str, options: OptionsPatch) -> dict:
        connection = self.store.connections.get(tenant_id, calendar_id, connection_id)
        merged = ConnectionOptions.model_validate({**connection.options, **options.changes()}).model_dump()
        return self._update(connection, options=merged).public()

    def reconnect(self, tenant_id: str, calendar_id: str, connection_id: str, redirect_base: str) -> dict:
        connection = self.store.connections.get(tenant_id, calendar_id, connection_id)
        url = self._authorize(connection, self._flow(connection.provider), redirect_base)
        shown = {"id": connection.id, "provider": connection.provider, "status": connection.status}
        return {**shown, "authorization_url": url}

    def delete(self, tenant_id: str, calendar_id: str, connection_id: str, remove_events: bool) -> None:
        connection = self.store.connections.get(tenant_id, calendar_id, connection_id)
        calendar = self.store.calendars.get(tenant_id, calendar_id)
        if connection.tokens:
            provider = self.provider_for(connection, Deadline(20))
            if remove_events:
                for appointment_id, pushed in self.store.connections.pushed_all(
                    tenant_id, connection.id
                ).items():
                    if pushed.get("exists"):
                        try:
                            provider.delete(appointment_id, pushed.get("remote_id"), notify=False)
                        except ProviderError:
                            break  # best effort: the events stay, the connection still goes
            with contextlib.suppress(ProviderError):  # best effort (docs/calendar-sync.md)
                provider.revoke()
        self.store.external_busy.drop(
            tenant_id, calendar_id, connection.id, calendar.unit_minutes, self.clock.now()
        )
        self.store.connections.drop_connection_records(tenant_id, connection.id)
        self.store.connections.delete(tenant_id, calendar_id)

    # ---- changes in ------------------------------------------------------------------------------

    def enqueue(self, event: dict[str, Any]) -> list[ConnectionRecord]:
        """An appointment change event (docs/events.md): queue it for every connection it concerns
        (the calendar it is on, and the one it left); returns those connections."""
        tenant_id = event["tenant_id"]
        appointment = event["appointment"]
        calendar_ids = {appointment["calendar_id"]}
        if event.get("previous"):
            calendar_ids.add(event["previous"]["calendar_id"])
        concerned = []
        for calendar_id in sorted(calendar_ids):
            connection = self.store.connections.find(tenant_id, calendar_id)
            if connection is None or connection.status == "disconnected":
                continue
            subject = appointment.get("session_id") or appointment["id"]  # a group session: one event
            self.store.connections.enqueue(
                tenant_id, connection.id, subject, event["id"], iso(self.clock.now())
            )
            concerned.append(connection)
        return concerned

    # ---- a run ---------------------------------------------------------------------------------------

    def sync_calendar(self, tenant_id: str, calendar_id: str, seconds: float) -> dict:
        """POST /v1/calendars/{id}/sync: push everything pending, reconcile, pull busy times."""
        connection = self.store.connections.find(tenant_id, calendar_id)
        if connection is None:
            raise ConnectionNotReady("this calendar has no connection")
        if connection.status != "connected":
            raise ConnectionNotReady(f"the connection is {connection.status}; connect it first")
        return self.run(connection, Deadline(seconds), reconcile=True, pull=True).view()

    def push_queued(self, connection: ConnectionRecord, seconds: float) -> Report:
        """After an event: push what is queued for the connection, nothing else."""
        return self.run(connection, Deadline(seconds), reconcile=False, pull=False)

    def scheduled(self, seconds: float) -> dict[str, int]:
        """The 5-minute schedule: every connected connection gets a full run in turn."""
        deadline = Deadline(seconds)
        counts = {"connections": 0, "errors": 0}
        for connection in self.store.connections.all_connections():
            if deadline.left() <= 1:
                break
            if connection.status != "connected":
                continue
            share = Deadline(min(deadline.left(), 60))
            counts["connections"] += 1
            try:
                report = self.run(connection, share, reconcile=True, pull=True)
            except Exception:  # one connection's failure must not starve the others
                logger.exception("sync run failed", extra={"connection_id": connection.id})
                counts["errors"] += 1
                continue
            counts["errors"] += len(report.errors)
        return counts

    def run(self, connection: ConnectionRecord, deadline: Deadline, reconcile: bool, pull: bool) -> Report:
        tenant_id = connection.tenant_id
        report = Report()
        now = self.clock.now()
        queued = self.store.connections.outbox(tenant_id, connection.id)
        if connection.status != "connected" or _throttled(connection, now):
            report.pending = len(queued)
            return report
        run = _Run(self, connection, deadline, report, now)
        error: ProviderError | None = None
        try:
            run.push(queued, reconcile)
            if pull and connection.options["block_busy_times"]:
                run.pull()
        except GrantRevoked as revoked:
            error = revoked
            self.metric("SyncNeedsReconnect", 1)
        except ProviderError as failure:  # throttled or down: everything stays queued
            error = failure
        report.pending = len(self.store.connections.outbox(tenant_id, connection.id))
        changes: dict[str, Any] = {"last_sync_at": iso(self.clock.now()), "sync_state": run.sync_state}
        if error is not None:
            report.errors.append({"code": error.code, "message": error.message})
            changes["last_error"] = {"code": error.code, "message": error.message, "at": iso(now)}
            self.metric("SyncErrors", 1)
            if isinstance(error, GrantRevoked):
                changes["status"] = "needs_reconnect"
            if isinstance(error, Throttled):
                changes["throttled_until"] = iso(self.clock.now() + timedelta(seconds=error.retry_after))
        elif not report.errors:
            changes["last_error"] = None
        self._update(self.store.connections.reread(connection), **changes)
        self.metric("SyncPushed", report.pushed + report.updated + report.deleted)
        return report


def _throttled(connection: ConnectionRecord, now: datetime) -> bool:
    until = connection.throttled_until
    return bool(until) and datetime.fromisoformat(until) > now


class _Run:
    """One connection's run: the provider, the catalog it needs, and what it did."""

    def __init__(
        self,
        service: SyncService,
        connection: ConnectionRecord,
        deadline: Deadline,
        report: Report,
        now: datetime,
    ):
        self.service, self.connection, self.deadline = service, connection, deadline
        self.report, self.now = report, now
        self.tenant_id = connection.tenant_id
        self.store = service.store
        self.calendar = self.store.calendars.get(self.tenant_id, connection.calendar_id)
        self.calendar_view = self.calendar.public()  # what events render from, as the API shows it
        self.locale = self.store.settings.get(self.tenant_id).locale
        self.options = connection.options
        self.sync_state = connection.sync_state
        self._provider: CalendarProvider | None = None
        self._services: dict[str, dict] = {}  # as events render them

    @property
    def provider(self) -> CalendarProvider:
        if self._provider is None:
            self._provider = self.service.provider_for(self.connection, self.deadline)
        return self._provider

    # ---- push ----------------------------------------------------------------------------------------

    def push(self, queued: dict[str, str], reconcile: bool) -> None:
        pushed = self.store.connections.pushed_all(self.tenant_id, self.connection.id)
        known: dict[str, dict | None] = {}
        if reconcile:
            for appointment in self._upcoming():
                if appointment.get("session_id"):
                    known.setdefault(appointment["session_id"], None)  # read as a whole below
                else:
                    known[appointment["id"]] = appointment
            cutoff = iso(self.now - PAST_REACH)
            for appointment_id, entry in pushed.items():
                if entry.get("exists") and entry.get("end", "9") > cutoff:
                    known.setdefault(appointment_id, None)  # moved elsewhere? read it to know
        todo = list(queued) + [a for a in known if a not in queued]
        for appointment_id in todo:
            if self.deadline.left() <= 0.5:
                return
            appointment = known.get(appointment_id) or self._subject(appointment_id)
            try:
                self._push_one(appointment_id, appointment, pushed.get(appointment_id))
            except Rejected as refused:
                self.report.errors.append(
                    {"appointment_id": appointment_id, "code": refused.code, "message": refused.message}
                )
            if appointment_id in queued:
                self.store.connections.dequeue(
                    self.tenant_id, self.connection.id, appointment_id, queued[appointment_id]
                )

    def _upcoming(self) -> list[dict]:
        start_from = iso(self.now - PAST_REACH - timedelta(days=1))
        start_before = iso(self.now + timedelta(days=self.calendar.horizon_days + 1))
        found = self.store.appointments.starting_between(self.tenant_id, start_from, start_before)
        return [a.to_doc() for a in found if a.calendar_id == self.calendar.id]

    def _subject(self, key: str) -> dict | None:
        """What one provider event shows: an appointment, or a group session with its attendees."""
        if not key.startswith(session_repository.SESSION_ID_PREFIX):
            return self._appointment(key)
        parsed = session_repository.parse_session_id(key)
        found = self.store.sessions.find(self.tenant_id, *parsed) if parsed else None
        if found is None or not found.is_live(self.now):
            return None
        attendees = [a for a in map(self._appointment, sorted(found.bookings)) if a is not None]
        return {"session_id": key, "calendar_id": found.calendar_id, "attendees": attendees}

    def _appointment(self, appointment_id: str) -> dict | None:
        found = self.store.appointments.find(self.tenant_id, appointment_id)
        return found.to_doc() if found else None

    def _services_of(self, appointment: dict) -> list[dict]:
        out = []
        for service_id in appointment["service_ids"]:
            if service_id not in self._services:
                found = self.store.services.find(self.tenant_id, service_id)
                self._services[service_id] = found.public() if found else {"id": service_id, "name": "?"}
            out.append(self._services[service_id])
        return out

    def _desired(self, appointment: dict | None):
        if appointment is None or appointment["calendar_id"] != self.calendar.id:
            return None
        if "attendees" in appointment:
            shown = [a for a in appointment["attendees"] if render.shown(a, self.options)]
            if not shown:
                return None
            return render.session_spec(
                appointment["session_id"],
                shown,
                self._services_of(shown[0]),
                self.calendar_view,
                self.locale,
                self.options,
                self.connection.provider,
            )
        if not render.shown(appointment, self.options):
            return None
        services_ = self._services_of(appointment)
        return render.event_spec(
            appointment, services_, self.calendar_view, self.locale, self.options, self.connection.provider
        )

    def _push_one(self, appointment_id: str, appointment: dict | None, entry: dict | None) -> None:
        spec = self._desired(appointment)
        wanted = render.digest(spec)
        if entry is not None and entry.get("digest") == wanted:
            return
        record = {"appointment_id": appointment_id, "remote_id": (entry or {}).get("remote_id")}
        if spec is None:
            if entry is not None and entry.get("exists"):
                notify = self.options["send_invitations"] and self.options["add_attendees"]
                self.provider.delete(appointment_id, record["remote_id"], notify)
                self.report.deleted += 1
            self.store.connections.put_pushed(
                self.tenant_id, self.connection.id, {**record, "exists": False, "digest": wanted}
            )
            return
        if entry is None:  # written before the call: a crash after it still leaves a trace to delete
            self.store.connections.put_pushed(
                self.tenant_id,
                self.connection.id,
                {**record, "exists": True, "digest": "writing", "end": iso(spec.end)},
            )
        remote_id, created = self.provider.upsert(spec, record["remote_id"])
        if created:
            self.report.pushed += 1
        else:
            self.report.updated += 1
        self.store.connections.put_pushed(
            self.tenant_id,
            self.connection.id,
            {
                "appointment_id": appointment_id,
                "remote_id": remote_id,
                "exists": True,
                "digest": wanted,
                "end": iso(spec.end),
            },
        )

    # ---- pull ----------------------------------------------------------------------------------------

    def pull(self) -> None:
        days = min(self.calendar.horizon_days, MAX_PULL_DAYS)
        window = (self.now, self.now + timedelta(days=days))
        prior = self.sync_state or None
        if prior and datetime.fromisoformat(prior["until"]) < window[1]:
            prior = None  # the window outgrew the last full pull: pull it all again
        asked = {**(prior or {}), "timezone": self.calendar.timezone}  # all-day events need a zone
        listing = self.provider.busy(window[0] - PAST_REACH, window[1] + RESYNC_MARGIN, asked)
        old = self.store.external_busy.snapshot(self.tenant_id, self.connection.id)
        found = {b.id: (b.start, b.end) for b in listing.busy}
        changed = {k: v for k, v in found.items() if old.get(k) != v}
        if listing.full:
            removed, current = set(old) - found.keys(), found
        else:
            removed = set(listing.removed) - found.keys()
            current = {**{k: v for k, v in old.items() if k not in removed}, **changed}
        self.store.external_busy.save_snapshot(self.tenant_id, self.connection.id, changed, removed)
        wanted = busy_pieces.pieces(current.values(), self.calendar.unit_minutes, window)
        existing = self.store.external_busy.blocks(
            self.tenant_id, self.calendar.id, self.connection.id, window[0], self.calendar.unit_minutes
        )
        self.report.busy_blocks = self.store.external_busy.replace_blocks(
            self.tenant_id, self.calendar.id, self.connection.id, existing, wanted
        )
        self.sync_state = (
            {**listing.state, "until": iso(window[1] + RESYNC_MARGIN)} if listing.state else None
        )


def check_remove_events(value: str | None) -> bool:
    if value in (None, "", "false"):
        return False
    if value == "true":
        return True
    raise ValidationFailed.field("remove_events", "must be true or false")
