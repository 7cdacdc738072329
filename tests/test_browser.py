"""A real browser on ``monitor serve``: headless Chromium loads the pages as a person would.

Runs ``monitor serve`` in a subprocess on a free port over the fixture history, then asks
Debian's ``chromium`` for the DOM after load (``--dump-dom``) and for screenshots, copied to
``/tmp/claimwatch-screens/``. Skipped only when chromium is absent outside CI; in CI
(``CI`` set) a missing chromium is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_datasette_fixture import NEW_DOSE, OLD_DOSE, build_history

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path("/tmp/claimwatch-screens")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail("CI is set but /usr/bin/chromium is missing: .ci/run must `apt-get install -y chromium`")
    pytest.skip("headless browser test needs Debian's chromium (/usr/bin/chromium): apt-get install -y chromium")


class _Text(HTMLParser):
    """A DOM dump read back: visible text (script/style left out), <title>, real elements' URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.title = ""
        self.scripts: list[str] = []
        self.urls: list[tuple[str, str]] = []  # (tag, href/src) of real elements
        self.ids: set[str] = set()
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction"):
                self.urls.append((tag, value or ""))
            if name == "id":
                self.ids.add(value or "")
        if tag in ("script", "style", "title"):
            self._skip.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if self._skip and self._skip[-1] == "title":
            self.title += data
        elif self._skip and self._skip[-1] == "script":
            self.scripts.append(data)
        elif not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str, proc: subprocess.Popen, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"monitor serve exited early: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(url + "-/versions.json", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"monitor serve did not answer at {url} within {timeout_s} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    _require_chromium()
    tmp = tmp_path_factory.mktemp("browser")
    db = build_history(tmp / "history.db")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "serve", "--db", str(db), "--port", str(port),
                             "--no-open"], cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_up(url, proc)
        yield url, tmp
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _chromium(tmp: Path, *args: str) -> str:
    profile = tmp / f"profile-{time.monotonic_ns()}"
    result = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
                            capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _load(server, path: str) -> tuple[str, _Text]:
    url, tmp = server
    dom = _chromium(tmp, "--dump-dom", url + path.lstrip("/"))
    parsed = _Text()
    parsed.feed(dom)
    return dom, parsed


def _assert_no_script_ran(dom: str, page: _Text) -> None:
    # The injected script would set the whole title to "PWNED" (the title may quote the payload as text).
    assert page.title.strip() != "PWNED" and len(page.title) > len("PWNED"), "a script changed the title"
    assert "pwned-marker" not in page.ids, "an injected onerror handler ran"
    assert not any("PWNED" in script for script in page.scripts), "page content became a <script>"
    assert ("img", "x") not in page.urls, "page content became an <img>"
    assert not any(url.strip().lower().startswith("javascript:") for _, url in page.urls)
    assert dom.count("&lt;script&gt;document.title=") >= 1  # the payload is in the DOM as text


def test_recent_changes_page_in_a_real_browser(server) -> None:
    dom, page = _load(server, "/history/recent_changes")
    assert page.title.startswith("history: ")
    assert OLD_DOSE in page.text and NEW_DOSE in page.text
    assert "0.3–0.6 mg" in page.text and "0.6–0.9 mg" in page.text
    assert "<script>document.title='PWNED'</script>" in page.text  # shown as text, not run
    _assert_no_script_ran(dom, page)


def test_front_page_in_a_real_browser(server) -> None:
    dom, page = _load(server, "/")
    assert page.title.strip() == "claimwatch"
    assert "Recent changes" in page.text and "Sources failing" in page.text and "Claims across sources" in page.text
    assert "0.3–0.6 mg" in page.text or "/-/claimwatch/change/" in dom
    _assert_no_script_ran(dom, page)


def test_diff_pages_in_a_real_browser(server) -> None:
    dom, page = _load(server, "/-/claimwatch/diff/alpha/1..2")
    assert OLD_DOSE in page.text and NEW_DOSE in page.text
    assert '<mark class="cw-changed">' in dom
    dom, page = _load(server, "/-/claimwatch/diff/hostile/1..2")
    assert "onerror=" in page.text  # the payload is visible as text
    _assert_no_script_ran(dom, page)


def test_screenshots(server) -> None:
    url, tmp = server
    SCREENS.mkdir(parents=True, exist_ok=True)
    for name, path in (("home", ""), ("recent_changes", "history/recent_changes?_hide_sql=1"),
                       ("diff", "-/claimwatch/diff/alpha/1..2")):
        shot = tmp / f"{name}.png"
        _chromium(tmp, f"--screenshot={shot}", "--window-size=1280,900", url + path)
        assert shot.stat().st_size > 10_000  # a rendered page, not an empty image
        shutil.copy(shot, SCREENS / f"{name}.png")
