// Forms answer a refused write (400, 403, 409) with the partial that shows why, and
// htmx swaps it in (the htmx-config meta in base.html). In DEBUG, django-htmx's helper
// would replace the whole document with any 400/403/404/500 response instead; keep it
// for real error pages (a full HTML document) and let our partials be swapped.
document.body.addEventListener("htmx:beforeOnLoad", (event) => {
  const xhr = event.detail.xhr;
  if (xhr.status < 400 || xhr.status >= 500) return;
  if (/<html[\s>]/i.test(xhr.responseText || "")) return;
  event.stopPropagation(); // not cancelled: htmx goes on to swap the partial
});
