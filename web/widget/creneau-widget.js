/*
 * <creneau-booking api-url="https://api.example" api-key="PUBLIC_KEY" locale="fr|en"
 *                  [service-id="..."] [calendar-id="..."]>
 *
 * The customer's booking path as a custom element: no framework, no build step, its own styles in a
 * shadow root (themable with the --creneau-* custom properties below). It follows the tenant's
 * settings (calendar_choice, any_calendar), holds the chosen slot with a lock while the form is open,
 * and dispatches creneau:locked, creneau:booked and creneau:error (bubbles, composed).
 */
(() => {
  "use strict";
  const VERSION = "1.0.0";
  const DAYS_SHOWN = 14;
  const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/; // the API's rule: one @, a dotted domain, no spaces

  // Every text of the widget, one dictionary per language.
  const TEXTS = {
    en: {
      title: "Book an appointment",
      loading: "Loading…",
      category: "Choose a category",
      service: "Choose a service",
      calendar: "Choose with whom",
      anyCalendar: "Any available",
      slots: "Choose a time",
      zone: (zone) => `Times shown in ${zone} time.`,
      noSlots: "No free time in these days.",
      earlier: "Earlier days",
      later: "Later days",
      back: "Back",
      book: "Book",
      details: "Your details",
      heldUntil: (t) => `This time is held for you until ${t}.`,
      expired: "Your hold on this time has expired.",
      takeNext: (t) => `Take the next free time: ${t}`,
      noNext: "No other free time is available.",
      firstName: "First name",
      lastName: "Last name",
      email: "Email",
      phone: "Phone",
      comments: "Comments",
      required: "required",
      yes: "Yes",
      choose: "Choose…",
      confirm: "Confirm booking",
      otherTime: "Choose another time",
      taken: "Sorry, this time was just taken. Here are the free times now:",
      booked: "Your appointment is booked",
      bookedAt: (t) => `On ${t}.`,
      statusPending: "It awaits confirmation.",
      ics: "Add to my calendar (.ics)",
      manage: "Manage or cancel this appointment",
      again: "Book another appointment",
      isRequired: (label) => `${label} is required`,
      mustBeNumber: "must be a number",
      atLeast: (n) => `must be at least ${n}`,
      atMost: (n) => `must be at most ${n}`,
      mustBeChoice: "must be one of the choices",
      badEmail: "must be an email address",
      fixFields: "Please correct the fields marked below.",
      network: "The booking service cannot be reached. Please try again.",
      selected: "selected",
    },
    fr: {
      title: "Prendre rendez-vous",
      loading: "Chargement…",
      category: "Choisissez une catégorie",
      service: "Choisissez une prestation",
      calendar: "Choisissez avec qui",
      anyCalendar: "Peu importe",
      slots: "Choisissez un horaire",
      zone: (zone) => `Horaires affichés à l'heure de ${zone}.`,
      noSlots: "Aucun horaire libre sur ces jours.",
      earlier: "Jours précédents",
      later: "Jours suivants",
      back: "Retour",
      book: "Réserver",
      details: "Vos coordonnées",
      heldUntil: (t) => `Cet horaire vous est réservé jusqu'à ${t}.`,
      expired: "La pré-réservation de cet horaire a expiré.",
      takeNext: (t) => `Prendre le prochain horaire libre : ${t}`,
      noNext: "Aucun autre horaire n'est libre.",
      firstName: "Prénom",
      lastName: "Nom",
      email: "E-mail",
      phone: "Téléphone",
      comments: "Commentaires",
      required: "obligatoire",
      yes: "Oui",
      choose: "Choisir…",
      confirm: "Confirmer la réservation",
      otherTime: "Choisir un autre horaire",
      taken: "Désolé, cet horaire vient d'être pris. Voici les horaires libres maintenant :",
      booked: "Votre rendez-vous est réservé",
      bookedAt: (t) => `Le ${t}.`,
      statusPending: "Il attend sa confirmation.",
      ics: "Ajouter à mon agenda (.ics)",
      manage: "Gérer ou annuler ce rendez-vous",
      again: "Prendre un autre rendez-vous",
      isRequired: (label) => `${label} est obligatoire`,
      mustBeNumber: "doit être un nombre",
      atLeast: (n) => `doit être au moins ${n}`,
      atMost: (n) => `doit être au plus ${n}`,
      mustBeChoice: "doit être l'un des choix proposés",
      badEmail: "doit être une adresse e-mail",
      fixFields: "Veuillez corriger les champs signalés ci-dessous.",
      network: "Le service de réservation est injoignable. Veuillez réessayer.",
      selected: "choisi",
    },
  };

  const STYLE = `
    :host { display: block; font: var(--creneau-font, 16px/1.5 system-ui, sans-serif);
      color: var(--creneau-fg, #1d1d1f); background: var(--creneau-bg, #fff);
      border: 1px solid var(--creneau-border, #c7c7cc); border-radius: var(--creneau-radius, 8px);
      padding: 1rem; max-width: 44rem; }
    h2 { font-size: 1.25rem; margin: 0 0 .75rem; }
    h3 { font-size: 1.05rem; margin: 1rem 0 .5rem; }
    button, input, select, textarea { font: inherit; }
    button { cursor: pointer; border-radius: var(--creneau-radius, 8px); padding: .45rem .8rem;
      border: 1px solid var(--creneau-accent, #0b57d0); background: #fff;
      color: var(--creneau-accent, #0b57d0); }
    button.primary { background: var(--creneau-accent, #0b57d0); color: var(--creneau-accent-fg, #fff); }
    button[aria-pressed="true"] { background: var(--creneau-accent, #0b57d0); color: var(--creneau-accent-fg, #fff); }
    button:disabled { opacity: .6; cursor: default; }
    :focus-visible { outline: 3px solid var(--creneau-focus, #e8710a); outline-offset: 2px; }
    ul.choices { list-style: none; padding: 0; margin: 0; display: grid; gap: .5rem; }
    ul.choices button { width: 100%; text-align: left; }
    .days { display: grid; gap: .75rem; }
    .day h4 { margin: 0 0 .25rem; font-size: 1rem; }
    .times { display: flex; flex-wrap: wrap; gap: .4rem; }
    .nav, .actions { display: flex; gap: .5rem; flex-wrap: wrap; margin-top: .75rem; }
    .field { display: grid; gap: .2rem; margin-bottom: .6rem; }
    .field input:not([type=checkbox]), .field select, .field textarea { padding: .4rem;
      border: 1px solid var(--creneau-border, #8e8e93); border-radius: 4px; }
    .field .error, .alert { color: var(--creneau-error, #b3261e); }
    .hold { background: var(--creneau-note-bg, #eef3fd); padding: .5rem; border-radius: 4px; }
    .alert:empty { display: none; }
  `;

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value == null) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children.filter((c) => c != null));
    return node;
  };

  const isoDate = (date, zone) =>
    new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
      .format(date);

  class CreneauBooking extends HTMLElement {
    static observedAttributes = ["api-url", "api-key", "locale", "service-id", "calendar-id"];

    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.state = {};
      this.lock = null;
      this.generation = 0;
      this.onPageHide = () => this.releaseLock();
    }

    connectedCallback() {
      window.addEventListener("pagehide", this.onPageHide);
      this.scheduleRestart();
    }

    disconnectedCallback() {
      window.removeEventListener("pagehide", this.onPageHide);
      this.releaseLock();
      clearTimeout(this.expiryTimer);
    }

    attributeChangedCallback(name, before, after) {
      if (this.isConnected && before !== after) this.scheduleRestart();
    }

    /** One restart for a burst of changes: an element upgraded after its attributes were set gets
     * a callback per attribute and one for being connected, all in the same task. */
    scheduleRestart() {
      if (this.restartQueued) return;
      this.restartQueued = true;
      queueMicrotask(() => {
        this.restartQueued = false;
        this.restart();
      });
    }

    get lang() {
      const lang = (this.getAttribute("locale") || document.documentElement.lang || "fr").slice(0, 2);
      return TEXTS[lang] ? lang : "en";
    }

    get t() {
      return TEXTS[this.lang];
    }

    // ---- the API ------------------------------------------------------------------------------

    async call(method, path, body, extraHeaders = {}) {
      const base = (this.getAttribute("api-url") || "").replace(/\/$/, "");
      const headers = { "X-Api-Key": this.getAttribute("api-key") || "", ...extraHeaders };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      let response;
      try {
        response = await fetch(base + path, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
          keepalive: method === "DELETE",
        });
      } catch (exc) {
        this.fail({ code: "network", message: this.t.network });
        throw exc;
      }
      const data = response.status === 204 ? null : await response.json().catch(() => null);
      return { status: response.status, data };
    }

    async get(path) {
      const { status, data } = await this.call("GET", path);
      if (status >= 400) {
        this.fail(data?.error || { code: "http-" + status, message: this.t.network });
        throw new Error(`GET ${path}: ${status}`);
      }
      return data;
    }

    async getAll(path) {
      const items = [];
      let cursor = null;
      do {
        const sep = path.includes("?") ? "&" : "?";
        const page = await this.get(path + sep + "limit=100" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      return items;
    }

    emit(name, detail) {
      this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
    }

    fail(error) {
      this.emit("creneau:error", error);
      this.announce(error.message);
    }

    announce(message) {
      if (this.alert) this.alert.textContent = message || "";
    }

    // ---- steps --------------------------------------------------------------------------------

    async restart() {
      if (!this.getAttribute("api-url") || !this.getAttribute("api-key")) return;
      const generation = ++this.generation;
      this.releaseLock();
      this.state = { values: {} };
      this.frame(el("p", { text: this.t.loading }));
      const [settings, categories, services, calendars] = await Promise.all([
        this.get("/v1/settings"), this.getAll("/v1/service-categories"), this.getAll("/v1/services"),
        this.getAll("/v1/calendars"),
      ]);
      if (generation !== this.generation) return; // a later restart (an attribute changed) took over
      Object.assign(this.state, { settings, categories, services, calendars });
      this.state.service = services.find((s) => s.id === this.getAttribute("service-id")) || null;
      this.state.calendar = calendars.find((c) => c.id === this.getAttribute("calendar-id")) || null;
      this.next();
    }

    /** The first step still to take, in the order the tenant's calendar_choice gives. */
    next() {
      const s = this.state;
      const order = s.settings.calendar_choice === "calendar_first" ? ["calendar", "service"] : ["service", "calendar"];
      for (const step of order) {
        if (step === "service" && !s.service) return this.chooseService();
        if (step === "calendar" && s.calendar === null) return this.chooseCalendar();
      }
      this.showSlots();
    }

    frame(...content) {
      this.alert = el("div", { class: "alert", role: "alert", "aria-live": "assertive" });
      const main = el("div", { class: "step" }, ...content);
      this.shadowRoot.replaceChildren(
        el("style", { text: STYLE }),
        el("section", { "aria-labelledby": "creneau-title", lang: this.lang },
          el("h2", { id: "creneau-title", text: this.t.title }), this.alert, main),
      );
      const focusable = main.querySelector("h3[tabindex], button, input, select");
      focusable?.focus();
      return main;
    }

    heading(text) {
      return el("h3", { tabindex: "-1", text });
    }

    choiceList(items, label, pick) {
      return el("ul", { class: "choices", "aria-label": label },
        ...items.map((item) => el("li", {}, el("button", { type: "button", onclick: () => pick(item) }, item.name))));
    }

    backButton(onBack) {
      return el("div", { class: "nav" }, el("button", { type: "button", onclick: onBack, text: this.t.back }));
    }

    servicesOffered() {
      const s = this.state;
      const calendar = s.calendar && s.calendar !== "any" ? s.calendar : null;
      return s.services.filter((svc) => !calendar || calendar.service_ids.includes(svc.id));
    }

    chooseService() {
      const s = this.state;
      const offered = this.servicesOffered();
      const categories = s.categories.filter((c) => offered.some((svc) => svc.category_id === c.id));
      if (categories.length > 1 && !s.category) {
        this.frame(this.heading(this.t.category),
          this.choiceList(categories, this.t.category, (c) => { s.category = c; this.next(); }));
        return;
      }
      const inCategory = offered.filter((svc) => !s.category || svc.category_id === s.category.id);
      this.frame(this.heading(this.t.service),
        this.choiceList(inCategory, this.t.service, (svc) => { s.service = svc; this.next(); }),
        s.category ? this.backButton(() => { s.category = null; this.next(); }) : null);
    }

    chooseCalendar() {
      const s = this.state;
      const candidates = s.calendars.filter((c) => !s.service || c.service_ids.includes(s.service.id));
      const serviceFirst = s.settings.calendar_choice !== "calendar_first";
      if (candidates.length === 1 && serviceFirst) {
        s.calendar = candidates[0];
        return this.next();
      }
      const options = s.settings.any_calendar ? [{ id: "any", name: this.t.anyCalendar }, ...candidates] : candidates;
      this.frame(this.heading(this.t.calendar),
        this.choiceList(options, this.t.calendar, (c) => { s.calendar = c.id === "any" ? "any" : c; this.next(); }),
        serviceFirst ? this.backButton(() => { s.service = null; this.next(); }) : null);
    }

    slotQuery() {
      const s = this.state;
      const calendar = s.calendar && s.calendar !== "any" ? "&calendar_id=" + encodeURIComponent(s.calendar.id) : "";
      return "service_id=" + encodeURIComponent(s.service.id) + calendar;
    }

    formatTime(iso, zone, withDay = true) {
      const options = withDay
        ? { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: zone }
        : { hour: "2-digit", minute: "2-digit", timeZone: zone };
      return new Intl.DateTimeFormat(this.lang, options).format(new Date(iso));
    }

    async fetchSlots(fromDate) {
      const s = this.state;
      const zone = s.calendar && s.calendar !== "any" ? s.calendar.timezone : s.settings.timezone;
      const from = fromDate || isoDate(new Date(), zone);
      const to = isoDate(new Date(Date.parse(from + "T12:00:00Z") + (DAYS_SHOWN - 1) * 86400000), "UTC");
      const answer = await this.get(`/v1/slots?${this.slotQuery()}&from=${from}&to=${to}`);
      s.window = { from, to };
      return answer;
    }

    async showSlots(fromDate, notice) {
      const s = this.state;
      const answer = await this.fetchSlots(fromDate);
      const main = this.frame(this.heading(this.t.slots), notice ? el("p", { class: "alert-inline", text: notice }) : null,
        ...this.slotPicker(answer),
        this.backButton(() => {
          if (s.settings.calendar_choice === "calendar_first") s.service = null;
          else s.calendar = null;
          this.next();
        }));
      if (notice) this.announce(notice);
      return main;
    }

    /** Slots grouped by day in the answer's zone; arrow keys move between them (one tab stop). */
    slotPicker({ timezone, slots }) {
      const s = this.state;
      const days = new Map();
      for (const slot of slots) {
        const key = new Intl.DateTimeFormat(this.lang, { weekday: "long", day: "numeric", month: "long", timeZone: timezone })
          .format(new Date(slot.start));
        if (!days.has(key)) days.set(key, []);
        days.get(key).push(slot);
      }
      let chosen = null;
      const bookButton = el("button", { type: "button", class: "primary", disabled: true, text: this.t.book,
        onclick: () => chosen && this.takeLock(chosen, timezone) });
      const buttons = [];
      const dayNodes = [...days].map(([label, daySlots], d) => {
        const id = `creneau-day-${d}`;
        return el("div", { class: "day", role: "group", "aria-labelledby": id },
          el("h4", { id, text: label }),
          el("div", { class: "times" }, ...daySlots.map((slot) => {
            const button = el("button", {
              type: "button", "aria-pressed": "false", tabindex: buttons.length ? "-1" : "0",
              "data-start": slot.start, "aria-label": this.formatTime(slot.start, timezone),
              onclick: () => {
                chosen = slot;
                for (const b of buttons) b.setAttribute("aria-pressed", String(b === button));
                bookButton.disabled = false;
              },
            }, this.formatTime(slot.start, timezone, false));
            button.dataset.day = d;
            buttons.push(button);
            return button;
          })));
      });
      const days_ = el("div", { class: "days", onkeydown: (e) => this.moveFocus(e, buttons) }, ...dayNodes);
      const today = isoDate(new Date(), timezone);
      const shift = (n) => isoDate(new Date(Date.parse(s.window.from + "T12:00:00Z") + n * 86400000), "UTC");
      return [
        el("p", { class: "zone", text: this.t.zone(timezone) }),
        slots.length ? days_ : el("p", { text: this.t.noSlots }),
        el("div", { class: "nav" },
          s.window.from > today ? el("button", { type: "button", text: this.t.earlier,
            onclick: () => this.showSlots(shift(-DAYS_SHOWN) < today ? today : shift(-DAYS_SHOWN)) }) : null,
          el("button", { type: "button", text: this.t.later, onclick: () => this.showSlots(shift(DAYS_SHOWN)) })),
        el("div", { class: "actions" }, bookButton),
      ];
    }

    moveFocus(event, buttons) {
      const at = buttons.indexOf(this.shadowRoot.activeElement);
      if (at < 0) return;
      const day = Number(buttons[at].dataset.day);
      const firstOfDay = (d) => buttons.findIndex((b) => Number(b.dataset.day) === d);
      const moves = {
        ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1,
        ArrowDown: firstOfDay(day + 1), ArrowUp: firstOfDay(day - 1),
      };
      if (!(event.key in moves)) return;
      const target = buttons[moves[event.key]];
      event.preventDefault();
      if (!target) return;
      buttons[at].tabIndex = -1;
      target.tabIndex = 0;
      target.focus();
    }

    // ---- the lock and the form ----------------------------------------------------------------

    async takeLock(slot, timezone) {
      const s = this.state;
      const body = { service_id: s.service.id, start: slot.start };
      if (s.calendar && s.calendar !== "any") body.calendar_id = s.calendar.id;
      else if (slot.calendar_ids?.length) body.calendar_id = slot.calendar_ids[0];
      if (this.lock) body.lock_code = this.lock.lock_code; // moves our own hold
      const { status, data } = await this.call("POST", "/v1/locks", body);
      if (status === 409) {
        this.lock = null;
        return this.showSlots(s.window?.from, this.t.taken);
      }
      if (status !== 201) return this.fail(data?.error || { code: "http-" + status, message: this.t.network });
      this.lock = { ...data, taken_at: Date.now() };
      s.timezone = timezone;
      this.emit("creneau:locked", { lock_code: data.lock_code, start: data.start, end: data.end,
        calendar_id: data.calendar_id, expires_at: data.expires_at });
      this.showForm();
    }

    releaseLock() {
      clearTimeout(this.expiryTimer);
      if (!this.lock) return;
      const code = this.lock.lock_code;
      this.lock = null;
      // keepalive: the release still goes out when the page is being left
      this.call("DELETE", "/v1/locks/" + encodeURIComponent(code)).catch(() => {});
    }

    fieldDefinitions() {
      const s = this.state;
      const required = s.settings.require_email;
      return [
        { key: "customer.first_name", label: this.t.firstName, type: "text", required: true, auto: "given-name" },
        { key: "customer.last_name", label: this.t.lastName, type: "text", required: true, auto: "family-name" },
        { key: "customer.email", label: this.t.email, type: "email", required, auto: "email" },
        { key: "customer.phone", label: this.t.phone, type: "tel", required: false, auto: "tel" },
        ...(s.service.fields || []).map((f) => ({ ...f, key: "fields." + f.key })),
        { key: "comments", label: this.t.comments, type: "textarea", required: false },
      ];
    }

    control(def, id) {
      const value = this.state.values[def.key];
      const common = { id, name: def.key, required: def.required, "aria-describedby": id + "-error" };
      if (def.type === "choice") {
        return el("select", common, el("option", { value: "", text: this.t.choose }),
          ...def.options.map((o) => el("option", { value: o, selected: value === o, text: o })));
      }
      if (def.type === "boolean") return el("input", { ...common, type: "checkbox", checked: value === true });
      if (def.type === "textarea") return el("textarea", { ...common, rows: "3" }, value || "");
      const type = def.type === "number" ? "number" : def.type === "text" ? "text" : def.type;
      return el("input", { ...common, type, value: value ?? "", autocomplete: def.auto || false,
        step: def.type === "number" ? "any" : false, min: def.min ?? false, max: def.max ?? false });
    }

    showForm() {
      const s = this.state;
      const defs = this.fieldDefinitions();
      const form = el("form", { novalidate: true, onsubmit: (e) => { e.preventDefault(); this.submit(form, defs); } },
        ...defs.map((def, i) => {
          const id = `creneau-f${i}`;
          const label = el("label", { for: id }, def.label, def.required ? ` (${this.t.required})` : "");
          const control = this.control(def, id);
          const error = el("span", { class: "error", id: id + "-error", "data-for": def.key });
          return def.type === "boolean"
            ? el("div", { class: "field" }, el("span", {}, control, " ", label), error)
            : el("div", { class: "field" }, label, control, error);
        }),
        el("div", { class: "actions" },
          el("button", { type: "submit", class: "primary", text: this.t.confirm }),
          el("button", { type: "button", text: this.t.otherTime, onclick: () => { this.keepValues(form, defs); this.releaseLock(); this.showSlots(s.window?.from); } })));
      const hold = el("p", { class: "hold", text: "" });
      this.frame(this.heading(this.t.details), hold, form);
      this.form = form;
      form.addEventListener("input", () => this.renewIfDue(form, defs, hold));
      this.holdUntil(form, defs, hold);
    }

    /** Show until when the time is held, and watch for the hold's end. */
    holdUntil(form, defs, hold) {
      const s = this.state;
      const until = this.formatTime(this.lock.expires_at, s.timezone, false);
      hold.textContent = `${s.service.name} — ${this.formatTime(this.lock.start, s.timezone)}. ${this.t.heldUntil(until)}`;
      clearTimeout(this.expiryTimer);
      const left = Date.parse(this.lock.expires_at) - Date.now();
      this.expiryTimer = setTimeout(() => this.lockExpired(form, defs), Math.max(0, left));
    }

    /** The hold is kept while the form is being filled: typing once half of it has passed renews it
     * (posting the same lock code at the same time extends it). An idle form lets it expire. */
    async renewIfDue(form, defs, hold) {
      const lock = this.lock;
      if (!lock || this.renewing) return;
      const life = Date.parse(lock.expires_at) - lock.taken_at;
      if (Date.now() - lock.taken_at < life / 2 || Date.now() >= Date.parse(lock.expires_at)) return;
      this.renewing = true;
      const body = { service_id: lock.service_id, start: lock.start, calendar_id: lock.calendar_id, lock_code: lock.lock_code };
      const { status, data } = await this.call("POST", "/v1/locks", body).finally(() => { this.renewing = false; });
      if (status !== 201 || this.lock !== lock) return; // not renewed: the expiry says so when it comes
      this.lock = { ...data, taken_at: Date.now() };
      this.holdUntil(form, defs, hold);
    }

    keepValues(form, defs) {
      for (const def of defs) {
        const input = form.elements[def.key];
        this.state.values[def.key] = def.type === "boolean" ? input.checked : input.value;
      }
    }

    async lockExpired(form, defs) {
      this.keepValues(form, defs);
      this.lock = null;
      const { slot } = await this.get(`/v1/slots/first?${this.slotQuery()}`);
      const zone = this.state.timezone;
      const main = this.frame(this.heading(this.t.expired), el("p", { class: "hold", text: this.t.expired }));
      main.append(slot
        ? el("div", { class: "actions" }, el("button", { type: "button", class: "primary",
            text: this.t.takeNext(this.formatTime(slot.start, zone)), onclick: () => this.takeLock(slot, zone) }))
        : el("p", { text: this.t.noNext }));
      main.append(el("div", { class: "nav" }, el("button", { type: "button", text: this.t.otherTime, onclick: () => this.showSlots() })));
      this.announce(this.t.expired);
    }

    /** The values as the API takes them, and the problems the API would find (same rules). */
    collect(form, defs) {
      const body = { customer: {}, fields: {}, comments: "" };
      const problems = [];
      for (const def of defs) {
        const input = form.elements[def.key];
        let value = def.type === "boolean" ? input.checked : input.value.trim();
        const missing = value === "" || (def.type === "boolean" && def.required && value === false);
        if (missing && def.required) problems.push({ field: def.key, message: this.t.isRequired(def.label) });
        else if (value !== "" && def.type === "number") {
          value = Number(value);
          if (!Number.isFinite(value)) problems.push({ field: def.key, message: this.t.mustBeNumber });
          else if (def.min != null && value < def.min) problems.push({ field: def.key, message: this.t.atLeast(def.min) });
          else if (def.max != null && value > def.max) problems.push({ field: def.key, message: this.t.atMost(def.max) });
        } else if (value !== "" && def.type === "choice" && !def.options.includes(value)) {
          problems.push({ field: def.key, message: this.t.mustBeChoice });
        } else if (value !== "" && def.type === "email" && !EMAIL.test(value)) {
          problems.push({ field: def.key, message: this.t.badEmail });
        }
        const [group, key] = def.key.includes(".") ? def.key.split(".") : [null, def.key];
        if (value === "" && (group === "fields" || key === "email")) continue; // absent, as the API reads it
        if (group) body[group][key] = value;
        else body[key] = value;
      }
      return { body, problems };
    }

    showProblems(form, problems) {
      const shown = new Set();
      for (const node of form.querySelectorAll(".error")) {
        const mine = problems.filter((p) => p.field === node.dataset.for);
        node.textContent = mine.map((p) => p.message).join(" ");
        const control = form.elements[node.dataset.for];
        if (mine.length) control.setAttribute("aria-invalid", "true");
        else control.removeAttribute("aria-invalid");
        mine.forEach((p) => shown.add(p));
      }
      const others = problems.filter((p) => !shown.has(p)).map((p) => `${p.field}: ${p.message}`);
      this.announce([this.t.fixFields, ...others].join(" "));
      form.querySelector("[aria-invalid=true]")?.focus();
    }

    async submit(form, defs) {
      const s = this.state;
      const { body, problems } = this.collect(form, defs);
      if (problems.length) return this.showProblems(form, problems);
      if (!this.lock) return this.lockExpired(form, defs);
      this.keepValues(form, defs);
      Object.assign(body, { service_id: s.service.id, start: this.lock.start, calendar_id: this.lock.calendar_id,
        lock_code: this.lock.lock_code });
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const key = (crypto.randomUUID?.() || String(Math.random()).slice(2)) + "-w";
      const { status, data } = await this.call("POST", "/v1/appointments", body, { "Idempotency-Key": key });
      button.disabled = false;
      if (status === 201) return this.confirmed(data);
      if (status === 422) {
        this.emit("creneau:error", data.error);
        return this.showProblems(form, data.error.details || []);
      }
      if (status === 409 && data?.error?.code === "slot-unavailable") {
        clearTimeout(this.expiryTimer);
        this.lock = null;
        this.emit("creneau:error", data.error);
        return this.showSlots(s.window?.from, this.t.taken);
      }
      this.fail(data?.error || { code: "http-" + status, message: this.t.network });
    }

    confirmed(appointment) {
      clearTimeout(this.expiryTimer);
      this.lock = null; // consumed by the booking
      const s = this.state;
      const base = this.getAttribute("api-url").replace(/\/$/, "");
      const token = encodeURIComponent(appointment.manage_token || "");
      const template = s.settings.manage_url_template;
      const manage = template
        ? template.replace("{appointment_id}", appointment.id).replace("{manage_token}", token)
        : `${base}/v1/appointments/${appointment.id}?manage_token=${token}`;
      this.frame(this.heading(this.t.booked),
        el("p", { class: "when", text: `${s.service.name}. ${this.t.bookedAt(this.formatTime(appointment.start, s.timezone))} (${s.timezone})` }),
        appointment.status === "PENDING" ? el("p", { text: this.t.statusPending }) : null,
        el("ul", {},
          el("li", {}, el("a", { class: "ics", href: `${base}/v1/appointments/${appointment.id}/ics?manage_token=${token}`,
            download: "rendez-vous.ics", text: this.t.ics })),
          el("li", {}, el("a", { class: "manage", href: manage, text: this.t.manage }))),
        el("div", { class: "actions" }, el("button", { type: "button", text: this.t.again, onclick: () => this.scheduleRestart() })));
      this.emit("creneau:booked", { appointment_id: appointment.id, start: appointment.start, end: appointment.end });
    }
  }

  CreneauBooking.version = VERSION;
  if (!customElements.get("creneau-booking")) customElements.define("creneau-booking", CreneauBooking);
})();
