"""Regenerate the README's picture of the dashboard (docs/img/dashboard.png):
the built-in flagship served on a free port, opened in Chromium (Playwright),
solved over 500 parameter draws, and photographed.

Run from the repository root: ``python scripts/dashboard_screenshot.py``
(needs the test extras and a Chromium at /usr/bin/chromium or Playwright's).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from realpolitik.web import create_app

OUT = Path(__file__).resolve().parents[1] / "docs" / "img" / "dashboard.png"
SCENARIO = "china-russia-2022"
DRAWS = 500
CHROMIUM = Path("/usr/bin/chromium")


def main() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(create_app([SCENARIO]), host="127.0.0.1", port=port)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.1)
    try:
        with sync_playwright() as p:
            executable = str(CHROMIUM) if CHROMIUM.exists() else None
            browser = p.chromium.launch(executable_path=executable)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/?scenario={SCENARIO}", timeout=120_000)
            page.wait_for_selector("body[data-solved]", timeout=120_000)
            page.fill("#draws", str(DRAWS))
            solved = page.get_attribute("body", "data-solved")
            page.check("#uncertain")
            page.wait_for_function(
                f"document.body.dataset.solved !== '{solved}'", timeout=300_000
            )
            page.wait_for_selector(".bar .interval", timeout=60_000)
            page.screenshot(path=str(OUT))
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
