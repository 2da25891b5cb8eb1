"""The local stack's side of calendar sync: configuration passed through, KMS aliases, generated secrets."""

from pathlib import Path

from devstack.cli import CONFIGURATION, configuration_env
from devstack.template import Template

ROOT = Path(__file__).resolve().parents[2]


def test_every_configuration_variable_of_api_md_is_passed_through():
    api_md_table = {
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
        "GOOGLE_AUTH_URL",
        "GOOGLE_TOKEN_URL",
        "GOOGLE_API_BASE",
        "MS_CLIENT_ID",
        "MS_CLIENT_SECRET",
        "MS_AUTHORITY",
        "GRAPH_API_BASE",
        "GOOGLE_REVOKE_URL",
        "GOOGLE_USERINFO_URL",
        "OAUTH_REDIRECT_BASE",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "WEBHOOKS_ALLOW_PRIVATE",
    }
    assert set(CONFIGURATION) == api_md_table | {"WEBHOOK_RETRY_DELAYS"}  # and what tests shorten
    environ = {
        "GOOGLE_API_BASE": "https://127.0.0.1:8443/calendar/v3",
        "HOME": "/root",
        "SSL_CERT_FILE": "ca.pem",
    }
    assert configuration_env(environ) == {
        "GOOGLE_API_BASE": "https://127.0.0.1:8443/calendar/v3",
        "SSL_CERT_FILE": "ca.pem",
    }


def test_kms_alias_ref_is_its_name_and_secrets_are_random_per_stack():
    one, two = Template(ROOT / "template.yaml"), Template(ROOT / "template.yaml")
    sync = one.functions()["SyncFunction"].env
    assert sync["TOKENS_KEY_ID"] == "alias/creneau-calendar-tokens" == one.kms_aliases()[0]
    assert not sync["OAUTH_STATE_SECRET"].startswith("{{resolve:") and len(sync["OAUTH_STATE_SECRET"]) >= 32
    assert one.functions()["SyncFunction"].env["OAUTH_STATE_SECRET"] == sync["OAUTH_STATE_SECRET"]
    assert two.functions()["SyncFunction"].env["OAUTH_STATE_SECRET"] != sync["OAUTH_STATE_SECRET"]
    assert (
        sync["GOOGLE_API_BASE"] == "https://www.googleapis.com/calendar/v3"
    )  # docs/calendar-sync.md's default
