// Every tap that writes says at once that it is being saved, and then what came of it.
//
// The form's button is disabled and reads "Saving…" from the moment the request leaves
// until its answer arrives (htmx requests; a plain form post keeps the label until the
// next page and ignores a second tap). A write that cannot reach Kith, or that Kith
// failed to answer, says so in words beside the button, never only in the console; the
// form keeps what was typed, so tapping again sends it again.
//
// Written by hand: a few lines on htmx's own request events, for which no library adds
// anything.

const SAVING = "Saving…";
const UNREACHABLE =
  "Not saved: Kith could not be reached. Check the signal and tap again; what you typed is kept.";
const FAILED = "Not saved: Kith could not answer just now. Tap again in a moment.";

function buttonOf(event) {
  const submitter = event.detail?.requestConfig?.triggeringEvent?.submitter;
  if (submitter) return submitter;
  const elt = event.detail?.elt;
  if (!elt) return null;
  if (elt.matches("button")) return elt;
  return elt.matches("form") ? elt.querySelector("button[type=submit], button:not([type])") : null;
}

function isWrite(event) {
  const verb = (event.detail?.requestConfig?.verb || "get").toLowerCase();
  return verb !== "get";
}

export function pending(button) {
  if (!button || button.dataset.label !== undefined) return;
  button.dataset.label = button.innerHTML;
  button.textContent = SAVING;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
}

export function settle(button) {
  if (!button || button.dataset.label === undefined) return;
  button.innerHTML = button.dataset.label;
  delete button.dataset.label;
  button.disabled = false;
  button.removeAttribute("aria-busy");
}

function say(button, words) {
  const form = button?.closest("form");
  if (!form) return;
  let note = form.querySelector(":scope > .tap-error");
  if (!note) {
    note = document.createElement("p");
    note.className = "error tap-error";
    note.setAttribute("role", "alert");
    form.append(note);
  }
  note.textContent = words;
}

function unsay(button) {
  button?.closest("form")?.querySelector(":scope > .tap-error")?.remove();
}

document.body.addEventListener("htmx:beforeRequest", (event) => {
  if (!isWrite(event)) return;
  const button = buttonOf(event);
  unsay(button);
  pending(button);
});

document.body.addEventListener("htmx:afterRequest", (event) => {
  if (!isWrite(event)) return;
  const button = buttonOf(event);
  settle(button);
  const status = event.detail?.xhr?.status ?? 0;
  // A form the outbox keeps says "saved on this phone" instead (outbox.js).
  if (status === 0 && window.kithOutbox?.keeps(event.detail?.elt)) return;
  if (status === 0) say(button, UNREACHABLE);
  else if (status >= 500) say(button, FAILED);
});

// Forms without htmx: the page itself answers; until then the tap shows and a second
// one is not sent.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented) return; // held back by the page (signing out asks first)
  if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
  const button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  if (button) {
    button.setAttribute("aria-busy", "true");
    button.dataset.label = button.innerHTML;
    button.textContent = SAVING;
  }
});

// Back to a page kept in the browser's cache: its forms may be sent again.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-sent]")) delete form.dataset.sent;
  for (const button of document.querySelectorAll("button[data-label]")) settle(button);
});
