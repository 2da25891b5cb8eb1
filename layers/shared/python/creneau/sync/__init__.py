"""Calendar sync, a bounded context of its own: connections, push of appointments as provider events,
pull of busy times into external occupancy blocks.

Providers (Google Calendar, Microsoft Graph) sit behind the small interfaces of `ports`; their
implementations, and every provider library, live in functions/sync only.
"""
