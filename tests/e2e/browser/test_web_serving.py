"""The web pages as `make run` serves them: their URLs, the generated config files, the versioned
widget's cache headers, and CORS from the API for pages on another origin."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from devstack.web import widget_version

pytestmark = pytest.mark.xdist_group("browser")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_info_names_the_pages_and_they_are_served(web_stack):
    web = web_stack["web"]
    assert set(web) >= {"widget_demo", "agenda"}
    assert origin_of(web["agenda"]) != origin_of(web_stack["api_url"])  # another origin, as deployed
    for url in (web["widget_demo"], web["agenda"]):
        reply = httpx.get(url)
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")


def test_config_files_are_written_from_the_stack(web_stack):
    base = origin_of(web_stack["web"]["agenda"])
    config = httpx.get(f"{base}/agenda/config.json").json()
    assert config["api_url"] == web_stack["api_url"]
    cognito = web_stack.get("cognito")
    expected = (
        None if not cognito else {k: cognito[k] for k in ("endpoint", "region", "user_pool_id", "client_id")}
    )
    assert config["cognito"] == expected
    demo = httpx.get(f"{base}/widget/demo-config.json").json()
    assert demo == {"api_url": web_stack["api_url"], "api_key": web_stack["keys"]["public"]}


def test_versioned_widget_is_immutable_and_the_latest_revalidates(web_stack):
    base = origin_of(web_stack["web"]["agenda"])
    version = widget_version()
    pinned = httpx.get(f"{base}/widget/{version}/creneau-widget.js")
    assert pinned.status_code == 200 and "customElements.define" in pinned.text
    assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    latest = httpx.get(f"{base}/widget/creneau-widget.js")
    assert latest.text == pinned.text and latest.headers["cache-control"] == "no-cache"
    assert httpx.get(f"{base}/widget/0.0.0-nope/creneau-widget.js").status_code == 404


def test_api_answers_the_pages_preflight_and_requests_with_cors(web_stack):
    origin = origin_of(web_stack["web"]["widget_demo"])
    preflight = httpx.options(
        f"{web_stack['api_url']}/v1/locks",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key,content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] in ("*", origin)
    allowed = preflight.headers["access-control-allow-headers"].lower().split(",")
    assert {"x-api-key", "content-type", "idempotency-key"} <= set(allowed)
    reply = httpx.get(
        f"{web_stack['api_url']}/v1/settings",
        headers={"Origin": origin, "X-Api-Key": web_stack["keys"]["public"]},
    )
    assert reply.status_code == 200 and reply.headers["access-control-allow-origin"] in ("*", origin)
