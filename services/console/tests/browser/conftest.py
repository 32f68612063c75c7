"""Browser tests: the embedded system over real sockets, the console under uvicorn on a free port,
and Debian's Chromium driven by Playwright (its own browser download is not reachable from these
machines; `.ci/run` installs `chromium` and `fonts-noto-cjk` with apt)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from console_world import World

from xueji_common.config import Settings
from xueji_common.runtime.embedded import EmbeddedSystem
from xueji_common.testing.infra import free_port
from xueji_console.config import ConsoleSettings
from xueji_console.main import server

CHROMIUM = os.environ.get("XUEJI_CHROMIUM", "/usr/bin/chromium")
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
# Screenshots of the pages land here; XUEJI_CONSOLE_SCREENSHOTS=docs/images refreshes the README's.
SHOTS = Path(os.environ.get("XUEJI_CONSOLE_SCREENSHOTS", "/tmp/xueji-console-screenshots"))


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        grpc_address=f"127.0.0.1:{free_port()}",
        metrics_port=0,
        relay_interval=0.1,
    )
    system = EmbeddedSystem(settings)
    system.start()
    yield system
    system.stop()


@pytest.fixture(scope="session")
def world(system):
    return World(system)


@pytest.fixture(scope="session")
def console_server(system):
    settings = ConsoleSettings(services=system.settings, host="127.0.0.1", port=free_port())
    uvicorn_server = server(settings)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the console did not start"
        time.sleep(0.05)
    yield uvicorn_server
    uvicorn_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def console_url(console_server):
    return f"http://127.0.0.1:{console_server.config.port}"


@pytest.fixture(scope="session")
def console(console_server):
    """The running console's state (its session store), to age a session as time would."""
    return console_server.config.app.state.console


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium fonts-noto-cjk (.ci/run does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser, console_url):
    context = browser.new_context(
        base_url=console_url, locale="zh-CN", viewport={"width": 1280, "height": 800}, accept_downloads=True
    )
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.csp_violations = []
    # A page that breaks its own CSP (an inline script or style) shows up here.
    page.on(
        "console",
        lambda m: page.csp_violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.set_default_timeout(15000)
    return page


def sign_in(page, login: str, password: str) -> None:
    page.goto("/signin")
    page.get_by_label("用户名").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def check_accessible(page) -> None:
    """axe-core on the page as shown: no serious or critical violation, no CSP violation."""
    page.evaluate(AXE + "\n;0")  # evaluated through the DevTools protocol: the page's CSP does not apply
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{page.url}: {bad}"
    assert not page.csp_violations, page.csp_violations


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
