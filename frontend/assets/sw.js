// Kith's service worker, bundled with Workbox by `make assets` and loaded by /sw.js,
// which sets self.KITH first: the shell's files to keep (with revisions) and the
// offline page (frontend/views/app.py).
//
// What it keeps:
// - the shell (styles, scripts, icons, the offline page), precached and served from
//   the cache, refreshed when a release changes them;
// - a member's own day, as she last opened it: /day/ and the record sheets of her
//   visits (which my day fetches ahead while there is signal), network first, from the
//   cache only when Kith cannot be reached. Nothing else of anyone's: other pages go
//   to the network, and without signal show the offline page.
// The day's cache is emptied by the page when someone else signs in on this phone,
// and by signing out (Clear-Site-Data).

import { matchPrecache, precacheAndRoute } from "workbox-precaching";
import { registerRoute, setCatchHandler } from "workbox-routing";
import { NetworkFirst, NetworkOnly } from "workbox-strategies";

// outbox.js empties this cache when someone else signs in.
const DAY_CACHE = "kith-day";
const config = self.KITH;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

precacheAndRoute(config.precache);

const SHEET = /^\/day\/visits\/\d+\/done\/$/;

function isDay(url) {
  return url.origin === self.location.origin && (url.pathname === "/day/" || SHEET.test(url.pathname));
}

// A page and the part htmx asks for at the same address are two different answers:
// kept under two keys.
const htmxKey = {
  cacheKeyWillBeUsed: async ({ request }) => {
    if (!request.headers.get("HX-Request")) return request;
    const url = new URL(request.url);
    url.searchParams.set("_hx", "1");
    return url.href;
  },
};

// Only a real answer for the person signed in is kept: not a redirect to sign in,
// not a refusal.
const onlyAnswers = {
  cacheWillUpdate: async ({ response }) =>
    response && response.status === 200 && !response.redirected ? response : null,
};

registerRoute(
  ({ url, request }) => request.method === "GET" && isDay(url),
  new NetworkFirst({
    cacheName: DAY_CACHE,
    networkTimeoutSeconds: 6,
    plugins: [htmxKey, onlyAnswers],
  }),
);

registerRoute(({ request }) => request.mode === "navigate", new NetworkOnly());

setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") {
    return (await matchPrecache(config.offline)) ?? Response.error();
  }
  return Response.error();
});
