"""The booking widget on its demo page, in a real browser against the local stack."""

from __future__ import annotations

import re

import httpx
import pytest
from browser_helpers import serious_violations
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.xdist_group("browser")

RECORD_EVENTS = """
window.creneauEvents = [];
for (const name of ["creneau:locked", "creneau:booked", "creneau:error"]) {
  document.addEventListener(name, (e) => window.creneauEvents.push({type: name, detail: e.detail}));
}
"""


def open_demo(page: Page, web_stack: dict, locale: str) -> None:
    page.add_init_script(RECORD_EVENTS)
    page.goto(f"{web_stack['web']['widget_demo']}?locale={locale}")


def events(page: Page, kind: str) -> list[dict]:
    return [e["detail"] for e in page.evaluate("window.creneauEvents") if e["type"] == kind]


def choose_cni_any_calendar(page: Page, any_label: str) -> None:
    """Category -> service -> any calendar (the demo's ID card service has two calendars and two fields)."""
    page.get_by_role("button", name="État civil").click()
    page.get_by_role("button", name="Carte nationale d'identité").click()
    page.get_by_role("button", name=any_label).click()


def slot_buttons(page: Page):
    return page.locator("creneau-booking .times button")


def test_customer_books_through_the_widget_in_english(new_page, web_stack, agent_api, shots):
    page = new_page()
    open_demo(page, web_stack, "en")
    expect(page.get_by_role("heading", name="Choose a category")).to_be_visible()
    shots(page, "categories")
    choose_cni_any_calendar(page, "Any available")
    expect(page.get_by_text("Times shown in Europe/Paris time.")).to_be_visible()
    shots(page, "slots")
    assert serious_violations(page) == []

    # Keyboard: the first time is the one tab stop; arrows move, Enter chooses.
    first = slot_buttons(page).first
    first.focus()
    page.keyboard.press("ArrowRight")
    second = slot_buttons(page).nth(1)
    expect(second).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(first).to_have_attribute("aria-pressed", "true")
    start = first.get_attribute("data-start")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    [locked] = events(page, "creneau:locked")
    assert locked["start"] == start and locked["lock_code"]
    held = httpx.get(f"{web_stack['api_url']}/v1/locks/{locked['lock_code']}", headers=agent_api.headers)
    assert held.status_code == 200, held.text

    # Required custom fields are checked as the API checks them, before anything is sent.
    page.get_by_label("First name").fill("Jeanne")
    page.get_by_label("Last name").fill("Dupont")
    page.get_by_label("Email").fill("jeanne.dupont@example.org")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("Numéro de pré-demande ANTS is required")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields")
    shots(page, "required-fields")
    assert serious_violations(page) == []

    # What only the API refuses (a phone longer than it takes) is shown beside that field.
    page.get_by_label("Numéro de pré-demande ANTS").fill("ANTS-2026-0042")
    page.get_by_label("Nombre de personnes").fill("2")
    page.get_by_label("Phone").fill("0" * 60)
    page.get_by_role("button", name="Confirm booking").click()
    phone_error = page.locator("creneau-booking .error[data-for='customer.phone']")
    expect(phone_error).to_contain_text("50 characters")
    assert events(page, "creneau:error")[-1]["code"] == "validation-error"
    shots(page, "api-422-beside-phone")

    page.get_by_label("Phone").fill("06 12 34 56 78")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="Your appointment is booked")).to_be_visible()
    shots(page, "confirmation")
    [booked] = events(page, "creneau:booked")
    assert booked["start"] == start and set(booked) == {"appointment_id", "start", "end"}
    expect(page.locator("creneau-booking .when")).to_contain_text("(Europe/Paris)")
    ics = page.locator("creneau-booking a.ics")
    ics_url = rf"/v1/appointments/{booked['appointment_id']}/ics\?manage_token=mt_"
    assert re.search(ics_url, ics.get_attribute("href"))
    expect(page.locator("creneau-booking a.manage")).to_have_attribute("href", re.compile("manage_token=mt_"))
    assert serious_violations(page) == []

    appointment = agent_api.get(f"/v1/appointments/{booked['appointment_id']}").json()
    assert appointment["start"] == start
    assert appointment["customer"]["last_name"] == "Dupont"
    assert appointment["fields"] == {"ants_number": "ANTS-2026-0042", "people": 2}
    # The lock was converted: it no longer exists.
    gone = httpx.get(f"{web_stack['api_url']}/v1/locks/{locked['lock_code']}", headers=agent_api.headers)
    assert gone.status_code == 404


def test_slot_taken_before_confirming_offers_fresh_slots_in_french(new_page, web_stack, shots):
    page = new_page()
    open_demo(page, web_stack, "fr")
    choose_cni_any_calendar(page, "Peu importe")
    expect(page.get_by_text("Horaires affichés à l'heure de Europe/Paris.")).to_be_visible()
    first = slot_buttons(page).first
    first.click()
    start = first.get_attribute("data-start")
    page.get_by_role("button", name="Réserver", exact=True).click()
    expect(page.get_by_role("heading", name="Vos coordonnées")).to_be_visible()
    [locked] = events(page, "creneau:locked")

    # Someone else gets that time in between: the hold is gone and the time is booked.
    public = {"X-Api-Key": web_stack["keys"]["public"]}
    with httpx.Client(base_url=web_stack["api_url"], headers=public, timeout=30) as other:
        assert other.delete(f"/v1/locks/{locked['lock_code']}").status_code == 204
        taken = other.post(
            "/v1/appointments",
            json={
                "service_id": locked_service(page),
                "start": start,
                "calendar_id": locked["calendar_id"],
                "customer": {"first_name": "Autre", "last_name": "Personne"},
                "fields": {"ants_number": "X1", "people": 1},
            },
        )
        assert taken.status_code == 201, taken.text

    page.get_by_label("Prénom").fill("Marie")
    page.get_by_label("Nom (obligatoire)", exact=True).fill("Curie")
    page.get_by_label("Numéro de pré-demande ANTS").fill("ANTS-1")
    page.get_by_label("Nombre de personnes").fill("1")
    page.get_by_role("button", name="Confirmer la réservation").click()

    expect(page.get_by_text("Désolé, cet horaire vient d'être pris.").first).to_be_visible()
    shots(page, "fresh-slots")
    expect(page.get_by_role("heading", name="Choisissez un horaire")).to_be_visible()
    fresh = [b.get_attribute("data-start") for b in slot_buttons(page).all()]
    assert fresh, "fresh slots are offered"
    assert serious_violations(page) == []
    # The fresh view is live: choosing again locks and returns to the form with what was typed.
    slot_buttons(page).first.click()
    page.get_by_role("button", name="Réserver", exact=True).click()
    expect(page.get_by_label("Prénom")).to_have_value("Marie")


def locked_service(page: Page) -> str:
    return page.evaluate("document.querySelector('creneau-booking').state.service.id")


def test_hold_renewed_while_typing_and_expired_when_idle(new_page, web_stack, shots):
    admin = {"X-Api-Key": web_stack["keys"]["admin"]}
    settings_url = f"{web_stack['api_url']}/v1/settings"
    ttl = httpx.get(settings_url, headers=admin).json()["lock_ttl_seconds"]
    assert httpx.patch(settings_url, json={"lock_ttl_seconds": 6}, headers=admin).status_code == 200
    try:
        page = new_page()
        open_demo(page, web_stack, "en")
        page.get_by_role("button", name="Urbanisme et salles").click()
        page.get_by_role("button", name="Rendez-vous urbanisme").click()  # one calendar: no calendar step
        slot_buttons(page).first.click()
        page.get_by_role("button", name="Book", exact=True).click()
        expect(page.get_by_role("heading", name="Your details")).to_be_visible()
        [locked] = events(page, "creneau:locked")

        # Typing once half the hold has passed renews it (the API's lock lasts longer).
        page.wait_for_function(
            """() => { const l = document.querySelector('creneau-booking').lock;
                       return l && Date.now() - l.taken_at > (Date.parse(l.expires_at) - l.taken_at) / 2; }"""
        )
        page.get_by_label("First name").fill("Ada")
        page.wait_for_function(
            "(first) => document.querySelector('creneau-booking').lock?.expires_at > first",
            arg=locked["expires_at"],
        )
        lock_url = f"{web_stack['api_url']}/v1/locks/{locked['lock_code']}"
        renewed = httpx.get(lock_url, headers=admin).json()
        assert renewed["expires_at"] > locked["expires_at"] and renewed["start"] == locked["start"]

        # Left idle, the hold expires: the widget says so and offers the next free time.
        expect(page.get_by_role("heading", name="Your hold on this time has expired.")).to_be_visible()
        expect(page.get_by_role("alert")).to_have_text("Your hold on this time has expired.")
        shots(page, "hold-expired")
        assert serious_violations(page) == []
        httpx.patch(settings_url, json={"lock_ttl_seconds": ttl}, headers=admin)  # the next hold lasts
        page.get_by_role("button", name=re.compile("^Take the next free time")).click()
        expect(page.get_by_role("heading", name="Your details")).to_be_visible()
        expect(page.get_by_label("First name")).to_have_value("Ada")  # what was typed is kept
        assert len(events(page, "creneau:locked")) == 2
    finally:
        httpx.patch(settings_url, json={"lock_ttl_seconds": ttl}, headers=admin)


def test_calendar_first_without_any_calendar_follows_the_settings(new_page, web_stack, shots):
    admin = {"X-Api-Key": web_stack["keys"]["admin"]}
    settings_url = f"{web_stack['api_url']}/v1/settings"
    before = httpx.get(settings_url, headers=admin).json()
    changed = {"calendar_choice": "calendar_first", "any_calendar": False}
    assert httpx.patch(settings_url, json=changed, headers=admin).status_code == 200
    try:
        page = new_page()
        open_demo(page, web_stack, "en")
        expect(page.get_by_role("heading", name="Choose with whom")).to_be_visible()
        expect(page.get_by_role("button", name="Any available")).to_have_count(0)
        shots(page, "calendar-first")
        page.get_by_role("button", name="M. Martin, urbanisme").click()
        expect(page.get_by_role("heading", name="Choose a category")).to_be_visible()
        page.get_by_role("button", name="État civil").click()
        services = page.locator("creneau-booking ul.choices button")
        expect(services).to_have_text(["Carte nationale d'identité"])  # this calendar's only civil service
        services.first.click()
        expect(page.get_by_text("Times shown in Europe/Paris time.")).to_be_visible()
        expect(slot_buttons(page).first).to_be_visible()
    finally:
        restore = {key: before[key] for key in changed}
        httpx.patch(settings_url, json=restore, headers=admin)
