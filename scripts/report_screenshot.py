"""Make the README's screenshot of the HTML report: the demo portal, rendered by headless Chromium.

    .venv/bin/python scripts/report_screenshot.py [--output docs/img/report.png] [--html /tmp/r.html]

It runs the real CLI against a local sandbox with the demo portal (`nps-connector demo`'s
generator, size 2000, seed 7), giving its companies an industry (the generated portal has none),
then `setup`, `backfill`, marks every other follow-up task completed (so the closed-loop figures
have something to show), writes `report --format html --by industry`, and takes a full-page
screenshot 1100 px wide with Debian's chromium (`apt-get install chromium`). The PNG is reduced
to 128 colours to stay small. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from connector.sandbox.demo import generate_portal
from connector.sandbox.server import SandboxOptions, serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "demo-token"
INDUSTRIES = ("Software", "Manufacturing", "Retail", "Financial services", "Healthcare")
CHROMIUM = "/usr/bin/chromium"
# Chromium's own background connections (updates, sync, QUIC probes) are refused here: keep it offline.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _cli(config: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
    cmd = [sys.executable, "-m", "connector", "--config", str(config), *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")


def _request(url: str, method: str = "GET", body: object | None = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method=method)) as resp:
        return json.load(resp)


def make_report(html: Path, size: int, seed: int) -> None:
    """The demo portal's `report --format html --by industry`, written to `html`."""
    portal = generate_portal(size, seed=seed)
    for i, company in enumerate(portal["companies"]):
        if i % 7:  # one company in seven keeps no industry: the "(none)" segment
            company["properties"]["industry"] = INDUSTRIES[i % len(INDUSTRIES)]
    options = SandboxOptions(token=TOKEN, search_lag_ms=0, log_requests=False)
    with tempfile.TemporaryDirectory(prefix="nps-shot-") as work, serve_in_thread(portal, options) as server:
        config = Path(work) / "nps-connector.toml"
        config.write_text(
            f'[hubspot]\nbase_url = "{server.url}"\naccess_token = "{TOKEN}"\nportal_id = "1234567"\n'
            f'[ledger]\npath = "{Path(work) / "ledger.sqlite"}"\n[log]\nlevel = "warning"\nformat = "json"\n',
            encoding="utf-8",
        )
        _cli(config, "setup")
        _cli(config, "backfill")
        snapshot = _request(server.url + "/_sandbox/snapshot")
        assert isinstance(snapshot, dict)
        for task in snapshot.get("tasks", [])[::2]:
            _request(
                f"{server.url}/crm/v3/objects/tasks/{task['id']}",
                "PATCH",
                {"properties": {"hs_task_status": "COMPLETED"}},
            )
        as_of = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
        _cli(config, "report", "--format", "html", "--by", "industry", "--output", str(html), "--as-of", as_of)


def screenshot(html: Path, png: Path, width: int, height: int = 0) -> None:
    """A PNG of `html`, `width` CSS px wide, its top `height` px (0: the whole page), in 128 colours."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.route(
                "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
            )
            page.goto(html.resolve().as_uri())
            clip = {"x": 0, "y": 0, "width": width, "height": height} if height else None
            shot = page.screenshot(full_page=True, type="png", clip=clip)  # type: ignore[arg-type]
        finally:
            browser.close()
    image = Image.open(io.BytesIO(shot)).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    png.parent.mkdir(parents=True, exist_ok=True)
    image.save(png, optimize=True)


def main() -> None:
    """Parse the options, make the report, take the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "img" / "report.png")
    parser.add_argument("--html", type=Path, help="keep the HTML report here (default: a temporary file)")
    parser.add_argument("--size", type=int, default=2000, help="answers in the demo portal")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1750, help="keep the top of the page (0: all of it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nps-shot-html-") as tmp:
        html = args.html or Path(tmp) / "report.html"
        make_report(html, args.size, args.seed)
        screenshot(html, args.output, args.width, args.height)
    print(f"{args.output}: {args.output.stat().st_size // 1024} KB (report from {html})")


if __name__ == "__main__":
    main()
