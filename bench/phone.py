"""The pages on a phone: the busiest client's page, and my day's first paint on slow 3G.

Loads the demo network (``seed_demo``) into an SQLite file of its own, starts one
daphne process (DEBUG on, so it serves the static files itself) and drives Debian's
headless Chromium at phone size (390 x 844) through Playwright:

- as nurse ``ana``, the client page of her team's busiest client (the longest page
  among her team's clients), with the CPU slowed fourfold (CDP
  ``Emulation.setCPUThrottlingRate``, a mid-range phone): elements, page height, the
  longest task (``PerformanceObserver`` "longtask"), total blocking time (each long
  task's time over 50 ms), first and largest contentful paint, load;
- as ``ana`` again, her day on a cold cache over slow 3G (CDP
  ``Network.emulateNetworkConditions``: 400 kbit/s each way, 400 ms round trip) and
  the same CPU: first contentful paint, against a goal of 1.5 s; first as a first
  visit ever (service workers blocked), then as the installed app, whose service
  worker keeps the shell (styles and scripts), so only the page crosses the network.

Answers are gzipped as the production proxy sends them (``bench/phone_gzip.py``,
``--no-gzip`` to send them as daphne does). Each figure is the median of ``--runs``
loads (each load's figures are printed too).

    python -m bench.phone                        # this checkout
    python -m bench.phone --root /tmp/before     # another checkout (its own code and templates)
    python -m bench.phone --url http://127.0.0.1:8001   # a server already running the demo

Not a test: it asserts nothing and prints figures (bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.servers import free_port, http

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
PASSWORD = "kith-demo"
FIRST_PAINT_GOAL_MS = 1500
LONG_TASK_GOAL_MS = 200

# Set before anything loads: long tasks and paints, kept where the script reads them.
OBSERVE = """
window.__long = [];
window.__lcp = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__long.push(e.duration);
}).observe({ type: "longtask", buffered: true });
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__lcp = e.startTime;
}).observe({ type: "largest-contentful-paint", buffered: true });
"""

MEASURE = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const long = window.__long || [];
  return {
    elements: document.getElementsByTagName("*").length,
    height: document.documentElement.scrollHeight,
    longest: long.length ? Math.max(...long) : 0,
    blocking: long.reduce((sum, d) => sum + Math.max(0, d - 50), 0),
    fcp: fcp ? fcp.startTime : null,
    lcp: window.__lcp || null,
    dcl: nav ? nav.domContentLoadedEventEnd : null,
    load: nav ? nav.loadEventEnd : null,
    // Laid out whole: sections off screen are laid out only as they come near it
    // (content-visibility), so the page's scroll height alone is partly an estimate.
    laidOut: (() => {
      const parts = document.querySelectorAll("main > *");
      for (const el of parts) el.style.contentVisibility = "visible";
      return document.documentElement.scrollHeight;
    })(),
  };
}"""


def env_for(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KITH_"))}
    env.pop("REDIS_URL", None)  # one process: the in-memory layer
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(64),
        DEBUG="1",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


def prepare(root: Path, env: dict[str, str]) -> None:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=root, env=env, check=True)
    subprocess.run([*manage, "seed_demo"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)


def serve(root: Path, env: dict[str, str], log: Path, gzip: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    daphne = Path(sys.executable).with_name("daphne")
    app = "config.asgi:application"
    if gzip:
        # As the production proxy answers (bench/phone_gzip.py), for any checkout.
        app = "phone_gzip:application"
        env = {
            **env,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")])),
        }
    process = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), app],
        cwd=root,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"daphne exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if http("GET", f"{url}/healthz", timeout=2).status == 200:
                return process, url
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("daphne not ready after 60 s")


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    )


def signed_in(browser, url: str, username: str, *, app: bool = False):
    """A signed-in phone. ``app``: as the installed app, its service worker holding the
    shell and her day (frontend/assets/sw.js); otherwise with service workers blocked,
    as a first visit ever."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        has_touch=True,
        service_workers="allow" if app else "block",
    )
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/day/|/teams/"))
    if app:
        page.wait_for_function("() => document.documentElement.dataset.dayKept === 'true'")
    page.close()
    return context


def busiest_client(context, url: str) -> tuple[str, str]:
    """The team's client whose page is longest (most markup), and their name."""
    page = context.new_page()
    page.goto(f"{url}/teams/noord/clients/")
    links = page.eval_on_selector_all(
        "main a[href^='/clients/']",
        "links => links.map(a => [a.getAttribute('href'), a.textContent.trim()])",
    )
    page.close()
    sizes = {}
    for href, name in dict(links).items():
        body = context.request.get(f"{url}{href}").text()
        sizes[href] = (body.count("<"), name.splitlines()[0].strip())
    href = max(sizes, key=lambda h: sizes[h][0])
    return href, sizes[href][1]


def load(context, url: str, cpu: float, network: dict | None = None) -> dict:
    page = context.new_page()
    page.add_init_script(OBSERVE)
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
    if network:
        cdp.send("Network.enable")
        cdp.send("Network.clearBrowserCache")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **network})
    page.goto(url, wait_until="load", timeout=120_000)
    # Let the socket open and any late long task or larger paint be observed.
    page.wait_for_timeout(2000)
    figures = page.evaluate(MEASURE)
    page.close()
    return figures


def median(runs: list[dict], key: str):
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values) if values else None


def line(figures: dict, keys: list[tuple[str, str, str]]) -> str:
    return ", ".join(f"{label} {fmt(figures[key], unit)}" for key, label, unit in keys)


def show(title: str, runs: list[dict], keys: list[tuple[str, str, str]]) -> None:
    print(f"\n{title}")
    for i, r in enumerate(runs, 1):
        print(f"  run {i}: {line(r, keys)}")
    print(f"  median: {line({key: median(runs, key) for key, _, _ in keys}, keys)}")


def fmt(value, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}{unit}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this)")
    p.add_argument("--url", help="measure a Kith already serving the demo here instead")
    p.add_argument(
        "--no-gzip",
        action="store_true",
        help="answer uncompressed (default: gzipped as deploy/nginx.conf does)",
    )
    p.add_argument("--runs", type=int, default=3, help="loads of each page (default 3)")
    p.add_argument("--cpu", type=float, default=4, help="CPU slowdown (default 4)")
    p.add_argument("--down-kbps", type=float, default=400, help="slow 3G download, kbit/s")
    p.add_argument("--up-kbps", type=float, default=400, help="slow 3G upload, kbit/s")
    p.add_argument("--rtt", type=float, default=400, help="slow 3G round trip, ms")
    args = p.parse_args()

    from playwright.sync_api import sync_playwright

    root = args.root.resolve()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    sent = "as it is" if args.url else ("uncompressed" if args.no_gzip else "gzipped as nginx does")
    print(f"checkout {root} at {commit}; CPU x{args.cpu:g}; {args.runs} runs each; answers {sent}")
    slow = {
        "latency": args.rtt,
        "downloadThroughput": args.down_kbps * 1000 / 8,
        "uploadThroughput": args.up_kbps * 1000 / 8,
    }

    def measure(url: str) -> tuple[str, str, list[dict], list[dict], list[dict]]:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            context = signed_in(browser, url, "ana")
            href, name = busiest_client(context, url)
            client = [load(context, f"{url}{href}", args.cpu) for _ in range(args.runs)]
            day = [load(context, f"{url}/day/", args.cpu, slow) for _ in range(args.runs)]
            installed = signed_in(browser, url, "ana", app=True)
            app = [load(installed, f"{url}/day/", args.cpu, slow) for _ in range(args.runs)]
            browser.close()
        return href, name, client, day, app

    if args.url:
        href, name, client, day, app = measure(args.url.rstrip("/"))
    else:
        with tempfile.TemporaryDirectory(prefix="kith-phone-") as tmp:
            env = env_for(f"sqlite:///{tmp}/phone.sqlite3")
            prepare(root, env)
            process, url = serve(root, env, Path(tmp) / "daphne.log", not args.no_gzip)
            try:
                href, name, client, day, app = measure(url)
            finally:
                process.terminate()
                process.wait(timeout=10)

    show(
        f"Client page, {name} ({href}), 390x844, CPU x{args.cpu:g}",
        client,
        [
            ("elements", "elements", ""),
            ("laidOut", "height", " px"),
            ("longest", "longest task", " ms"),
            ("blocking", "blocking", " ms"),
            ("fcp", "FCP", " ms"),
            ("lcp", "LCP", " ms"),
            ("load", "load", " ms"),
        ],
    )
    met = median(client, "longest") < LONG_TASK_GOAL_MS
    print(f"  goal, no task over {LONG_TASK_GOAL_MS} ms: {'met' if met else 'not met'}")
    network = f"slow 3G ({args.down_kbps:g} kbit/s, {args.rtt:g} ms)"
    day_keys = [
        ("fcp", "FCP", " ms"),
        ("lcp", "LCP", " ms"),
        ("elements", "elements", ""),
        ("load", "load", " ms"),
    ]
    for how, runs in (
        ("a first visit, cold cache", day),
        ("the installed app (shell kept by its worker)", app),
    ):
        show(f"My day (ana), {how}, {network}, CPU x{args.cpu:g}", runs, day_keys)
        fcp = median(runs, "fcp")
        met = fcp is not None and fcp < FIRST_PAINT_GOAL_MS
        print(f"  goal, first paint under {FIRST_PAINT_GOAL_MS} ms: {'met' if met else 'not met'}")


if __name__ == "__main__":
    main()
