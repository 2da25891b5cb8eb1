"""Where the use cases of the catalog, customers, users and bookings read and write: one repository per
aggregate and the client their transactions commit through, passed to logic as one small context. A
handler uses the store over DynamoDB; a unit test builds one over in-memory tables (`Store.over`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from creneau import config
from creneau.dal import catalog_records
from creneau.dal.api_keys import ApiKeyRepository
from creneau.dal.appointment_repository import AppointmentRepository
from creneau.dal.calendar_time import CalendarTime
from creneau.dal.connections import ConnectionRepository
from creneau.dal.customer_repository import CustomerRepository
from creneau.dal.external_busy import ExternalBusy
from creneau.dal.lock_repository import LockRepository
from creneau.dal.records import TypedRecords
from creneau.dal.session_repository import SessionRepository
from creneau.dal.settings import SettingsRepository
from creneau.dal.transaction import Transaction
from creneau.dal.user_repository import UserRepository


@dataclass(frozen=True)
class Store:
    settings: SettingsRepository = field(default_factory=SettingsRepository)
    categories: TypedRecords[catalog_records.CategoryRecord] = catalog_records.categories
    services: TypedRecords[catalog_records.ServiceRecord] = catalog_records.services
    calendars: TypedRecords[catalog_records.CalendarRecord] = catalog_records.calendars
    customers: CustomerRepository = field(default_factory=CustomerRepository)
    calendar_time: CalendarTime = field(default_factory=CalendarTime)
    sessions: SessionRepository = field(default_factory=SessionRepository)
    locks: LockRepository = field(default_factory=LockRepository)
    appointments: AppointmentRepository = field(default_factory=AppointmentRepository)
    users: UserRepository = field(default_factory=UserRepository)
    api_keys: ApiKeyRepository = field(default_factory=ApiKeyRepository)
    connections: ConnectionRepository = field(default_factory=ConnectionRepository)
    external_busy: ExternalBusy = field(default_factory=ExternalBusy)
    client: Callable[[], Any] = config.client

    def transaction(self) -> Transaction:
        return Transaction(self.client)

    @classmethod
    def over(
        cls,
        catalog_table: Callable[[], Any],
        bookings_table: Callable[[], Any],
        client: Callable[[], Any],
    ) -> Store:
        """Every repository reading these two tables, its transactions committed through `client`
        (the items they write name the tables as configured)."""
        return cls(
            settings=SettingsRepository(catalog_table),
            categories=catalog_records.category_records(catalog_table),
            services=catalog_records.service_records(catalog_table),
            calendars=catalog_records.calendar_records(catalog_table),
            customers=CustomerRepository(catalog_table),
            calendar_time=CalendarTime(bookings_table),
            sessions=SessionRepository(bookings_table),
            locks=LockRepository(bookings_table),
            appointments=AppointmentRepository(bookings_table),
            users=UserRepository(catalog_table),
            api_keys=ApiKeyRepository(catalog_table, client=client),
            connections=ConnectionRepository(catalog_table),
            external_busy=ExternalBusy(bookings_table),
            client=client,
        )


DYNAMODB = Store()  # what the handlers pass: the deployment's tables (config), resolved per call
