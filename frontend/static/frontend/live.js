// The one owner of the live socket.
//
// The page renders a snapshot and, beside it, the stream heads it was read at
// (<script id="kith-live" type="application/json">{"streams": {"team.3": 41}}</script>).
// This module connects with those heads, so the server replays anything published
// after the snapshot, then forwards live events. It reconnects with exponential
// backoff and full jitter, resumes from the last sequence number it applied, and
// treats a jump in sequence numbers as a lost message: it reconnects to have the
// server replay the gap from its log.
//
// Every applied event is dispatched on `document` as a "kith:event" CustomEvent;
// "kith:reset" asks the page to reload its state (too much was missed to replay).

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20000;

export class LiveSocket {
  constructor(streams, { url = "/ws/live/", statusElement = null } = {}) {
    this.last = { ...streams };
    this.url = url;
    this.statusElement = statusElement;
    this.attempt = 0;
    this.socket = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
    window.addEventListener("online", () => {
      // Back: now, not when the backoff that ran while offline would have tried.
      clearTimeout(this.timer);
      this.timer = null;
      this.reconnectSoon(0);
    });
    // The phone knows before the socket does: say so at once, and stop waiting on it.
    window.addEventListener("offline", () => {
      if (this.stopped) return;
      if (this.socket) {
        const old = this.socket;
        this.socket = null;
        old.close();
      }
      this.reconnectSoon();
    });
    return this;
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close();
  }

  connect() {
    const since = Object.entries(this.last).map(([s, n]) => `${s}:${n}`).join(",");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // Pages that show who is online ask to hear when teammates come and go.
    const presence = document.querySelector("[data-live-presence]") ? "&presence=1" : "";
    const socket = new WebSocket(`${scheme}://${location.host}${this.url}?since=${encodeURIComponent(since)}${presence}`);
    this.socket = socket;
    this.setStatus("connecting");
    socket.addEventListener("message", (m) => this.onMessage(JSON.parse(m.data)));
    socket.addEventListener("close", (e) => {
      if (this.socket !== socket) return;
      this.socket = null;
      // The session ended (4401: signed out here or elsewhere) or the person is no longer
      // allowed (4403): retrying will not help.
      if (e.code === 4401 || e.code === 4403) {
        this.setStatus(e.code === 4401 ? "signed_out" : "closed");
        return;
      }
      this.reconnectSoon();
    });
  }

  reconnectSoon(delay) {
    if (this.stopped || this.timer) return;
    if (this.socket) {
      const old = this.socket;
      this.socket = null;
      old.close();
    }
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempt);
    const wait = delay ?? Math.random() * ceiling; // full jitter: spread a reconnect storm
    this.attempt += 1;
    this.setStatus(navigator.onLine ? "reconnecting" : "offline");
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, wait);
  }

  onMessage(message) {
    switch (message.type) {
      case "ready":
        this.attempt = 0;
        this.setStatus("live");
        break;
      case "event": {
        const last = this.last[message.stream];
        if (last === undefined || message.seq <= last) return; // seen already
        if (message.seq !== last + 1) {
          this.reconnectSoon(0); // a gap: the server replays it from the log
          return;
        }
        this.last[message.stream] = message.seq;
        document.dispatchEvent(new CustomEvent("kith:event", { detail: message }));
        break;
      }
      case "reset":
        this.last[message.stream] = message.head;
        document.dispatchEvent(new CustomEvent("kith:reset", { detail: message }));
        break;
      case "revoked":
        for (const stream of message.streams) delete this.last[stream];
        document.dispatchEvent(new CustomEvent("kith:revoked", { detail: message }));
        break;
      case "presence":
        // Ephemeral (not in the log, no sequence number): a teammate came or went.
        document.dispatchEvent(new CustomEvent("kith:presence", { detail: message }));
        break;
    }
  }

  setStatus(state) {
    document.documentElement.dataset.live = state;
    const el = this.statusElement;
    if (!el) return;
    const words = { connecting: "Connecting…", reconnecting: "Cannot reach Kith, retrying…", offline: "Offline", live: "Live", closed: "Not live", signed_out: "Signed out: reload to sign in" };
    el.hidden = false;
    el.textContent = words[state] ?? "";
    el.dataset.state = state;
  }
}

function boot() {
  noteAnnouncements(false);
  // The page's streams (kith-live) and the person's own stream, which the header's
  // notifications bell follows on every signed-in page (kith-person).
  const configs = ["kith-live", "kith-person"].map((id) => document.getElementById(id)).filter(Boolean);
  if (!configs.length) return;
  const streams = Object.assign({}, ...configs.map((c) => JSON.parse(c.textContent).streams));
  window.kithLive = new LiveSocket(streams, {
    statusElement: document.getElementById("live-status"),
  }).start();
}

// Is someone in the middle of something in this section? Then a refresh would throw
// their work away: a section marked data-editing (a form showing its messages), a
// field that holds focus or differs from what the server sent, an opened form.
export function isBeingEdited(el) {
  if (el.hasAttribute("data-editing")) return true;
  const active = document.activeElement;
  if (active && active !== document.body && el.contains(active) && active.matches("input, textarea, select")) {
    return true;
  }
  if (el.querySelector("details[open] form")) return true;
  for (const field of el.querySelectorAll("input, textarea, select")) {
    if (field.type === "hidden") continue;
    if (field.type === "checkbox" || field.type === "radio") {
      if (field.checked !== field.defaultChecked) return true;
    } else if (field.tagName === "SELECT") {
      // With no option marked selected, a drop-down shows its first: that is its default.
      const marked = [...field.options].some((o) => o.defaultSelected);
      const first = !marked && !field.multiple && field.size <= 1;
      for (const [i, option] of [...field.options].entries()) {
        if (option.selected !== (marked ? option.defaultSelected : first && i === 0)) return true;
      }
    } else if (field.value !== field.defaultValue) {
      return true;
    }
  }
  return false;
}

// Does this event concern the section? A section may narrow what it listens to:
// data-stream="client.7.plan" (that stream's events only), data-live-client="7"
// (events about client 7 only) and data-live-types="plan. client." (event types
// starting with one of these words).
export function concerns(el, message) {
  const stream = el.dataset.stream;
  if (stream && message?.stream !== stream) return false;
  // A person's own stream (notifications) concerns only the sections that name it.
  if (!stream && (message?.stream ?? "").startsWith("person.")) return false;
  const client = el.dataset.liveClient;
  if (client && String(message?.data?.client) !== client) return false;
  const types = el.dataset.liveTypes;
  if (types && !types.split(/\s+/).some((t) => t && (message?.event ?? "").startsWith(t))) return false;
  return true;
}

// Sections that show live state carry hx-trigger="kith:refresh"; they re-fetch
// themselves from the server when an event arrives, unless someone is editing them.
function refreshLiveSections(event) {
  const message = event?.detail;
  for (const el of document.querySelectorAll('[hx-trigger~="kith:refresh"]')) {
    if (message && !concerns(el, message)) continue;
    if (isBeingEdited(el)) continue;
    // An action from inside the section is on its way: its answer is the fresh state.
    if (el.classList.contains("htmx-request") || el.querySelector(".htmx-request")) continue;
    window.htmx?.trigger(el, "kith:refresh");
  }
}

// A refresh already on its way when someone acted inside the section must not land
// over the action: it would replace the form whose answer is still coming, and that
// answer (the fresh state, and any "someone else has it" message it carries out of
// band) would find nothing left to land in. The action's answer is the fresher.
document.addEventListener("htmx:beforeSwap", (event) => {
  const { requestConfig, target } = event.detail;
  if (requestConfig?.triggeringEvent?.type !== "kith:refresh") return;
  if (target?.querySelector?.(".htmx-request")) event.detail.shouldSwap = false;
});

// A refresh the socket caused is not someone using the page: it says so, so that a
// page left open does not keep its session from ending when idle (config/sessions.py).
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail?.triggeringEvent?.type === "kith:refresh") {
    event.detail.headers["X-Kith-Refresh"] = "1";
  }
});

// Access to some streams ended (the client revoked a scope): what the page shows of
// them goes at once; the server refuses them from now on. Elements carry the stream
// they show in data-stream; a container marked data-live-empty reveals its
// [data-empty-note] when nothing of any stream is left in it.
function dropRevoked(event) {
  const gone = new Set(event.detail?.streams ?? []);
  for (const el of document.querySelectorAll("[data-stream]")) {
    if (gone.has(el.dataset.stream)) el.remove();
  }
  for (const box of document.querySelectorAll("[data-live-empty]")) {
    const note = box.querySelector("[data-empty-note]");
    if (note && !box.querySelector("[data-stream]")) note.hidden = false;
  }
}

// Elements with data-announce="<key>" (a status line, the newest activity) are read
// out through the page's one polite live region when their text changes after a swap
// (or first appears); a refresh that changed nothing says nothing.
const announced = new Map();

function noteAnnouncements(speak) {
  const region = document.getElementById("announce");
  for (const el of document.querySelectorAll("[data-announce]")) {
    const key = el.dataset.announce;
    const text = el.textContent.replace(/\s+/g, " ").trim();
    if (announced.get(key) === text) continue;
    announced.set(key, text);
    if (speak && region) region.textContent = text;
  }
}

// Sections showing who is online (data-live-presence) re-read it when someone
// comes or goes; nothing else listens to presence.
function refreshPresence() {
  for (const el of document.querySelectorAll("[data-live-presence]")) {
    if (!isBeingEdited(el)) window.htmx?.trigger(el, "kith:refresh");
  }
}

document.addEventListener("kith:event", refreshLiveSections);
document.addEventListener("kith:presence", refreshPresence);
document.addEventListener("kith:revoked", dropRevoked);
document.addEventListener("htmx:afterSettle", () => noteAnnouncements(true));
document.addEventListener("kith:reset", () => location.reload());

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", boot);
} else {
  boot();
}
