/*
 * The back-office agenda: sign in (Cognito, or an agent API key in development), then day and week
 * views of a calendar drawn by the vendored EventCalendar. A click on a free time opens a pop-up
 * prefilled with the time, the service and the calendar; "Go to the booking form" locks the slot while
 * the form is filled; the form books it. Appointments open a pop-up for status changes, cancelling and
 * rescheduling; dragging one reschedules it through the API (a refused move snaps back with the reason).
 * A month view shows appointments and never books.
 */
"use strict";

// Every text of the page, one dictionary per language.
const TEXTS = {
  en: {
    title: "Agenda", signIn: "Sign in", signInButton: "Sign in", signOut: "Sign out", email: "Email",
    password: "Password", keySignIn: "Developer sign-in with an agent API key", apiKey: "Agent API key",
    calendar: "Calendar", service: "Service", addBooking: "Add booking", open: "Open",
    closedException: "Closed (exception)", newBooking: "New booking", slotTime: "Time",
    goToForm: "Go to the booking form", close: "Close", bookingForm: "Booking form", customer: "Customer",
    searchCustomer: "Search a customer (name, email, phone)", results: "Customers found",
    newCustomer: "New customer", firstName: "First name", lastName: "Last name", phone: "Phone",
    serviceFields: "Service details", comments: "Comments", confirmBooking: "Confirm booking",
    appointment: "Appointment", newTime: "New time", reschedule: "Reschedule", yes: "Yes", choose: "Choose…",
    zoneNote: (zone) => `Times in ${zone} time.`,
    heldUntil: (what, until) => `${what} is held for you until ${until}.`,
    nextFree: (t) => `Next free time: ${t}`,
    noFreeSlot: "No free time for this service on this calendar.",
    signInFailed: "Sign-in failed: check the email and the password.",
    sessionOver: "Your session has ended: please sign in again.",
    booked: (who, t) => `Booked: ${who}, ${t}.`, moved: (t) => `Moved to ${t}.`,
    statusChanged: (s) => `Status: ${s}.`, refused: (m) => `Refused: ${m}`,
    isRequired: (label) => `${label} is required`, mustBeNumber: "must be a number", atLeast: (n) => `must be at least ${n}`, atMost: (n) => `must be at most ${n}`,
    chooseCustomer: "Choose a customer or fill in a new one's name.",
    fixFields: "Please correct the fields marked in the form.",
    network: "The API cannot be reached.",
    when: "When", status: "Status", statusLabels: { PENDING: "pending", CONFIRMED: "confirmed",
      IN_PROGRESS: "in progress", COMPLETED: "completed", CANCELLED: "cancelled" },
    actions: { CONFIRMED: "Confirm", IN_PROGRESS: "Start", COMPLETED: "Complete", CANCELLED: "Cancel appointment" },
    monthNoBooking: "Bookings are made from the day and week views.",
    day: "day", week: "week", month: "month", today: "today",
  },
  fr: {
    title: "Agenda", signIn: "Connexion", signInButton: "Se connecter", signOut: "Se déconnecter",
    email: "E-mail", password: "Mot de passe", keySignIn: "Connexion de développement avec une clé API agent",
    apiKey: "Clé API agent", calendar: "Agenda", service: "Prestation", addBooking: "Ajouter une réservation",
    open: "Ouvert", closedException: "Fermé (exception)", newBooking: "Nouvelle réservation",
    slotTime: "Horaire", goToForm: "Aller au formulaire de réservation", close: "Fermer",
    bookingForm: "Formulaire de réservation", customer: "Usager",
    searchCustomer: "Rechercher un usager (nom, e-mail, téléphone)", results: "Usagers trouvés",
    newCustomer: "Nouvel usager", firstName: "Prénom", lastName: "Nom", phone: "Téléphone",
    serviceFields: "Informations de la prestation", comments: "Commentaires",
    confirmBooking: "Confirmer la réservation", appointment: "Rendez-vous", newTime: "Nouvel horaire",
    reschedule: "Déplacer", yes: "Oui", choose: "Choisir…",
    zoneNote: (zone) => `Horaires à l'heure de ${zone}.`,
    heldUntil: (what, until) => `${what} vous est réservé jusqu'à ${until}.`,
    nextFree: (t) => `Prochain horaire libre : ${t}`,
    noFreeSlot: "Aucun horaire libre pour cette prestation sur cet agenda.",
    signInFailed: "Échec de la connexion : vérifiez l'e-mail et le mot de passe.",
    sessionOver: "Votre session a expiré : veuillez vous reconnecter.",
    booked: (who, t) => `Réservé : ${who}, ${t}.`, moved: (t) => `Déplacé au ${t}.`,
    statusChanged: (s) => `Statut : ${s}.`, refused: (m) => `Refusé : ${m}`,
    isRequired: (label) => `${label} est obligatoire`, mustBeNumber: "doit être un nombre", atLeast: (n) => `doit être au moins ${n}`, atMost: (n) => `doit être au plus ${n}`,
    chooseCustomer: "Choisissez un usager ou saisissez le nom d'un nouvel usager.",
    fixFields: "Veuillez corriger les champs signalés dans le formulaire.",
    network: "L'API est injoignable.",
    when: "Quand", status: "Statut", statusLabels: { PENDING: "en attente", CONFIRMED: "confirmé",
      IN_PROGRESS: "en cours", COMPLETED: "terminé", CANCELLED: "annulé" },
    actions: { CONFIRMED: "Confirmer", IN_PROGRESS: "Commencer", COMPLETED: "Terminer", CANCELLED: "Annuler le rendez-vous" },
    monthNoBooking: "Les réservations se font depuis les vues jour et semaine.",
    day: "jour", week: "semaine", month: "mois", today: "aujourd'hui",
  },
};
const TRANSITIONS = { PENDING: ["CONFIRMED", "CANCELLED"], CONFIRMED: ["IN_PROGRESS", "CANCELLED"], IN_PROGRESS: ["COMPLETED"] };
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const $ = (id) => document.getElementById(id);

const app = { config: null, auth: null, lang: "en", t: TEXTS.en, settings: null, calendars: [], services: [], ec: null, lock: null };

// ---- time: the grid shows each calendar's wall clock as floating times (the grid itself runs in UTC) --

function wallOf(instant, zone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The instant (UTC ISO) at which the wall clock of `zone` reads `wall` ("YYYY-MM-DDTHH:MM[:SS]"). */
function instantOf(wall, zone) {
  const asUtc = Date.parse(wall.length === 16 ? wall + ":00Z" : wall + "Z");
  let guess = asUtc;
  for (let i = 0; i < 3; i++) {
    const offset = Date.parse(wallOf(guess, zone) + "Z") - guess;
    guess = asUtc - offset;
  }
  return new Date(guess).toISOString().replace(".000Z", "Z");
}

const wallOfGridDate = (date) => date.toISOString().slice(0, 19); // grid dates are UTC-floating

function formatWall(wall) {
  return new Intl.DateTimeFormat(app.lang, { weekday: "long", day: "numeric", month: "long", hour: "2-digit",
    minute: "2-digit", timeZone: "UTC" }).format(new Date(wall + "Z"));
}

const zoneOf = () => selectedCalendar().timezone;
const formatInstant = (instant) => `${formatWall(wallOf(instant, zoneOf()))} (${zoneOf()})`;

// ---- the API ---------------------------------------------------------------------------------------

async function call(method, path, body) {
  const headers = app.auth.kind === "key" ? { "X-Api-Key": app.auth.value } : { Authorization: `Bearer ${app.auth.value}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(app.config.api_url.replace(/\/$/, "") + path,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body), keepalive: method === "DELETE" });
  } catch (exc) {
    announce(app.t.network);
    throw exc;
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401) {
    signOut(app.t.sessionOver);
    throw new Error("signed out");
  }
  return { status: response.status, ok: response.ok, data };
}

async function get(path) {
  const { ok, status, data } = await call("GET", path);
  if (!ok) {
    announce(data?.error?.message || `${status}`);
    throw new Error(`GET ${path}: ${status}`);
  }
  return data;
}

async function getAll(path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await get(`${path}${sep}limit=100${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

function announce(message) {
  $("alert").textContent = message || "";
}

function say(message) {
  $("status").textContent = message;
}

/** An API error as one sentence a person can act on, with the next free time when the API gives one. */
function reasonOf(error) {
  if (!error) return app.t.network;
  const next = (error.details || []).map((d) => d.next_free).find(Boolean);
  const nextStart = next && (next.start || next);
  return nextStart ? `${error.message} ${app.t.nextFree(formatInstant(nextStart))}` : error.message;
}

// ---- language and sign-in ----------------------------------------------------------------------------

function pickLanguage(tenantLocale) {
  const asked = new URLSearchParams(location.search).get("locale");
  const candidates = [asked, ...(navigator.languages || [navigator.language]), tenantLocale];
  if (asked) candidates.splice(1, candidates.length - 2); // ?locale= wins over the browser
  const lang = candidates.map((c) => (c || "").slice(0, 2)).find((c) => TEXTS[c]) || "en";
  app.lang = lang;
  app.t = TEXTS[lang];
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = app.t[node.dataset.text];
  document.title = app.t.title;
}

async function cognitoSignIn(email, password) {
  const { endpoint, client_id } = app.config.cognito;
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth" },
    body: JSON.stringify({ AuthFlow: "USER_PASSWORD_AUTH", ClientId: client_id, AuthParameters: { USERNAME: email, PASSWORD: password } }),
  });
  const data = await response.json().catch(() => ({}));
  const token = data.AuthenticationResult?.IdToken;
  if (!response.ok || !token) throw new Error(data.message || data.__type || "sign-in failed");
  return token;
}

function signOut(message) {
  sessionStorage.removeItem("creneau-agenda-auth");
  app.auth = null;
  if (app.ec) EventCalendar.destroy(app.ec);
  app.ec = null;
  $("agenda").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  announce(message || "");
}

async function signedIn(auth) {
  app.auth = auth;
  sessionStorage.setItem("creneau-agenda-auth", JSON.stringify(auth));
  app.settings = await get("/v1/settings");
  pickLanguage(app.settings.locale);
  [app.calendars, app.services] = await Promise.all([getAll("/v1/calendars"), getAll("/v1/services")]);
  $("sign-in").hidden = true;
  $("agenda").hidden = false;
  $("sign-out").hidden = false;
  announce("");
  fillSelect($("calendar-select"), app.calendars);
  refreshServiceSelect();
  showCalendar();
}

// ---- the calendar view ---------------------------------------------------------------------------------

function fillSelect(select, items, selectedId) {
  select.replaceChildren(...items.map((item) => new Option(item.name, item.id, false, item.id === selectedId)));
}

const selectedCalendar = () => app.calendars.find((c) => c.id === $("calendar-select").value);
const servicesOf = (calendar) => app.services.filter((s) => calendar.service_ids.includes(s.id));

function refreshServiceSelect() {
  fillSelect($("service-select"), servicesOf(selectedCalendar()));
}

/** The grid's hours: from the earliest opening to the latest closing of the week, on whole hours. */
function hoursRange(calendar) {
  const times = Object.values(calendar.weekly_hours).flat();
  const min = times.reduce((m, i) => (i.start < m ? i.start : m), "09:00");
  const max = times.reduce((m, i) => (i.end > m ? i.end : m), "17:00");
  const ceil = max.endsWith(":00") ? max : `${String(Number(max.slice(0, 2)) + 1).padStart(2, "0")}:00`;
  return { slotMinTime: `${min.slice(0, 2)}:00`, slotMaxTime: ceil };
}

function isTouch() {
  return matchMedia("(pointer: coarse)").matches || navigator.maxTouchPoints > 0;
}

function showCalendar() {
  const calendar = selectedCalendar();
  if (app.ec) EventCalendar.destroy(app.ec);
  const t = app.t;
  app.ec = EventCalendar.create($("calendar"), {
    view: "timeGridWeek",
    timeZone: "UTC", // floating wall-clock times of the calendar's zone
    locale: app.lang,
    firstDay: 1,
    allDaySlot: false,
    nowIndicator: false, // the grid runs in UTC-floating time: a "now" line would be off by the zone offset
    height: "auto",
    slotDuration: { minutes: calendar.slot_step_minutes || 15 },
    ...hoursRange(calendar),
    headerToolbar: { start: "prev,next today", center: "title", end: "timeGridDay,timeGridWeek,dayGridMonth" },
    buttonText: (text) => ({ ...text, today: t.today, timeGridDay: t.day, timeGridWeek: t.week, dayGridMonth: t.month }),
    eventStartEditable: true,
    eventDurationEditable: false,
    views: { dayGridMonth: { eventStartEditable: false } }, // a month view never books nor moves
    eventSources: [{ events: (info) => loadEvents(info) }],
    loading: (busy) => $("calendar").setAttribute("aria-busy", String(busy)), // readers wait; so do drags
    eventContent: (info) => (info.event.display === "background" ? "" : { html: eventHtml(info) }),
    dateClick: (info) => {
      if (info.view.type === "dayGridMonth") return say(t.monthNoBooking);
      openSlotDialog(wallOfGridDate(info.date));
    },
    eventClick: (info) => info.event.extendedProps.appointment && openAppointmentDialog(info.event.extendedProps.appointment),
    eventDragStart: () => say(""), // the last message is stale once another move begins
    eventDrop: (info) => dropped(info),
  });
  $("slot-zone").textContent = t.zoneNote(calendar.timezone);
  $("add-booking").hidden = !isTouch();
}

// EventCalendar marks its grid up as an ARIA table whose row groups hold non-row children (axe:
// aria-required-children, critical). Its table roles are dropped, so the grid reads as what it is:
// day headings, time labels and one article per appointment.
const TABLE_ROLES = new Set(["table", "rowgroup", "row", "cell", "gridcell", "columnheader", "rowheader"]);

function dropTableRoles(root) {
  for (const node of root.querySelectorAll("[role]")) {
    if (TABLE_ROLES.has(node.getAttribute("role"))) node.removeAttribute("role");
  }
  for (const node of root.querySelectorAll("[aria-colindex], [aria-rowindex]")) {
    node.removeAttribute("aria-colindex");
    node.removeAttribute("aria-rowindex");
  }
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function eventHtml(info) {
  const a = info.event.extendedProps.appointment;
  const who = `${a.customer.first_name} ${a.customer.last_name}`.trim();
  return `<span class="ec-event-time">${escapeHtml(info.timeText)}</span> <span class="who">${escapeHtml(who)}</span>` +
    ` · <span class="status">${escapeHtml(app.t.statusLabels[a.status])}</span>`;
}

function dayWalls(start, end) {
  const days = [];
  for (let d = new Date(start); d < end; d = new Date(d.getTime() + 86400000)) days.push(d.toISOString().slice(0, 10));
  return days;
}

/** Opening hours and exceptions as background shading, and the calendar's appointments. */
async function loadEvents({ start, end }) {
  const calendar = selectedCalendar();
  const zone = calendar.timezone;
  const days = dayWalls(start, end);
  const shading = [];
  for (const day of days) {
    const weekday = WEEKDAYS[new Date(day + "T12:00:00Z").getUTCDay()];
    for (const interval of calendar.weekly_hours[weekday] || []) {
      shading.push({ start: `${day}T${interval.start}:00`, end: `${day}T${interval.end === "24:00" ? "23:59" : interval.end}:00`, display: "background", classNames: ["open-hours"] });
    }
  }
  for (const opening of calendar.openings || []) {
    shading.push({ start: wallOf(opening.start, zone), end: wallOf(opening.end, zone), display: "background", classNames: ["open-hours"] });
  }
  for (const exception of calendar.exceptions || []) {
    shading.push({ start: wallOf(exception.start, zone), end: wallOf(exception.end, zone), display: "background", classNames: ["exception"], title: exception.reason || "" });
  }
  const from = new Date(start.getTime() - 86400000).toISOString().slice(0, 10);
  const to = new Date(end.getTime() + 86400000).toISOString().slice(0, 10);
  const appointments = await getAll(`/v1/appointments?calendar_id=${encodeURIComponent(calendar.id)}&from=${from}&to=${to}`);
  const drawn = appointments.filter((a) => a.status !== "CANCELLED").map((a) => ({
    id: a.id, start: wallOf(a.start, zone), end: wallOf(a.end, zone),
    title: `${a.customer.first_name} ${a.customer.last_name}`.trim(),
    classNames: [`status-${a.status}`, "appointment"],
    startEditable: ["PENDING", "CONFIRMED"].includes(a.status),
    extendedProps: { appointment: a },
  }));
  return [...shading, ...drawn];
}

function refetch() {
  app.ec?.refetchEvents();
}

// ---- the slot pop-up, the lock and the booking form ----------------------------------------------------

function openSlotDialog(wall, serviceId) {
  const calendar = selectedCalendar();
  $("slot-start").value = wall.slice(0, 16);
  fillSelect($("slot-service"), app.services, serviceId || $("service-select").value);
  fillSelect($("slot-calendar"), app.calendars, calendar.id);
  announce("");
  $("slot-dialog").showModal();
}

async function openFirstFreeSlot() {
  const calendar = selectedCalendar();
  const serviceId = $("service-select").value;
  const { slot } = await get(`/v1/slots/first?service_id=${encodeURIComponent(serviceId)}&calendar_id=${encodeURIComponent(calendar.id)}`);
  if (!slot) return announce(app.t.noFreeSlot);
  openSlotDialog(wallOf(slot.start, calendar.timezone), serviceId);
}

async function goToForm() {
  const calendar = app.calendars.find((c) => c.id === $("slot-calendar").value);
  const service = app.services.find((s) => s.id === $("slot-service").value);
  const start = instantOf($("slot-start").value, calendar.timezone);
  const { status, data } = await call("POST", "/v1/locks", { service_id: service.id, calendar_id: calendar.id, start });
  if (status !== 201) {
    announce(app.t.refused(reasonOf(data?.error)));
    return false;
  }
  app.lock = { ...data, service, calendar };
  $("slot-dialog").close();
  openBookingForm();
  return true;
}

function releaseLock() {
  if (!app.lock) return;
  const code = app.lock.lock_code;
  app.lock = null;
  call("DELETE", `/v1/locks/${encodeURIComponent(code)}`).catch(() => {});
}

function fieldControl(def, id) {
  const common = { id, name: "fields." + def.key };
  let control;
  if (def.type === "choice") {
    control = document.createElement("select");
    control.append(new Option(app.t.choose, ""), ...def.options.map((o) => new Option(o, o)));
  } else {
    control = document.createElement("input");
    control.type = def.type === "boolean" ? "checkbox" : def.type === "number" ? "number" : "text";
    if (def.type === "number") {
      control.step = "any";
      if (def.min != null) control.min = def.min;
      if (def.max != null) control.max = def.max;
    }
  }
  Object.assign(control, common);
  control.setAttribute("aria-describedby", id + "-error");
  return control;
}

function openBookingForm() {
  const { service, calendar } = app.lock;
  const form = $("booking-form");
  form.reset();
  for (const node of form.querySelectorAll(".error")) node.textContent = "";
  $("customer-results").querySelectorAll(".customer-option").forEach((n) => n.remove());
  const what = `${service.name}, ${calendar.name}, ${formatInstant(app.lock.start)}`;
  $("booking-hold").textContent = app.t.heldUntil(what, new Intl.DateTimeFormat(app.lang, { hour: "2-digit", minute: "2-digit", timeZone: calendar.timezone }).format(new Date(app.lock.expires_at)));
  const box = $("service-fields");
  box.querySelectorAll(".field").forEach((n) => n.remove());
  box.hidden = !(service.fields || []).length;
  (service.fields || []).forEach((def, i) => {
    const id = `sf-${i}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = def.label;
    const error = Object.assign(document.createElement("span"), { className: "error", id: id + "-error" });
    error.dataset.for = "fields." + def.key;
    const wrap = Object.assign(document.createElement("div"), { className: "field" });
    wrap.append(label, fieldControl(def, id), error);
    box.append(wrap);
  });
  $("booking-dialog").showModal();
  $("customer-search").focus();
}

let searchTimer = null;
function searchCustomers() {
  clearTimeout(searchTimer);
  const q = $("customer-search").value.trim();
  searchTimer = setTimeout(async () => {
    const results = $("customer-results");
    results.querySelectorAll(".customer-option").forEach((n) => n.remove());
    if (q.length < 2) return;
    const { items } = await get(`/v1/customers?q=${encodeURIComponent(q)}&limit=10`);
    for (const c of items) {
      const label = document.createElement("label");
      label.className = "customer-option";
      const radio = Object.assign(document.createElement("input"), { type: "radio", name: "customer_id", value: c.id });
      label.append(radio, ` ${c.first_name} ${c.last_name}${c.email ? " — " + c.email : ""}`);
      results.append(label);
    }
  }, 250);
}

function collectBooking(form) {
  const { service } = app.lock;
  const problems = [];
  const body = { service_id: service.id, calendar_id: app.lock.calendar_id, start: app.lock.start, lock_code: app.lock.lock_code, fields: {}, comments: form.elements.comments.value };
  const chosen = form.querySelector("input[name=customer_id]:checked");
  if (chosen) body.customer_id = chosen.value;
  else {
    const value = (name) => form.elements[name].value.trim();
    body.customer = { first_name: value("customer.first_name"), last_name: value("customer.last_name"), phone: value("customer.phone") };
    if (value("customer.email")) body.customer.email = value("customer.email");
    if (!body.customer.first_name && !body.customer.last_name) problems.push({ field: "customer.last_name", message: app.t.chooseCustomer });
  }
  for (const def of service.fields || []) {
    const input = form.elements["fields." + def.key];
    let value = def.type === "boolean" ? input.checked : input.value.trim();
    if (value === "" && def.required) problems.push({ field: "fields." + def.key, message: app.t.isRequired(def.label) });
    if (value === "") continue;
    if (def.type === "number") {
      value = Number(value);
      if (!Number.isFinite(value)) problems.push({ field: "fields." + def.key, message: app.t.mustBeNumber });
      else if (def.min != null && value < def.min) problems.push({ field: "fields." + def.key, message: app.t.atLeast(def.min) });
      else if (def.max != null && value > def.max) problems.push({ field: "fields." + def.key, message: app.t.atMost(def.max) });
    }
    body.fields[def.key] = value;
  }
  return { body, problems };
}

function showProblems(form, problems) {
  const shown = new Set();
  for (const node of form.querySelectorAll(".error")) {
    const mine = problems.filter((p) => p.field === node.dataset.for);
    node.textContent = mine.map((p) => p.message).join(" ");
    mine.forEach((p) => shown.add(p));
  }
  const rest = problems.filter((p) => !shown.has(p)).map((p) => `${p.field}: ${p.message}`);
  announce([app.t.fixFields, ...rest].join(" "));
}

async function book(event) {
  event.preventDefault();
  const form = $("booking-form");
  if (!app.lock) return;
  const { body, problems } = collectBooking(form);
  if (problems.length) return showProblems(form, problems);
  const { status, data } = await call("POST", "/v1/appointments", body);
  if (status === 422) return showProblems(form, data.error.details || []);
  if (status !== 201) return announce(app.t.refused(reasonOf(data?.error)));
  app.lock = null; // consumed by the booking
  $("booking-dialog").close();
  announce("");
  say(app.t.booked(`${data.customer.first_name} ${data.customer.last_name}`, formatInstant(data.start)));
  refetch();
}

// ---- an appointment's pop-up: status, cancel, reschedule; drag and drop ---------------------------------

function openAppointmentDialog(appointment) {
  app.appointment = appointment;
  const service = app.services.find((s) => s.id === appointment.service_ids[0]);
  const rows = [
    [app.t.customer, `${appointment.customer.first_name} ${appointment.customer.last_name}`],
    [app.t.service, service ? service.name : appointment.service_ids.join(", ")],
    [app.t.when, formatInstant(appointment.start)],
    [app.t.status, app.t.statusLabels[appointment.status]],
  ];
  $("appointment-details").replaceChildren(...rows.flatMap(([k, v]) => [Object.assign(document.createElement("dt"), { textContent: k }), Object.assign(document.createElement("dd"), { textContent: v })]));
  $("status-actions").replaceChildren(...(TRANSITIONS[appointment.status] || []).map((target) => {
    const button = Object.assign(document.createElement("button"), { type: "button", textContent: app.t.actions[target] });
    button.dataset.status = target;
    button.addEventListener("click", () => changeStatus(target));
    return button;
  }));
  $("reschedule-start").value = wallOf(appointment.start, zoneOf()).slice(0, 16);
  const movable = ["PENDING", "CONFIRMED"].includes(appointment.status);
  $("reschedule-start").disabled = $("reschedule").disabled = !movable;
  announce("");
  $("appointment-dialog").showModal();
}

async function changeStatus(target) {
  const { ok, data } = await call("POST", `/v1/appointments/${app.appointment.id}/status`, { status: target });
  if (!ok) return announce(app.t.refused(reasonOf(data?.error)));
  $("appointment-dialog").close();
  say(app.t.statusChanged(app.t.statusLabels[data.status]));
  refetch();
}

async function reschedule(id, start) {
  const { ok, data } = await call("POST", `/v1/appointments/${id}/reschedule`, { start });
  if (!ok) {
    announce(app.t.refused(reasonOf(data?.error)));
    return null;
  }
  announce("");
  say(app.t.moved(formatInstant(data.start)));
  return data;
}

async function rescheduleFromDialog() {
  const moved = await reschedule(app.appointment.id, instantOf($("reschedule-start").value, zoneOf()));
  if (!moved) return;
  $("appointment-dialog").close();
  refetch();
}

async function dropped(info) {
  const start = instantOf(wallOfGridDate(info.event.start), zoneOf());
  const moved = await reschedule(info.event.id, start);
  if (!moved) return info.revert(); // refused: snaps back, the reason is in the alert
  refetch();
}

// ---- wiring -------------------------------------------------------------------------------------------

async function main() {
  pickLanguage(null);
  app.config = await (await fetch("config.json")).json();
  const cognito = app.config.cognito;
  $("cognito-form").hidden = !cognito;
  $("key-sign-in").open = !cognito;
  $("cognito-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const token = await cognitoSignIn($("email").value, $("password").value);
      await signedIn({ kind: "token", value: token });
    } catch {
      announce(app.t.signInFailed);
    }
  });
  $("key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    await signedIn({ kind: "key", value: $("api-key").value.trim() }).catch(() => {});
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("calendar-select").addEventListener("change", () => { refreshServiceSelect(); showCalendar(); });
  $("add-booking").addEventListener("click", openFirstFreeSlot);
  $("slot-form").addEventListener("submit", async (e) => {
    if (e.submitter?.value !== "go") return; // "Close": the dialog form closes itself
    e.preventDefault();
    await goToForm();
  });
  $("booking-form").addEventListener("submit", book);
  $("booking-cancel").addEventListener("click", () => $("booking-dialog").close());
  $("booking-dialog").addEventListener("close", releaseLock); // abandoned: the hold is released
  $("customer-search").addEventListener("input", searchCustomers);
  $("reschedule").addEventListener("click", rescheduleFromDialog);
  $("appointment-close").addEventListener("click", () => $("appointment-dialog").close());
  window.addEventListener("pagehide", releaseLock);
  const grid = $("calendar");
  new MutationObserver(() => dropTableRoles(grid)).observe(grid, { subtree: true, childList: true, attributes: true, attributeFilter: ["role", "aria-colindex"] });
  const saved = JSON.parse(sessionStorage.getItem("creneau-agenda-auth") || "null");
  $("sign-in").hidden = false;
  if (saved) await signedIn(saved).catch(() => signOut());
}

document.addEventListener("DOMContentLoaded", main);
