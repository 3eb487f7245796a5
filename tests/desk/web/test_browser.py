"""The desk end to end: a real `airflow api-server` with the plugin (SQLite metadata in a
throwaway AIRFLOW_HOME, the simple auth manager's users) driven by Debian's Chromium through
Selenium: people sign in at Airflow's own login page and act on cases in the browser.

Screenshots (1400 px wide) of the inbox, a case page and an agency page are written to
DESK_SHOTS (default /tmp/desk-shots)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from audits.desk.web.serve import demo_passwords, desk_environment, server_command
from tests.desk.web.conftest import AG01_CASE, AG01_OTHER, BURST, make_case_store
from tests.servers import _stop, free_port

pytestmark = pytest.mark.slow

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
USERS = {"olive": "user", "bert": "op", "audrey": "viewer"}
SHOTS = Path(os.environ.get("DESK_SHOTS", "/tmp/desk-shots"))
TYPED_NUMBER = "13800138000"


def _missing() -> str:
    if not (Path(CHROMEDRIVER).is_file() and Path(CHROMIUM).is_file()):
        return "Debian's chromium and chromium-driver are not installed (`make test` installs them)"
    return ""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The api-server with the desk over a literal case store; its URL and the users' passwords."""
    root = tmp_path_factory.mktemp("desk-e2e")
    make_case_store(root)
    env = desk_environment(root, users=USERS)
    passwords = demo_passwords(Path(env["AIRFLOW_HOME"]), list(USERS))
    migrate = subprocess.run([server_command("127.0.0.1", 0)[0], "db", "migrate"], env=env, capture_output=True,
                             text=True, timeout=300, check=False)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    port = free_port()
    log = root / "api-server.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(server_command("127.0.0.1", port), env=env, stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log)
        yield {"url": url, "passwords": passwords, "log": log}
    finally:
        _stop(process, 2)                             # SIGINT: uvicorn's clean shutdown


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"airflow api-server exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/desk/", timeout=2).status_code in (303, 401):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"airflow api-server did not serve the desk within {seconds:g} s:\n"
                       f"{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def browser():
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000",
                 "--no-first-run", "--disable-background-networking", "--disable-sync"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver, server, name: str) -> None:
    """Sign in at Airflow's login page (reached by opening the desk without a session)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    if driver.current_url.startswith("http"):
        driver.delete_all_cookies()
    driver.get(f"{server['url']}/desk/")
    wait = WebDriverWait(driver, 60)
    wait.until(until.presence_of_element_located((By.NAME, "username"))).send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(server["passwords"][name])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(until.presence_of_element_located((By.ID, "signed-in")))
    assert driver.find_element(By.ID, "signed-in").text == name
    assert driver.current_url.startswith(f"{server['url']}/desk/")


def shot(driver, name: str) -> Path:
    """A screenshot of the whole page, 1400 px wide."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(height + 140, 800), 6000))
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    return path


def follow(driver, element) -> None:
    """Click a link or a form's button and wait until the next page has replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 60).until(until.staleness_of(page))


def session(driver) -> dict[str, str]:
    return {c["name"]: c["value"] for c in driver.get_cookies() if c["name"] == "_token"}


def test_people_act_on_cases_in_the_browser_with_roles_and_four_eyes(server, browser):
    from selenium.webdriver.common.by import By

    url, seen = server["url"], []
    # an officer signs in, finds the burst group in the inbox and takes one of its cases
    sign_in(browser, server, "olive")
    group = browser.find_element(By.ID, "group-AG03-FREQ_AFTER_REFUSAL")
    assert group.find_element(By.TAG_NAME, "summary").text.startswith("AG03 · FREQ_AFTER_REFUSAL · 30 customers")
    group.find_element(By.TAG_NAME, "summary").click()
    assert shot(browser, "inbox").stat().st_size > 10_000
    seen.append(browser.page_source)
    follow(browser, group.find_elements(By.CSS_SELECTOR, "tbody th a")[0])
    taken = browser.find_element(By.ID, "case-id").text
    assert taken in BURST
    follow(browser, browser.find_element(By.ID, "take"))
    assert browser.find_element(By.ID, "owner").text == "olive"
    assert browser.find_elements(By.ID, "take") == []                               # taken: no second take
    plugins = httpx.get(f"{url}/api/v2/plugins", cookies=session(browser)).json()["plugins"]
    desk = next(p for p in plugins if p["name"] == "audit_desk")
    assert [v["name"] for v in desk["external_views"]] == ["Cases"]
    assert desk["fastapi_apps"][0]["url_prefix"] == "/desk"
    assert "Recorded: take." in browser.find_element(By.ID, "done").text

    # ... and proposes an exception on a case found by its id, with a comment holding a full number
    browser.get(f"{url}/desk/")
    browser.find_element(By.ID, "case-search").send_keys(AG01_CASE)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "#search-form button"))
    assert browser.find_element(By.ID, "case-id").text == AG01_CASE
    browser.find_element(By.ID, "exception-reason").send_keys("Call-back the customer asked for, <b>agreed</b>")
    follow(browser, browser.find_element(By.ID, "propose"))
    browser.find_element(By.ID, "comment-text").send_keys(f"customer gave {TYPED_NUMBER} to call back")
    follow(browser, browser.find_element(By.ID, "comment"))
    exception_id = browser.find_element(By.CSS_SELECTOR, "#exceptions-table tbody th").text
    assert exception_id.startswith("EXC-")
    assert browser.find_elements(By.CSS_SELECTOR, "button.approve") == []           # not their own proposal
    assert "<b>agreed</b>" in browser.find_element(By.ID, "exceptions-table").text  # shown as text
    assert shot(browser, "case").stat().st_size > 10_000
    seen.append(browser.page_source)

    # a forged approval from the officer's own session, with a valid form token, is refused
    csrf = browser.find_element(By.CSS_SELECTOR, "#form-comment input[name=csrf]").get_attribute("value")
    forged = httpx.post(f"{url}/desk/cases/{AG01_CASE}/act", cookies=session(browser),
                        data={"csrf": csrf, "kind": "approve_exception", "exception_id": exception_id})
    assert forged.status_code == 403

    # an approver approves it
    sign_in(browser, server, "bert")
    browser.get(f"{url}/desk/cases/{AG01_CASE}")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button.approve"))
    assert "approved" in browser.find_element(By.CSS_SELECTOR, "#exceptions-table tbody td").text
    browser.get(f"{url}/desk/agencies/AG01")
    assert browser.find_element(By.ID, "agency-id").text == "AG01"
    returned = SHOTS.parent / "desk-e2e-responses.csv"
    returned.write_text("case_id,rule_id,subject,status,due_date,response,corrective_action,target_date,contact\n"
                        f"{AG01_OTHER},CONF_UNASSIGNED,+86 137****0001,new,2026-12-07,accept,"
                        "Remove the customer from the AG01 list,2026-12-20,AG01 operations\n"
                        "C-ffffffffffff,FREQ_AFTER_REFUSAL,,new,2026-12-07,contest,Not ours,,\n", encoding="utf-8")
    browser.find_element(By.ID, "responses-file").send_keys(str(returned))
    follow(browser, browser.find_element(By.ID, "upload-button"))
    assert browser.find_element(By.ID, "upload-summary").text == "1 row recorded, 1 refused."
    assert "unknown case C-ffffffffffff" in browser.find_element(By.ID, "refused-rows").text
    assert exception_id in browser.page_source                                      # in force on its agency page
    assert shot(browser, "agency").stat().st_size > 10_000
    seen.append(browser.page_source)

    # an auditor sees every event and has no action
    sign_in(browser, server, "audrey")
    browser.get(f"{url}/desk/log")
    kinds = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#events td.kind")]
    assert sorted(kinds) == sorted(["take", "propose exception", "comment", "approve exception", "record plan"])
    assert browser.find_elements(By.ID, "chain-intact")
    seen.append(browser.page_source)
    browser.get(f"{url}/desk/cases/{AG01_CASE}")
    assert browser.find_elements(By.CSS_SELECTOR, "form[method=post]") == []
    assert browser.find_elements(By.ID, "no-actions")
    export = httpx.get(f"{url}/desk/log.csv", cookies=session(browser))
    assert export.status_code == 200 and export.text.count("\n") == 6
    seen += [browser.page_source, export.text]

    # no session, no data
    for path in ("/desk/", f"/desk/cases/{AG01_CASE}", "/desk/log.csv", "/desk/agencies/AG01"):
        response = httpx.get(f"{url}{path}")
        assert response.status_code in (303, 401) and AG01_CASE not in response.text and "AG01" not in response.text
    assert httpx.post(f"{url}/desk/cases/{AG01_CASE}/act", data={"kind": "take"}).status_code == 401

    # no page, export or server log holds the full number typed in the comment
    for text in (*seen, server["log"].read_text(errors="replace")):
        assert TYPED_NUMBER not in re.sub(r"[\s\-().+]", "", text)
