"""HTTPS to the providers: TLS always verified, 429 / 5xx / provider throttling retried with
exponential backoff and full jitter, honouring Retry-After, bounded in attempts and by the run's
deadline. A wait longer than the run has left becomes `Throttled`: the work stays queued."""

from __future__ import annotations

import email.utils
import os
import random
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from creneau import config
from creneau.sync.ports import Throttled, Unavailable

MAX_ATTEMPTS = 5
BASE_DELAY_S = 0.2
MAX_DELAY_S = 10.0
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def ssl_context() -> ssl.SSLContext:
    """The system's trust store, plus SSL_CERT_FILE / REQUESTS_CA_BUNDLE when set. Never unverified."""
    context = ssl.create_default_context()
    settings = config.settings()
    for path in (settings.ssl_cert_file, settings.requests_ca_bundle):
        if path and os.path.exists(path):
            context.load_verify_locations(cafile=path)
    return context


def retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (email.utils.parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


_jitter = random.SystemRandom()  # from the OS: SnapStart snapshots would share `random`'s state


def backoff_s(attempt: int) -> float:
    return _jitter.uniform(0, min(MAX_DELAY_S, BASE_DELAY_S * 2**attempt))


class Transport:
    """One httpx client per execution environment; `left` tells how long the current run may wait."""

    def __init__(self, is_throttling: Callable[[httpx.Response], bool], sleep=time.sleep) -> None:
        self._trust: tuple | None = None
        self._client: httpx.Client | None = None
        self.is_throttling = is_throttling
        self.sleep = sleep
        self.requests = 0  # counted for the benchmark
        self.left: Callable[[], float] = lambda: 60.0

    @property
    def client(self) -> httpx.Client:
        """Built once per execution environment; again only if the trusted CA files changed."""
        settings = config.settings()
        trust = (settings.ssl_cert_file, settings.requests_ca_bundle)
        if self._client is None or trust != self._trust:
            self._client, self._trust = httpx.Client(verify=ssl_context(), timeout=TIMEOUT), trust
        return self._client

    def request(self, method: str, url: str, **options) -> httpx.Response:
        for attempt in range(MAX_ATTEMPTS):
            throttled = False
            try:
                self.requests += 1
                response = self.client.request(method, url, **options)
            except httpx.TransportError as error:
                wait, why = backoff_s(attempt), f"no answer from the provider ({type(error).__name__})"
            else:
                throttled = response.status_code == 429 or self.is_throttling(response)
                if not throttled and response.status_code < 500:
                    return response
                hinted = retry_after_s(response)
                wait = hinted if hinted is not None else backoff_s(attempt)
                why = f"the provider answered {response.status_code}"
            last = attempt == MAX_ATTEMPTS - 1
            if last or wait > self.left() - 1:
                if throttled:
                    raise Throttled(f"{why}; asked to wait {wait:.0f} s", retry_after=max(wait, 1.0))
                raise Unavailable(f"{why}, still after {attempt + 1} attempts")
            self.sleep(wait)
        raise AssertionError("unreachable")
