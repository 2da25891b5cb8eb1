"""The demo tenant: a town hall with two categories, four services, three calendars and three keys.

The tenant itself comes from creneau (there is no API to create one); everything else goes through the
HTTP API with the admin key, exactly as a real admin would configure it.
"""

from __future__ import annotations

import httpx

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def week(**days: list[tuple[str, str]]) -> dict:
    """weekly_hours with every day present: week(mon=[("09:00", "12:00")]) -> {"mon": [...], "sun": []}"""
    return {d: [{"start": s, "end": e} for s, e in days.get(d, [])] for d in WEEKDAYS}


MORNING_AND_AFTERNOON = [("09:00", "12:00"), ("13:30", "17:30")]  # closed for lunch
URBANISME_HOURS = [("08:30", "12:30"), ("14:00", "18:00")]

# "ref" names a category or a service within this file; the API gives it its id.
DEMO = {
    "settings": {"name": "Mairie de Démo", "timezone": "Europe/Paris", "locale": "fr"},
    "categories": [
        {"ref": "etat-civil", "name": "État civil", "position": 1},
        {"ref": "urbanisme", "name": "Urbanisme et salles", "position": 2},
    ],
    "services": [
        {
            "ref": "passeport",
            "category": "etat-civil",
            "name": "Passeport : dépôt du dossier",
            "description": "Apportez votre pré-demande ANTS, une photo d'identité et un justificatif.",
            "duration_minutes": 20,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 5,
        },
        {
            "ref": "cni",
            "category": "etat-civil",
            "name": "Carte nationale d'identité",
            "description": "Dépôt ou retrait d'une carte d'identité.",
            "duration_minutes": 30,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 10,
            "fields": [
                {
                    "key": "ants_number",
                    "label": "Numéro de pré-demande ANTS",
                    "type": "text",
                    "required": True,
                },
                {"key": "people", "label": "Nombre de personnes", "type": "number", "required": True},
            ],
        },
        {
            "ref": "urbanisme",
            "category": "urbanisme",
            "name": "Rendez-vous urbanisme",
            "description": "Permis de construire, déclaration préalable : venez avec vos plans.",
            "duration_minutes": 45,
            "buffer_before_minutes": 5,
            "buffer_after_minutes": 10,
        },
        {
            "ref": "salle",
            "category": "urbanisme",
            "name": "Salle des fêtes : visite et réservation",
            "description": "Visite de la salle, état des lieux et signature de la convention.",
            "duration_minutes": 90,
            "buffer_before_minutes": 15,
            "buffer_after_minutes": 15,
            "price": {"amount": 2500, "currency": "EUR"},
            "fields": [
                {
                    "key": "event_type",
                    "label": "Type d'événement",
                    "type": "choice",
                    "required": True,
                    "options": ["Mariage", "Anniversaire", "Association"],
                },
                {"key": "guests", "label": "Nombre d'invités", "type": "number", "required": False},
                {"key": "resident", "label": "Habitant de la commune", "type": "boolean", "required": False},
            ],
        },
    ],
    "calendars": [
        {
            "name": "Guichet état civil",
            "kind": "person",
            "services": ["passeport", "cni"],
            "weekly_hours": week(**{d: MORNING_AND_AFTERNOON for d in ("mon", "tue", "wed", "thu", "fri")}),
            "slot_step_minutes": 15,
        },
        {
            "name": "M. Martin, urbanisme",
            "kind": "person",
            "services": ["urbanisme", "cni"],
            "weekly_hours": week(
                **{d: URBANISME_HOURS for d in ("mon", "tue", "thu", "fri")}
            ),  # not Wednesdays
            "slot_step_minutes": 30,
        },
        {
            "name": "Salle des fêtes",
            "kind": "resource",
            "services": ["salle"],
            "weekly_hours": week(
                **{d: [("09:00", "19:00")] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
            ),
            "slot_step_minutes": 30,
        },
    ],
    "api_keys": [
        {"role": "agent", "name": "Back-office (démo)"},
        {"role": "public", "name": "Widget du site (démo)"},
    ],
}
CALENDAR_DEFAULTS = {"timezone": "Europe/Paris", "unit_minutes": 5}
# People who sign in (Cognito). Both see every calendar.
DEMO_USERS = {
    "agent": {"email": "agent@demo.creneau.test", "name": "Agent Démo", "role": "agent"},
    "admin": {"email": "admin@demo.creneau.test", "name": "Admin Démo", "role": "admin"},
}


class SeedError(Exception):
    pass


def _call(client: httpx.Client, method: str, path: str, body: dict) -> dict:
    response = client.request(method, path, json=body)
    if not response.is_success:
        raise SeedError(f"{method} {path} -> {response.status_code}\n{response.text}")
    return response.json()


def configure(api_url: str, admin_key: str) -> dict[str, str]:
    """Configure a fresh tenant through the API; returns the new keys by role."""
    category_ids: dict[str, str] = {}
    service_ids: dict[str, str] = {}
    with httpx.Client(base_url=api_url, headers={"X-Api-Key": admin_key}, timeout=60) as client:
        _call(client, "PATCH", "/v1/settings", DEMO["settings"])
        for category in DEMO["categories"]:
            body = {k: v for k, v in category.items() if k != "ref"}
            category_ids[category["ref"]] = _call(client, "POST", "/v1/service-categories", body)["id"]
        for service in DEMO["services"]:
            body = {k: v for k, v in service.items() if k not in ("ref", "category")}
            body["category_id"] = category_ids[service["category"]]
            service_ids[service["ref"]] = _call(client, "POST", "/v1/services", body)["id"]
        for calendar in DEMO["calendars"]:
            body = {**CALENDAR_DEFAULTS, **{k: v for k, v in calendar.items() if k != "services"}}
            body["service_ids"] = [service_ids[ref] for ref in calendar["services"]]
            _call(client, "POST", "/v1/calendars", body)
        return {key["role"]: _call(client, "POST", "/v1/api-keys", key)["key"] for key in DEMO["api_keys"]}


def seed_users(api_url: str, admin_key: str, cognito_client, pool) -> dict[str, dict[str, str]]:
    """Invite the demo users through the API (as an admin would), then give each a password of its
    own (Cognito's admin API) so that they sign in at once: {role: {"email", "password"}}."""
    from creneau.cognito import temporary_password

    signed_in = {}
    with httpx.Client(base_url=api_url, headers={"X-Api-Key": admin_key}, timeout=60) as client:
        for role, user in DEMO_USERS.items():
            created = _call(client, "POST", "/v1/users", user)
            password = temporary_password()
            cognito_client.admin_set_user_password(
                UserPoolId=pool.user_pool_id, Username=created["id"], Password=password, Permanent=True
            )
            signed_in[role] = {"email": user["email"], "password": password}
    return signed_in


def seed_demo(api_url: str) -> tuple[str, dict[str, str]]:
    """(tenant_id, {"admin": ..., "agent": ..., "public": ...}). The env must name the local tables."""
    try:
        from creneau.dal.store import DYNAMODB
        from creneau.logic.tenants import create_tenant
    except ImportError as exc:
        raise SeedError(f"cannot create the demo tenant: {exc} (start with --no-seed to skip it)") from exc
    settings = DEMO["settings"]
    tenant_id, admin_key = create_tenant(DYNAMODB, settings["name"], settings["timezone"], settings["locale"])
    return tenant_id, {"admin": admin_key, **configure(api_url, admin_key)}


def wait_until_answered(api_url: str, keys: dict[str, str], timeout_s: float = 60) -> None:
    """Until every key reads the tenant's settings through the gateway (without keys, --no-seed:
    until the gateway answers at all), so that a client reading the info file finds a stack that answers."""
    import time

    deadline, last = time.monotonic() + timeout_s, "no answer"
    with httpx.Client(base_url=api_url, timeout=10) as client:
        while time.monotonic() < deadline:
            try:
                answers = {
                    role: client.get("/v1/settings", headers={"X-Api-Key": key}) for role, key in keys.items()
                }
                if not keys:
                    client.get("/v1/settings")  # any answer: the handlers may be anything
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                wrong = {role: answer for role, answer in answers.items() if answer.status_code != 200}
                if not wrong:
                    return
                last = "; ".join(f"{r} key: {a.status_code} {a.text[:200]}" for r, a in wrong.items())
            time.sleep(0.2)
    raise SeedError(f"the API did not answer GET /v1/settings as expected within {timeout_s:.0f} s: {last}")
