"""Fixtures of the calendar sync tests: a test CA, the provider fakes, and the environment that
points the sync function at them (TLS verified through SSL_CERT_FILE / REQUESTS_CA_BUNDLE)."""

from __future__ import annotations

import pytest

from tests.fakes.google import FakeGoogle
from tests.fakes.microsoft import FakeMicrosoft
from tests.fakes.tls import make_certificates


@pytest.fixture(scope="session")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def google_fake(certificates):
    _ca, cert, key = certificates
    fake = FakeGoogle(cert, key).start()
    yield fake
    fake.stop()


@pytest.fixture
def microsoft_fake(certificates):
    _ca, cert, key = certificates
    fake = FakeMicrosoft(cert, key).start()
    yield fake
    fake.stop()
