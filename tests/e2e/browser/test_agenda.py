"""The back-office agenda in a real browser against the local stack: sign-in, the week view, the slot
pop-up, the lock and the booking form, status changes and rescheduling, the touch-screen button."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from browser_helpers import serious_violations
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.xdist_group("browser")

PARIS = ZoneInfo("Europe/Paris")
GUICHET = "Guichet état civil"
CNI = "Carte nationale d'identité"


def wall(instant: str) -> str:
    """An API instant as the Paris wall clock the agenda's inputs show: YYYY-MM-DDTHH:MM."""
    return datetime.fromisoformat(instant).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def catalog(web_stack: dict) -> tuple[dict, dict]:
    """The demo's ID-card service and the civil-status desk calendar."""
    headers = {"X-Api-Key": web_stack["keys"]["public"]}
    with httpx.Client(base_url=web_stack["api_url"], headers=headers, timeout=30) as client:
        service = next(s for s in client.get("/v1/services").json()["items"] if s["name"] == CNI)
        calendar = next(c for c in client.get("/v1/calendars").json()["items"] if c["name"] == GUICHET)
    return service, calendar


def free_slots(web_stack: dict, service: dict, calendar: dict) -> list[str]:
    """The calendar's free starts over the next three weeks, as a customer's widget sees them."""
    headers = {"X-Api-Key": web_stack["keys"]["public"]}
    today = datetime.now(PARIS).date()
    params = {"service_id": service["id"], "calendar_id": calendar["id"], "from": str(today)}
    params["to"] = str(today.fromordinal(today.toordinal() + 20))
    reply = httpx.get(f"{web_stack['api_url']}/v1/slots", params=params, headers=headers, timeout=30)
    return [s["start"] for s in reply.json()["slots"]]


def sign_in(page: Page, web_stack: dict, locale: str, *, api_key: bool = False) -> None:
    """Sign in on the agenda as the demo agent: with Cognito (the user pool of the stack), or with the
    agent API key typed in (the development sign-in, the only one while the stack has no user pool)."""
    page.goto(f"{web_stack['web']['agenda']}?locale={locale}")
    if api_key or not web_stack.get("cognito"):
        details = page.locator("#key-sign-in")
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        page.locator("#api-key").fill(web_stack["keys"]["agent"])
        page.locator("#key-form button[type=submit]").click()
    else:
        agent = web_stack["users"]["agent"]
        page.locator("#email").fill(agent["email"])
        page.locator("#password").fill(agent["password"])
        page.locator("#cognito-form button[type=submit]").click()
    expect(page.locator(".ec-time-grid")).to_be_visible()
    page.locator("#calendar-select").select_option(label=GUICHET)
    page.locator("#service-select").select_option(label=CNI)
    expect(page.locator(".ec-bg-event.open-hours").first).to_be_attached()


# The whole day's grid fits on screen: dateFromPoint and the mouse only reach what is shown.
WHOLE_GRID = {"width": 1280, "height": 1600}


def show_day_of(page: Page, local_wall: str) -> None:
    """Move the week view forward until it shows the day of `local_wall`, its events loaded."""
    day = local_wall[:10]
    for _ in range(5):
        settled(page)
        if page.locator(f".ec-col-head time[datetime='{day}']").count():
            return
        page.locator(".ec-toolbar .ec-next").click()
    raise AssertionError(f"the week view never showed {day}")


def gap(a: str, b: str) -> timedelta:
    return abs(datetime.fromisoformat(a) - datetime.fromisoformat(b))


def settled(page: Page) -> None:
    """The calendar has no event fetch under way: what is drawn stays where it is (a drag started
    while a refetch redraws the event would grab an element that is gone)."""
    expect(page.locator("#calendar")).to_have_attribute("aria-busy", "false")


def drag(page: Page, grab: dict, to_x: float, to_y: float) -> None:
    settled(page)
    page.mouse.move(grab["x"], grab["y"])
    page.mouse.down()
    page.mouse.move(to_x, to_y, steps=10)
    page.mouse.up()


def point_of(page: Page, local_wall: str) -> dict:
    """The viewport point of a wall time in the time grid, found with the calendar's own dateFromPoint
    (it sees only what is on screen: the agenda's pages are tall enough to show the whole grid)."""
    show_day_of(page, local_wall)
    head = page.locator(f".ec-col-head time[datetime='{local_wall[:10]}']").bounding_box()
    x = head["x"] + head["width"] / 2
    found = page.evaluate(
        """([x, target]) => {
            const box = document.querySelector(".ec-body").getBoundingClientRect();
            for (let y = Math.max(box.top, 0); y < Math.min(box.bottom, innerHeight); y += 2) {
                const date = app.ec.dateFromPoint(x, y);
                if (date && date.date.toISOString().slice(0, 16) === target) return y + 3;
            }
            return null;
        }""",
        [x, local_wall],
    )
    assert found is not None, f"no point of the grid on screen shows {local_wall}"
    return {"x": x, "y": found}


def click_time(page: Page, local_wall: str) -> None:
    point = point_of(page, local_wall)
    page.mouse.click(point["x"], point["y"])


def widget_offers(browser_page: Page, web_stack: dict, calendar_name: str) -> list[str]:
    """The starts the customer's widget offers for the ID card on one calendar."""
    browser_page.goto(f"{web_stack['web']['widget_demo']}?locale=fr")
    browser_page.get_by_role("button", name="État civil").click()
    browser_page.get_by_role("button", name=CNI).click()
    browser_page.get_by_role("button", name=calendar_name).click()
    expect(browser_page.locator("creneau-booking .times button").first).to_be_visible()
    buttons = browser_page.locator("creneau-booking .times button").all()
    return [b.get_attribute("data-start") for b in buttons]


def test_agent_books_from_a_free_slot_of_the_week_view_in_french(new_page, web_stack, agent_api, shots):
    service, calendar = catalog(web_stack)
    start = free_slots(web_stack, service, calendar)[1]
    page = new_page(viewport=WHOLE_GRID)
    sign_in(page, web_stack, "fr")
    expect(page.get_by_role("button", name="semaine")).to_be_visible()
    shots(page, "week-view")
    assert serious_violations(page) == []

    click_time(page, wall(start))
    dialog = page.locator("#slot-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Horaire")).to_have_value(wall(start))
    expect(dialog.get_by_label("Prestation")).to_have_value(service["id"])
    expect(dialog.get_by_label("Agenda")).to_have_value(calendar["id"])
    shots(page, "slot-pop-up-prefilled")
    assert serious_violations(page) == []
    dialog.get_by_role("button", name="Aller au formulaire de réservation").click()

    form = page.locator("#booking-dialog")
    expect(form).to_be_visible()
    expect(form.locator("#booking-hold")).to_contain_text("vous est réservé jusqu'à")
    # The slot is now held: a customer's widget no longer offers it, and offers others.
    customer_view = new_page()
    offered = widget_offers(customer_view, web_stack, GUICHET)
    assert offered and start not in offered
    shots(customer_view, "widget-without-the-held-slot")

    # Required service fields are checked before sending; then a new customer is booked.
    form.get_by_label("Prénom").fill("Louise")
    form.get_by_label("Nom", exact=True).fill("Michel")
    form.get_by_role("button", name="Confirmer la réservation").click()
    expect(form.get_by_text("Numéro de pré-demande ANTS est obligatoire")).to_be_visible()
    form.get_by_label("Numéro de pré-demande ANTS").fill("ANTS-77")
    form.get_by_label("Nombre de personnes").fill("1")
    shots(page, "booking-form")
    assert serious_violations(page) == []
    form.get_by_role("button", name="Confirmer la réservation").click()
    expect(form).to_be_hidden()

    drawn = page.locator(".ec-event.appointment", has_text="Louise Michel")
    expect(drawn).to_contain_text("en attente")
    shots(page, "appointment-drawn")
    listed = agent_api.get("/v1/appointments", params={"calendar_id": calendar["id"]}).json()["items"]
    booked = next(a for a in listed if a["customer"]["last_name"] == "Michel")
    assert booked["start"] == start and booked["fields"] == {"ants_number": "ANTS-77", "people": 1}

    # A second booking for the same customer finds her through the customer search.
    other = free_slots(web_stack, service, calendar)[3]
    click_time(page, wall(other))
    page.locator("#slot-dialog").get_by_role("button", name="Aller au formulaire de réservation").click()
    form.get_by_label("Rechercher un usager").fill("Michel")
    form.get_by_role("radio", name=re.compile("Louise Michel")).check()
    form.get_by_label("Numéro de pré-demande ANTS").fill("ANTS-78")
    form.get_by_label("Nombre de personnes").fill("2")
    form.get_by_role("button", name="Confirmer la réservation").click()
    expect(form).to_be_hidden()
    expect(page.locator(".ec-event.appointment", has_text="Louise Michel")).to_have_count(2)
    mine = agent_api.get("/v1/appointments", params={"customer_id": booked["customer"]["id"]}).json()["items"]
    assert sorted(a["start"] for a in mine) == sorted([start, other])


def test_status_change_and_reschedule_from_the_agenda_in_english(new_page, web_stack, agent_api, shots):
    service, calendar = catalog(web_stack)
    starts = free_slots(web_stack, service, calendar)
    first, target = starts[5], starts[8]
    appointment = agent_api.post(
        "/v1/appointments",
        json={
            "service_id": service["id"],
            "calendar_id": calendar["id"],
            "start": first,
            "customer": {"first_name": "Paul", "last_name": "Verlaine"},
            "fields": {"ants_number": "A-1", "people": 1},
        },
    ).json()
    page = new_page(viewport=WHOLE_GRID)
    sign_in(page, web_stack, "en")
    show_day_of(page, wall(first))
    event = page.locator(".ec-event.appointment", has_text="Paul Verlaine")
    expect(event).to_contain_text("pending")
    event.click()
    dialog = page.locator("#appointment-dialog")
    expect(dialog).to_be_visible()
    shots(page, "appointment-pop-up")
    assert serious_violations(page) == []
    dialog.get_by_role("button", name="Confirm", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(event).to_contain_text("confirmed")
    assert agent_api.get(f"/v1/appointments/{appointment['id']}").json()["status"] == "CONFIRMED"

    # Reschedule from the pop-up.
    event.click()
    dialog.get_by_label("New time").fill(wall(target))
    dialog.get_by_role("button", name="Reschedule").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#status")).to_contain_text("Moved to")
    assert agent_api.get(f"/v1/appointments/{appointment['id']}").json()["start"] == target
    shots(page, "rescheduled")

    # A drag onto a closed time (Sunday) is refused by the API: the event snaps back, the reason shown.
    show_day_of(page, wall(target))
    event = page.locator(".ec-event.appointment", has_text="Paul Verlaine")
    expect(event).to_be_visible()
    settled(page)
    before = event.bounding_box()
    head = page.locator(".ec-col-head.ec-sun")  # the grid's anchor: the refusal's alert may push it down
    sunday = head.bounding_box()
    drag(
        page,
        {"x": before["x"] + before["width"] / 2, "y": before["y"] + 5},
        sunday["x"] + sunday["width"] / 2,
        before["y"] + 5,
    )
    expect(page.get_by_role("alert")).to_contain_text("Refused:")
    expect(event).to_have_count(1)
    after, moved_head = event.bounding_box(), head.bounding_box()
    shift = moved_head["y"] - sunday["y"]  # the page's layout moved, not the event within the grid
    assert abs(after["x"] - before["x"]) < 2 and abs(after["y"] - shift - before["y"]) < 2, (before, after)
    assert agent_api.get(f"/v1/appointments/{appointment['id']}").json()["start"] == target
    shots(page, "refused-drag-snapped-back")

    # A drag onto a free time moves it through the API.
    # The free start nearest the event (on its day unless the day has no other free time left).
    later = min(
        free_slots(web_stack, service, calendar), key=lambda s: (s[:10] != target[:10], gap(s, target))
    )
    settled(page)
    point = point_of(page, wall(later))  # both measured on the same scroll position
    before = event.bounding_box()  # where the event is now drawn (the alert moved the page)
    drag(page, {"x": before["x"] + before["width"] / 2, "y": before["y"] + 3}, point["x"], point["y"])
    expect(page.locator("#status")).to_contain_text("Moved to")
    moved = agent_api.get(f"/v1/appointments/{appointment['id']}").json()
    assert moved["start"] != target and gap(moved["start"], later) <= timedelta(
        minutes=calendar["slot_step_minutes"]
    )
    shots(page, "dragged")


def test_touch_screen_add_booking_opens_the_first_free_slot(new_page, web_stack, shots):
    service, calendar = catalog(web_stack)
    first = httpx.get(
        f"{web_stack['api_url']}/v1/slots/first",
        params={"service_id": service["id"], "calendar_id": calendar["id"]},
        headers={"X-Api-Key": web_stack["keys"]["agent"]},
    ).json()["slot"]
    page = new_page(has_touch=True, viewport={"width": 820, "height": 1180})
    sign_in(page, web_stack, "fr")
    add = page.get_by_role("button", name="Ajouter une réservation")
    expect(add).to_be_visible()
    add.tap()
    dialog = page.locator("#slot-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Horaire")).to_have_value(wall(first["start"]))
    expect(dialog.get_by_label("Agenda")).to_have_value(calendar["id"])
    shots(page, "touch-first-free-slot")
    assert serious_violations(page) == []


def test_month_view_never_books(new_page, web_stack, shots):
    page = new_page(viewport=WHOLE_GRID)
    sign_in(page, web_stack, "en", api_key=True)  # the development sign-in
    expect(page.get_by_role("button", name="Add booking")).to_be_hidden()  # not a touch screen
    page.get_by_role("button", name="month").click()
    expect(page.locator(".ec-day-grid")).to_be_visible()
    page.locator(".ec-day").nth(10).click()
    expect(page.locator("#status")).to_contain_text("Bookings are made from the day and week views.")
    expect(page.locator("#slot-dialog")).to_be_hidden()
    shots(page, "month-view")
