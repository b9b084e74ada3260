// The header's menu (base.html): on a phone a disclosure, opened from its own button or
// from the bottom bar's More; a tap outside it or Escape closes it. On wide screens the
// menu is always shown (kith.css) and none of this matters.
const menu = document.getElementById("menu");
const openers = [...document.querySelectorAll("[data-opens-menu]")];

function mark() {
  for (const more of openers) more.setAttribute("aria-expanded", String(menu.open));
}

if (menu) {
  for (const more of openers) {
    more.setAttribute("role", "button");
    more.addEventListener("click", (event) => {
      event.preventDefault(); // the fragment is for pages without JavaScript
      menu.open = !menu.open;
      if (menu.open) menu.querySelector(".menu-body a, .menu-body button")?.focus();
    });
  }
  mark();
  menu.addEventListener("toggle", mark);
  document.addEventListener("click", (event) => {
    if (!menu.open || menu.contains(event.target)) return;
    if (openers.some((more) => more.contains(event.target))) return;
    menu.open = false;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !menu.open) return;
    const inside = menu.contains(document.activeElement);
    menu.open = false;
    if (inside) {
      const back = openers.find((more) => more.offsetParent) ?? menu.querySelector("summary");
      back?.focus();
    }
  });
}

// A page's section navigation (.section-nav): the link of the section in view is marked.
const sectionNav = document.querySelector(".section-nav");
if (sectionNav && "IntersectionObserver" in window) {
  const links = new Map();
  for (const link of sectionNav.querySelectorAll('a[href^="#"]')) links.set(link.hash.slice(1), link);
  const seen = new Map();
  const row = sectionNav.querySelector("ul");
  const markSection = () => {
    // The lowest section that shows in the band under the navigation: the one just
    // jumped to, even at the foot of the page, where it cannot reach the top.
    const current = [...links.keys()].filter((id) => seen.get(id)).pop();
    for (const [id, link] of links) {
      if (id === current) link.setAttribute("aria-current", "location");
      else link.removeAttribute("aria-current");
    }
    // Keep the marked link in sight in the row (it scrolls sideways on a phone).
    const link = links.get(current);
    if (link && (link.offsetLeft < row.scrollLeft || link.offsetLeft + link.offsetWidth > row.scrollLeft + row.clientWidth)) {
      row.scrollTo({ left: link.offsetLeft - 16 });
    }
  };
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) seen.set(entry.target.id, entry.isIntersecting);
      markSection();
    },
    { rootMargin: "-112px 0px -55% 0px" },
  );
  const watch = () => {
    observer.disconnect();
    for (const id of links.keys()) {
      const section = document.getElementById(id);
      if (section) observer.observe(section);
    }
  };
  watch();
  // Sections are swapped whole when they refresh: watch the new ones.
  document.addEventListener("htmx:afterSettle", watch);
}
