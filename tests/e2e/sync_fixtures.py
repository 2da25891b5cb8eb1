"""A local stack pointed at the provider fakes (HTTPS, test CA), for the calendar sync e2e tests."""

from __future__ import annotations

import os
import ssl
import uuid
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e.tenants import create_tenant
from tests.fakes.google import FakeGoogle
from tests.fakes.microsoft import FakeMicrosoft
from tests.fakes.tls import make_certificates

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@contextmanager
def environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class SyncStack:
    def __init__(self, running, google: FakeGoogle, microsoft: FakeMicrosoft, ca: str) -> None:
        self.running, self.google, self.microsoft, self.ca = running, google, microsoft, ca
        self.info = running.info
        self.clients: list[httpx.Client] = []

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"X-Api-Key": key} if key else {}
        self.clients.append(httpx.Client(base_url=self.info["api_url"], headers=headers, timeout=60))
        return self.clients[-1]

    def new_tenant(self, name: str | None = None) -> dict:
        return create_tenant(self.info["env"], name or f"Sync tenant {uuid.uuid4().hex[:8]}")

    def consent(self, authorization_url: str) -> httpx.Response:
        """What the person's browser does: the provider's page (consent given), then our callback."""
        with httpx.Client(verify=ssl.create_default_context(cafile=self.ca), timeout=30) as browser:
            at_provider = browser.get(authorization_url)
            assert at_provider.status_code == 302, at_provider.text
            callback = at_provider.headers["location"]
        assert callback.startswith(self.info["api_url"]), callback
        return httpx.get(callback, timeout=60)

    def callback_of(self, authorization_url: str) -> str:
        with httpx.Client(verify=ssl.create_default_context(cafile=self.ca), timeout=30) as browser:
            return browser.get(authorization_url).headers["location"]


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


@pytest.fixture(scope="module", name="sync_stack")
def sync_stack_fixture(start_stack, tmp_path_factory):
    ca, cert, key = make_certificates(tmp_path_factory.mktemp("tls"))
    google = FakeGoogle(cert, key).start()
    microsoft = FakeMicrosoft(cert, key).start()
    env = {**google.env(), **microsoft.env(), "SSL_CERT_FILE": str(ca), "REQUESTS_CA_BUNDLE": str(ca)}
    with environment(env):
        # Without the change-event loop: each test decides when the provider is called (POST /sync).
        # The queue path (event -> SyncQueue -> push) is proven in-process in tests/sync.
        running = start_stack("--no-events")
    stack = SyncStack(running, google, microsoft, str(ca))
    yield stack
    for client in stack.clients:
        client.close()
    running.stop()
    google.stop()
    microsoft.stop()
