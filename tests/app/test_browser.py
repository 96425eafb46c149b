"""The page in a real browser: Debian's chromium, headless, driven by selenium through Debian's
chromedriver (passed explicitly, so selenium-manager downloads nothing).

Loads the page, changes q_L, sees rho_cal and the yield change, sees a bad entry refused in
place with the catalog's message, runs an inverse target, and keeps a screenshot (in
``$CELLTWIN_ARTIFACTS``, default the test's tmp_path; with ``CELLTWIN_SCREENSHOT_DOCS=1`` also
``docs/app.png``).
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
pytest.importorskip("dash", reason="the what-if app needs Dash: pip install 'celltwin[app]'")
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip(f"Debian's chromium and chromedriver are not installed ({CHROMIUM}, {CHROMEDRIVER}; "
                "make browser installs them)", allow_module_level=True)

SERVE = ("import sys; from celltwin.app.server import create_app, serve; "
         "serve(create_app('reference-cathode', samples=4000), port=int(sys.argv[1]))")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONWARNINGS": "ignore",
                                     "CELLTWIN_HOME": str(tmp_path_factory.mktemp("celltwin-home"))})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url + "/api/scenarios", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the app did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1500,2400"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def setting(driver, kind: str, name: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, f"//input[@id='{{\"name\":\"{name}\",\"type\":\"{kind}\"}}']")


def enter(element, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.BACKSPACE, text, Keys.ENTER)


def text(driver, *locator) -> str:
    """An element's text; the page re-renders tables on every update, so a found element may go stale."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(50):
        try:
            return driver.find_element(*locator).text
        except StaleElementReferenceException:
            time.sleep(0.1)
    raise AssertionError(f"{locator} kept going stale")


def test_page_whatif_and_inverse(server, browser, tmp_path):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 90, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))
    browser.get(server)
    wait.until(ec.presence_of_element_located((By.ID, "nominal-rho_cal")))
    wait.until(lambda d: d.find_element(By.ID, "yield").text.startswith("yield"))
    rho0 = float(text(browser, By.ID, "nominal-rho_cal"))
    yield0 = text(browser, By.ID, "yield")
    assert rho0 == pytest.approx(2.95783, rel=1e-5)

    enter(setting(browser, "nominal", "q_L"), "110")
    wait.until(lambda d: float(d.find_element(By.ID, "nominal-rho_cal").text) != rho0)
    rho1 = float(text(browser, By.ID, "nominal-rho_cal"))
    wait.until(lambda d: d.find_element(By.ID, "yield").text != yield0)
    assert rho1 > rho0 + 0.05
    assert float(text(browser, By.ID, "yield").split()[1]) < float(yield0.split()[1])

    enter(setting(browser, "nominal", "w_AM"), "1.5")  # refused in place, with the catalog's message
    error = (By.XPATH, "//span[@id='{\"name\":\"w_AM\",\"type\":\"error\"}']")
    wait.until(lambda d: "outside its valid range" in d.find_element(*error).text)
    assert text(browser, *error).startswith("w_AM = 1.5 is outside its valid range [0, 1]")
    assert float(text(browser, By.ID, "nominal-rho_cal")) == rho1  # the other edits still hold

    for box, choice in (("target-name", "rho_cal"), ("free", "q_L")):
        browser.find_element(By.ID, box).click()
        browser.switch_to.active_element.send_keys(choice)
        browser.switch_to.active_element.send_keys(Keys.ENTER)
        browser.find_element(By.TAG_NAME, "h1").click()
    browser.find_element(By.ID, "target-value").send_keys("3.0")
    browser.find_element(By.ID, "solve").click()
    wait.until(ec.presence_of_element_located((By.ID, "inverse-q_L")))
    assert text(browser, By.ID, "inverse-status").startswith("reached")
    found = float(text(browser, By.ID, "inverse-q_L"))
    assert 84 < found < 110

    wait.until(lambda d: d.find_element(By.ID, "drivers-graph").find_elements(By.CLASS_NAME, "hm"))
    folder = Path(os.environ.get("CELLTWIN_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1500, min(int(height) + 300, 4000))
    assert browser.save_screenshot(str(folder / "app.png"))
    if os.environ.get("CELLTWIN_SCREENSHOT_DOCS"):
        shutil.copy(folder / "app.png", Path(__file__).parents[2] / "docs" / "app.png")

    enter(setting(browser, "nominal", "w_AM"), "0.94")  # back in range, then the settings found applied
    wait.until(lambda d: not d.find_element(*error).text)
    browser.find_element(By.ID, "apply").click()
    wait.until(lambda d: abs(float(d.find_element(By.ID, "nominal-rho_cal").text) - 3.0) < 1e-4)
    assert float(setting(browser, "nominal", "q_L").get_attribute("value")) == pytest.approx(found, rel=1e-5)
