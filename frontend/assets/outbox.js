// The outbox: what a nurse saves with no signal is kept on the phone and sent, in
// order, when Kith can be reached again; and on every page a status that says where
// her writes are. Bundled with idb by `make assets`.
//
// - A form marked data-outbox (the record sheet, the board's visit steps, a diary
//   note) carries an Idempotency-Key, made at the tap. If the request cannot reach
//   Kith, the form is kept in IndexedDB with that key, the version it saw, what it
//   was ("Done: Mrs Jansen, 08:00") and whose it is; it survives a reload and a
//   browser restart.
// - When the connection returns (and on every page while some wait) the waiting
//   forms are sent one by one, oldest first, each under its own key: a form that
//   reached Kith before the signal went is not applied twice (config/idempotency.py).
// - A refusal stops the queue where it is (later writes may depend on it) and says
//   why in Kith's words; a conflict (409: someone changed the thing meanwhile) shows
//   what changed and lets her send it again over the change or discard it. Nothing is
//   dropped without her say.
// - A member's day is kept by the service worker (frontend/assets/sw.js, registered
//   here); when someone else signs in on this phone, the kept day is emptied first.
//   Signing out warns of writes still waiting, then clears everything
//   (frontend/views/app.py, SignOut).
//
// Written by hand on idb: no library keeps htmx's form posts for later; Workbox's
// background sync replays requests blindly, where a nurse must see and decide a
// conflict.

import { openDB } from "idb";

const DAY_CACHE = "kith-day";
const RETRY_MS = 15000;
const body = document.body;
const offlinePage = body.hasAttribute("data-offline-page");

const db = openDB("kith-outbox", 1, {
  upgrade(database) {
    database.createObjectStore("items", { keyPath: "id", autoIncrement: true });
    database.createObjectStore("meta");
  },
  // Signing out deletes the outbox (Clear-Site-Data): this page's connection must not
  // hold the deletion up.
  blocking(_current, _next, event) {
    event.target.close();
  },
});

async function metaGet(name) {
  return (await db).get("meta", name);
}

async function metaSet(name, value) {
  return (await db).put("meta", value, name);
}

// Whose writes this page sends: the signed-in person, or (on the offline page, which
// knows nobody) whoever last used Kith on this phone.
async function owner() {
  if (body.dataset.person) return body.dataset.person;
  return offlinePage ? (await metaGet("person")) ?? "" : "";
}

async function mine() {
  const who = await owner();
  const all = await (await db).getAll("items");
  return all.filter((item) => item.person === who).sort((a, b) => a.id - b.id);
}

function csrfToken() {
  try {
    return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

// --- the status, on every page ---------------------------------------------------------

const statusButton = document.getElementById("outbox-status");
const panel = document.getElementById("outbox-panel");
let sending = false;
let sentThisPage = 0;
let waitingHere = 0; // as last read: signing out asks first only when some wait

function words(items) {
  const waiting = items.length;
  const stuck = items.find((item) => item.state !== "waiting");
  if (stuck) return { state: "problem", text: "Could not send: see why" };
  if (sending) return { state: "sending", text: "Sending…" };
  if (waiting) return { state: "waiting", text: `Saved on this phone (${waiting} waiting)` };
  return { state: "sent", text: "On the server" };
}

async function render() {
  if (!statusButton) return;
  const items = await mine();
  waitingHere = items.length;
  const said = words(items);
  statusButton.hidden = !(await owner());
  statusButton.textContent = said.text;
  statusButton.dataset.state = said.state;
  document.documentElement.dataset.outbox = said.state;
  if (sentThisPage && said.state === "sent") statusButton.textContent = "All sent: on the server";
  markVisits(items);
  if (!panel) return;
  if (!items.length) {
    panel.hidden = true;
    statusButton.setAttribute("aria-expanded", "false");
  }
  if (said.state === "problem") openPanel();
  fillPanel(items);
}

function openPanel() {
  if (!panel) return;
  panel.hidden = false;
  statusButton?.setAttribute("aria-expanded", "true");
}

statusButton?.addEventListener("click", () => {
  if (!panel) return;
  const open = panel.hidden;
  panel.hidden = !open;
  statusButton.setAttribute("aria-expanded", String(open));
  if (open) panel.scrollIntoView({ block: "nearest" });
});

function button(text, action, id) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.dataset.outboxAction = action;
  b.dataset.outboxItem = String(id);
  return b;
}

function fillPanel(items) {
  const list = document.getElementById("outbox-items");
  const summary = document.getElementById("outbox-summary");
  if (!list || !summary) return;
  summary.textContent = items.length
    ? "Kept here until Kith can be reached, then sent in this order."
    : "Nothing waiting: everything is on the server.";
  list.replaceChildren(
    ...items.map((item) => {
      const li = document.createElement("li");
      li.dataset.state = item.state;
      const what = document.createElement("p");
      const strong = document.createElement("strong");
      strong.textContent = item.label;
      const when = new Date(item.at).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
      what.append(strong, ` · saved at ${when}`);
      li.append(what);
      if (item.state !== "waiting") {
        const why = document.createElement("p");
        why.className = item.state === "conflict" ? "notice" : "error";
        why.setAttribute("role", "alert");
        why.textContent = item.problem;
        const actions = document.createElement("p");
        actions.className = "actions";
        if (item.state === "conflict") actions.append(button("Send mine over it", "redo", item.id));
        else if (item.state === "signin") {
          const a = document.createElement("a");
          a.href = "/login/?next=" + encodeURIComponent(location.pathname);
          a.className = "button";
          a.textContent = "Sign in again";
          actions.append(a);
        } else actions.append(button("Send again", "retry", item.id));
        actions.append(button("Discard it", "discard", item.id));
        li.append(why, actions);
      } else if (item.problem) {
        const why = document.createElement("p");
        why.className = "meta";
        why.textContent = item.problem;
        li.append(why);
      }
      return li;
    }),
  );
}

panel?.addEventListener("click", async (event) => {
  const target = event.target.closest("[data-outbox-action]");
  if (!target) return;
  const id = Number(target.dataset.outboxItem);
  const store = await db;
  const item = await store.get("items", id);
  if (!item) return render();
  const action = target.dataset.outboxAction;
  if (action === "discard") {
    if (!confirm(`Discard “${item.label}”? It was never recorded in Kith.`)) return;
    await store.delete("items", id);
  } else {
    if (action === "redo" && item.current) {
      // Over what changed: the version there is now, as a new request.
      const form = new URLSearchParams(item.body);
      form.set("version", item.current);
      item.body = form.toString();
      item.version = item.current;
    }
    item.key = crypto.randomUUID();
    item.state = "waiting";
    item.problem = "";
    await store.put("items", item);
  }
  await render();
  flush();
});

// Visits with a write waiting say so where they are listed (my day, the board).
function markVisits(items) {
  const waiting = new Set(items.map((item) => item.visit).filter(Boolean));
  for (const el of document.querySelectorAll("[data-visit]")) {
    const has = waiting.has(el.dataset.visit);
    let tag = el.querySelector(":scope .outbox-tag");
    if (has && !tag) {
      tag = document.createElement("span");
      tag.className = "tag outbox-tag";
      tag.textContent = "Saved on this phone";
      (el.querySelector(".visit-when") ?? el).append(" ", tag);
    } else if (!has && tag) tag.remove();
  }
}

// --- keeping a form that could not be sent ---------------------------------------------

function outboxForm(elt) {
  return elt?.closest?.("form[data-outbox]") ?? null;
}

body.addEventListener("htmx:configRequest", (event) => {
  const form = outboxForm(event.detail.elt);
  if (!form || event.detail.verb === "get") return;
  // One key per tap's request: a second tap after "not saved" sends the same one.
  form.dataset.key ||= crypto.randomUUID();
  event.detail.headers["Idempotency-Key"] = form.dataset.key;
});

body.addEventListener("htmx:afterRequest", (event) => {
  const form = outboxForm(event.detail.elt);
  const status = event.detail.xhr?.status ?? 0;
  if (form && status !== 0 && status < 500) delete form.dataset.key; // answered
});

body.addEventListener("htmx:sendError", async (event) => {
  const form = outboxForm(event.detail.elt);
  const config = event.detail.requestConfig;
  if (!form || !config || config.verb === "get" || !body.dataset.person) return;
  const sent = new URLSearchParams(config.formData ?? new FormData(form));
  const item = {
    person: body.dataset.person,
    url: config.path,
    body: sent.toString(),
    key: form.dataset.key,
    version: sent.get("version") ?? "",
    label: form.dataset.outbox,
    visit: form.dataset.visit ?? "",
    at: Date.now(),
    state: "waiting",
    problem: "",
  };
  try {
    await (await db).add("items", item);
  } catch {
    const note = document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    note.textContent = "Not saved: Kith could not be reached and this phone could not keep it. Tap again when there is signal.";
    form.append(note);
    return;
  }
  delete form.dataset.key;
  kept(form, item.key);
  await render();
});

function kept(form, key) {
  const note = document.createElement("p");
  note.className = "ok";
  note.setAttribute("role", "status");
  note.dataset.outboxNote = key;
  note.textContent = `${form.dataset.outbox}: saved on this phone. It will be sent when there is signal.`;
  const sheet = form.closest(".sheet");
  if (sheet) {
    sheet.replaceChildren(note);
  } else {
    form.querySelector(":scope > .tap-error")?.remove();
    form.after(note);
  }
}

// Asked by taps.js: a form the outbox keeps when it cannot be sent.
window.kithOutbox = { keeps: (form) => Boolean(outboxForm(form) && body.dataset.person) };

// --- sending, in order -----------------------------------------------------------------

function said(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  const found = [...doc.querySelectorAll("[role=alert], .error-box, .errorlist li")]
    .map((el) => el.textContent.trim())
    .filter(Boolean);
  const text = found.length ? [...new Set(found)].join(" ") : doc.body?.textContent?.trim().slice(0, 300);
  return { text: text || "Kith refused it.", version: doc.querySelector("input[name=version]")?.value ?? "" };
}

function toLogin(response) {
  return response.redirected && new URL(response.url).pathname.startsWith("/login");
}

export async function flush() {
  if (sending || !navigator.onLine || !(await owner()) || offlinePage) return;
  sending = true;
  await render();
  const store = await db;
  try {
    for (const item of await mine()) {
      if (item.state !== "waiting") break; // in order: a problem waits for her
      const form = new URLSearchParams(item.body);
      if (form.has("csrfmiddlewaretoken")) form.set("csrfmiddlewaretoken", csrfToken());
      let response;
      try {
        response = await fetch(item.url, {
          method: "POST",
          body: form,
          credentials: "same-origin",
          headers: { "Idempotency-Key": item.key, "X-CSRFToken": csrfToken(), "HX-Request": "true" },
        });
      } catch {
        break; // still no way through: try again later
      }
      if (toLogin(response)) {
        Object.assign(item, { state: "signin", problem: "Your session ended: sign in again to send it." });
        await store.put("items", item);
        break;
      }
      if (response.ok) {
        await store.delete("items", item.id);
        sentThisPage += 1;
        for (const note of document.querySelectorAll(`[data-outbox-note="${CSS.escape(item.key)}"]`)) {
          note.textContent = `${item.label}: sent, on the server.`;
        }
        continue;
      }
      if (response.status >= 500) {
        item.problem = "Kith could not answer just now: it will be sent again shortly.";
        await store.put("items", item);
        break;
      }
      const answer = said(await response.text());
      Object.assign(item, {
        state: response.status === 409 ? "conflict" : "refused",
        problem: answer.text,
        current: answer.version,
      });
      await store.put("items", item);
      break;
    }
  } finally {
    sending = false;
    await render();
  }
  if (sentThisPage) document.dispatchEvent(new CustomEvent("kith:outbox-sent"));
}

// --- the day kept offline, and whose it is ---------------------------------------------

async function keepTheDay() {
  if (offlinePage) return;
  const person = body.dataset.person ?? "";
  const member = body.hasAttribute("data-keeps-day");
  const before = await metaGet("person");
  if (!member || before !== person) {
    // Someone else's (or nobody's) day is not kept for whoever is here now.
    if ("caches" in self) await caches.delete(DAY_CACHE);
  }
  await metaSet("person", member ? person : "");
  if (!member || !("serviceWorker" in navigator)) return;
  await navigator.serviceWorker.register("/sw.js");
  // My day: fetch the record sheets of today's visits while there is signal, so they
  // open without it (the service worker keeps what passes through it).
  if (navigator.onLine && location.pathname === "/day/") {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      // The first visit: the worker takes this page over as it starts (clients.claim).
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }),
      );
    }
    const ahead = [[location.pathname, {}]];
    for (const link of document.querySelectorAll("a[data-sheet]")) {
      ahead.push([link.getAttribute("href"), { "HX-Request": "true" }]);
    }
    for (const [url, headers] of ahead) {
      try {
        await fetch(url, { headers, credentials: "same-origin" });
      } catch {
        return;
      }
    }
    document.documentElement.dataset.dayKept = "true";
  }
}

// Signing out clears what this phone kept, the outbox too: say so first if some wait.
for (const form of document.querySelectorAll("form.logout")) {
  form.addEventListener("submit", async (event) => {
    // Nothing waiting (as last read): the form goes as it is, at once.
    if (form.dataset.confirmed || !waitingHere) return;
    event.preventDefault();
    const waiting = (await mine()).length;
    if (
      waiting &&
      !confirm(
        `${waiting} change${waiting === 1 ? " is" : "s are"} saved on this phone and not yet sent.` +
          ` Signing out throws ${waiting === 1 ? "it" : "them"} away. Sign out anyway?`,
      )
    )
      return;
    form.dataset.confirmed = "1";
    form.requestSubmit();
  });
}

window.addEventListener("online", () => flush());
window.addEventListener("offline", () => render());
setInterval(() => flush(), RETRY_MS);

// A page kept offline says so (my day: as the phone kept it, and when).
function sayOffline() {
  for (const el of document.querySelectorAll("[data-when-offline]")) el.hidden = navigator.onLine;
}
window.addEventListener("online", sayOffline);
window.addEventListener("offline", sayOffline);
sayOffline();

render().then(() => flush());
keepTheDay().catch(() => {});
