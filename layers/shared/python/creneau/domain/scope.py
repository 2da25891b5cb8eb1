"""Which of a tenant's calendars a caller may act on."""

CalendarScope = frozenset[str] | None  # the calendar ids of an agent limited to some; None: every one
