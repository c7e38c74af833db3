#!/usr/bin/env python3
"""The web UI in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium).

Starts two `folio serve` processes on fresh data folders (loopback, port 0): one without tokens and one
with a read-write and a read-only token; seeds documents through the API; then drives the browser
through the pages a person would use and asserts on the DOM. Checks: pages load without console errors,
compare highlights the changed words, blame names the right authors, restore works end to end (also of
a deleted file), a PRD containing <script> shows it as text and runs nothing, a read-only user sees no
restore and is refused when posting anyway, a post without the CSRF token is refused, and the pages fit
a phone's width and follow the system's dark mode. Screenshots of the file, compare and blame pages go
to the folder printed at the start. The last line is `N passed, N failed`; exit status 1 on any failure.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Server:
    """One `folio serve` on a fresh data folder; stopped by its pid."""

    def __init__(self, folio, work, name, tokens=None):
        self.data = os.path.join(work, name)
        os.makedirs(self.data)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8",
               "FOLIO_REPO_PATH": self.data + "/folio.git", "FOLIO_DATABASE_URL": "sqlite:" + self.data + "/folio.sqlite",
               "MEDIA_ROOT": self.data + "/media", "FOLIO_LOG_LEVEL": "warning"}
        if tokens:
            env["FOLIO_API_TOKENS"] = tokens
        self.stdout = open(self.data + "/stdout", "wb")
        self.stderr = open(self.data + "/stderr", "wb")
        self.proc = subprocess.Popen([folio, "serve", "--host", "127.0.0.1", "--port", "0"], env=env, stdout=self.stdout,
                                     stderr=self.stderr, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            match = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", open(self.data + "/stdout", "rb").read())
            if match:
                self.base = "http://127.0.0.1:" + match.group(1).decode()
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{name}: folio serve did not start: {open(self.data + '/stderr').read()[-2000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def api(self, method, path, body=None, token=None):
        request = urllib.request.Request(self.base + path, method=method, data=None if body is None else json.dumps(body).encode())
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def save(self, project, name, content, who, message="", metadata=None, token=None):
        return self.api("POST", f"/api/projects/{project}/prd/", {
            "name": name, "content": content, "updated_by": who, "message": message, "metadata": metadata or {}}, token)["commit"]


class Run:
    def __init__(self, driver, shots):
        self.driver = driver
        self.shots = shots
        self.passed = 0
        self.failed = 0

    def check(self, name, body):
        try:
            body()
            self.passed += 1
            print(f"ok   {name}", flush=True)
        except Exception as error:  # a failed assertion or a browser error fails this check only
            self.failed += 1
            print(f"FAIL {name}: {error}", flush=True)
            traceback.print_exc(limit=3)
            try:
                self.driver.save_screenshot(os.path.join(self.shots, "failed-" + re.sub(r"[^a-z0-9]+", "-", name.lower()) + ".png"))
            except Exception:
                pass

    def console_errors(self):
        """Console messages at error level since the last call (favicon requests included)."""
        return [entry for entry in self.driver.get_log("browser") if entry.get("level") == "SEVERE"]

    def load(self, url):
        self.driver.get(url)
        errors = self.console_errors()
        assert not errors, f"console errors on {url}: {errors}"

    def shot(self, name):
        path = os.path.join(self.shots, name)
        self.driver.save_screenshot(path)
        return path


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def wait_for(driver, element_id, seconds=15):
    """Waits until the page has the element (after a click that navigates) and returns it."""
    WebDriverWait(driver, seconds).until(lambda d: d.find_elements(By.ID, element_id))
    return driver.find_element(By.ID, element_id)


def texts(driver, selector):
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, selector)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--folio", default=".build/debug/folio")
    parser.add_argument("--screenshots", default=None)
    args = parser.parse_args()

    shots = args.screenshots or tempfile.mkdtemp(prefix="folio-ui-screenshots.")
    os.makedirs(shots, exist_ok=True)
    print(f"browser: screenshots go to {shots}", flush=True)
    work = tempfile.mkdtemp(prefix="folio-browser.")
    # A copy with its resource bundles, so a rebuild during the run does not change the servers.
    folio = os.path.join(work, "folio")
    shutil.copy(args.folio, folio)
    for entry in os.listdir(os.path.dirname(os.path.abspath(args.folio))):
        if entry.endswith(".resources"):
            shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(args.folio)), entry), os.path.join(work, entry))

    servers = []
    driver = None
    run = None
    try:
        open_server = Server(folio, work, "open")
        servers.append(open_server)
        secured = Server(folio, work, "secured", tokens="pm_alice:alice-secret,viewer:viewer-secret:ro")
        servers.append(secured)

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(30)
        run = Run(driver, shots)

        # Three authors edit the roadmap; a second PRD carries script in its content.
        base = open_server.base
        v1 = open_server.save("demo", "roadmap", "# Roadmap\n\nThe checkout is slow.\n\n- [x] measure\n- [ ] fix\n\n| step | owner |\n|---|---|\n| cart | alice |\n"
                              + "".join(f"\nfiller paragraph {n}\n" for n in range(1, 30)), "alice", "first draft", {"prd_id": 1})
        v2 = open_server.save("demo", "roadmap", "# Roadmap\n\nThe checkout is slow.\n\n- [x] measure\n- [ ] fix\n\n| step | owner |\n|---|---|\n| cart | alice |\n"
                              + "".join(f"\nfiller paragraph {n}\n" for n in range(1, 30)) + "\nBob adds a risk section.\n", "bob", "risks", {"prd_id": 1})
        v3 = open_server.save("demo", "roadmap", "# Roadmap\n\nThe checkout is quick.\n\n- [x] measure\n- [ ] fix\n\n| step | owner |\n|---|---|\n| cart | alice |\n"
                              + "".join(f"\nfiller paragraph {n}\n" for n in range(1, 30)) + "\nBob adds a risk section.\n", "carol", "after the fix",
                              {"prd_id": 1, "status": "done"})
        open_server.save("demo", "hostile", "# Hostile\n\n<script>window.folioPwned = 1; document.title = 'pwned';</script>\n\n"
                         "Inline <img src=x onerror=\"window.folioPwned = 2\"> tag and [a link](javascript:window.folioPwned=3).\n",
                         "mallory", "<b>bold</b> message")
        doomed = open_server.save("demo", "doomed", "# Doomed\n\nThis file will be deleted.\n", "dave")
        open_server.api("DELETE", "/api/projects/demo/prd/?name=doomed&updated_by=dave")
        file_url = base + "/ui/projects/demo/prd/roadmap"

        def project_pages():
            run.load(base + "/ui/")
            expect("demo" in texts(driver, "#projects a"), "the front page lists the project")
            driver.find_element(By.LINK_TEXT, "demo").click()
            wait_for(driver, "files")
            expect(not run.console_errors(), "console errors on the project page")
            rows = texts(driver, "#files tbody tr")
            expect(any("roadmap" in row and "carol" in row for row in rows), f"files list name and last author: {rows}")
            expect(any("doomed" in row for row in texts(driver, "#deleted tbody tr")), "the deleted file is listed under Deleted")
        run.check("project list and files", project_pages)

        def file_page():
            run.load(file_url)
            content = driver.find_element(By.ID, "content")
            expect(content.find_element(By.TAG_NAME, "h1").text == "Roadmap", "the Markdown heading is rendered")
            expect(len(content.find_elements(By.CSS_SELECTOR, "table td")) >= 2, "the table is rendered")
            expect(len(content.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")) == 2, "the task list is rendered")
            authors = texts(driver, "#revisions td.author")
            expect(authors == ["carol", "bob", "alice"], f"history newest first: {authors}")
            title = driver.find_element(By.CSS_SELECTOR, "#revisions time").get_attribute("title")
            expect(title and any(ch.isdigit() for ch in title), "the exact time is on hover")
            print(f"browser: screenshot {run.shot('file.png')}", flush=True)
        run.check("file page renders Markdown and history", file_page)

        def compare_page():
            run.load(file_url)
            driver.find_element(By.CSS_SELECTOR, f"tr[data-commit='{v3}'] a.compare-link").click()
            wait_for(driver, "diff")
            expect(not run.console_errors(), "console errors on the compare page")
            marks = texts(driver, "#diff mark")
            expect("slow" in marks and "quick" in marks, f"the changed words are highlighted: {marks}")
            expect("status" in " ".join(texts(driver, "#metadata-changes td")), "the metadata change is listed")
            folds = driver.find_elements(By.CSS_SELECTOR, "#diff .fold a")
            expect(folds, "unchanged stretches are folded")
            before = len(driver.find_elements(By.CSS_SELECTOR, "#diff .row"))
            print(f"browser: screenshot {run.shot('compare.png')}", flush=True)
            folds[0].click()
            WebDriverWait(driver, 15).until(lambda d: "unfold=" in d.current_url)
            after = len(driver.find_elements(By.CSS_SELECTOR, "#diff .row"))
            expect(after > before, f"unfolding shows more lines ({before} -> {after})")
            driver.find_element(By.ID, "view-inline").click()
            WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#diff.inline"))
            expect(driver.find_elements(By.CSS_SELECTOR, "#diff.inline .text.del mark"), "the inline view marks removed words")
            print(f"browser: screenshot {run.shot('compare-inline.png')}", flush=True)
            driver.back()
            WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#diff.split"))
            # Any two revisions, picked in the history.
            run.load(file_url)
            driver.find_element(By.CSS_SELECTOR, f"input[name=from][value='{v1}']").click()
            driver.find_element(By.CSS_SELECTOR, f"input[name=to][value='{v3}']").click()
            driver.find_element(By.ID, "compare-selected").click()
            wait_for(driver, "diff")
            marks = texts(driver, "#diff mark")
            added = texts(driver, "#diff .text.ins")
            expect("quick" in marks and "Bob adds a risk section." in added, f"v1 against v3 shows both changes: {marks}, {added}")
        run.check("compare highlights the changed words", compare_page)

        def blame_page():
            run.load(file_url + "/blame")
            lines = {element.text: element.get_attribute("data-author") for element in driver.find_elements(By.CSS_SELECTOR, "#blame .text")}
            expect(lines.get("# Roadmap") == "alice", f"the heading is alice's: {lines.get('# Roadmap')}")
            expect(lines.get("The checkout is quick.") == "carol", "the changed line is carol's")
            expect(lines.get("Bob adds a risk section.") == "bob", "the added line is bob's")
            print(f"browser: screenshot {run.shot('blame.png')}", flush=True)
        run.check("blame names the right authors", blame_page)

        def hostile_content():
            run.load(base + "/ui/projects/demo/prd/hostile")
            expect(driver.execute_script("return window.folioPwned === undefined"), "no script from the content ran")
            expect(driver.title != "pwned", "the title was not changed by content")
            content = driver.find_element(By.ID, "content").text
            expect("<script>window.folioPwned = 1;" in content, f"the script shows as text: {content[:200]}")
            expect("<img src=x" in content, "the inline tag shows as text")
            expect("<b>bold</b> message" in " ".join(texts(driver, "#revisions td.message")), "the message is shown as text")
            expect(not driver.find_elements(By.CSS_SELECTOR, "#content script, #content img"), "no script or img element came from content")
            href = driver.find_element(By.LINK_TEXT, "a link").get_attribute("href") or ""
            expect("javascript" not in href, f"the javascript: link was emptied: {href}")
        run.check("a PRD with <script> shows it as text and runs nothing", hostile_content)

        def restore_end_to_end():
            run.load(file_url)
            driver.find_element(By.CSS_SELECTOR, f"tr[data-commit='{v1}'] a.restore-link").click()
            wait_for(driver, "restore-form")
            expect("Restore revision" in driver.find_element(By.TAG_NAME, "h1").text, "a confirmation step comes first")
            driver.find_element(By.NAME, "updated_by").send_keys("Erin Restorer")
            driver.find_element(By.ID, "confirm-restore").click()
            wait_for(driver, "restored")
            expect(not run.console_errors(), "console errors after the restore")
            first = driver.find_element(By.CSS_SELECTOR, "#revisions tbody tr")
            expect("Erin Restorer" in first.text and "restore" in first.text, f"the new commit is on top: {first.text}")
            current = open_server.api("GET", "/api/projects/demo/prd/?name=roadmap")
            expect("The checkout is slow." in current["content"] and current["updated_by"] == "Erin Restorer", "the API serves the restored version")
            # The deleted file, from the project page.
            run.load(base + "/ui/projects/demo")
            driver.find_element(By.CSS_SELECTOR, "#deleted a").click()
            wait_for(driver, "deleted-banner")
            driver.find_element(By.CSS_SELECTOR, f"tr[data-commit='{doomed}'] a.restore-link").click()
            wait_for(driver, "restore-form")
            driver.find_element(By.NAME, "updated_by").send_keys("Erin Restorer")
            driver.find_element(By.ID, "confirm-restore").click()
            wait_for(driver, "restored")
            expect("This file will be deleted." in driver.find_element(By.ID, "content").text, "the deleted file is back")
        run.check("restore works end to end, also for a deleted file", restore_end_to_end)

        def csrf_refused():
            run.load(file_url + f"/restore?commit={v2}")
            driver.execute_script("document.querySelector('input[name=csrf]').remove()")
            driver.find_element(By.NAME, "updated_by").send_keys("Mallory")
            driver.find_element(By.ID, "confirm-restore").click()
            expect("security token" in wait_for(driver, "error-message").text, "the error page explains")
            run.console_errors()  # the 403 itself is logged by the browser as a failed load
            # The same post from outside the page, with the session cookie but no token.
            cookie = driver.get_cookie("folio_session")
            expect(cookie and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", f"the session cookie is HttpOnly, SameSite=Strict: {cookie}")
            request = urllib.request.Request(file_url + "/restore", method="POST", data=f"commit={v2}&updated_by=Mallory".encode())
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
            request.add_header("Cookie", "folio_session=" + cookie["value"])
            try:
                urllib.request.urlopen(request, timeout=30)
                raise AssertionError("a post without the CSRF token was accepted")
            except urllib.error.HTTPError as error:
                expect(error.code == 403, f"refused with 403, not {error.code}")
            current = open_server.api("GET", "/api/projects/demo/prd/?name=roadmap")
            expect(current["updated_by"] == "Erin Restorer", "nothing was restored")
        run.check("a post without the CSRF token is refused", csrf_refused)

        def phone_and_dark():
            driver.set_window_size(390, 844)
            run.load(file_url)
            overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            expect(overflow <= 1, f"the file page fits a phone's width (overflow {overflow}px)")
            print(f"browser: screenshot {run.shot('file-phone.png')}", flush=True)
            driver.set_window_size(1280, 1000)
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            run.load(file_url + "/compare?to=" + v3)
            background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
            expect(background in ("rgb(13, 17, 23)",), f"dark mode follows the system: {background}")
            print(f"browser: screenshot {run.shot('compare-dark.png')}", flush=True)
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
        run.check("phone width and dark mode", phone_and_dark)

        # The server with tokens.
        sbase = secured.base
        s1 = secured.save("team", "spec", "# Spec\n\nversion one\n", "alice", token="alice-secret")
        secured.save("team", "spec", "# Spec\n\nversion two\n", "bob", token="alice-secret")
        spec_url = sbase + "/ui/projects/team/prd/spec"

        def sign_in(token):
            driver.find_element(By.ID, "token").send_keys(token)
            driver.find_element(By.ID, "sign-in").click()
            wait_for(driver, "signed-in-as")

        def read_only_cannot_restore():
            driver.delete_all_cookies()
            run.load(spec_url)
            expect("/ui/signin" in driver.current_url, f"pages need a sign-in: {driver.current_url}")
            sign_in("viewer-secret")
            expect(driver.current_url == spec_url, f"sign-in returns to the page asked for: {driver.current_url}")
            expect(driver.find_element(By.ID, "signed-in-as").text == "viewer", "the page names who is signed in")
            expect(not driver.find_elements(By.CSS_SELECTOR, "a.restore-link"), "a read-only user sees no restore")
            # Posting anyway, as a form on the page would, with the page's own CSRF token.
            driver.execute_script(
                "const form = document.createElement('form'); form.method = 'post'; form.action = arguments[0];"
                "for (const [name, value] of [['commit', arguments[1]], ['csrf', document.querySelector('input[name=csrf]').value]]) {"
                "  const input = document.createElement('input'); input.type = 'hidden'; input.name = name; input.value = value;"
                "  form.appendChild(input); }"
                "document.body.appendChild(form); form.submit();", spec_url + "/restore", s1)
            WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "error-message"))
            message = driver.find_element(By.ID, "error-message").text
            expect("read-only" in message, f"a read-only restore is refused: {message}")
            expect(driver.title.startswith("403"), f"with 403: {driver.title}")
            run.console_errors()
            current = secured.api("GET", "/api/projects/team/prd/?name=spec", token="viewer-secret")
            expect("version two" in current["content"], "nothing was restored")
            driver.get(spec_url)
            driver.find_element(By.ID, "sign-out").click()
            wait_for(driver, "signin-form")
            expect("/ui/signin" in driver.current_url, "sign-out returns to the sign-in page")
            driver.get(spec_url)
            expect("/ui/signin" in driver.current_url, "after sign-out the pages need a sign-in again")
        run.check("a read-only user cannot restore", read_only_cannot_restore)

        def signed_in_restore():
            run.load(spec_url)
            sign_in("alice-secret")
            driver.find_element(By.CSS_SELECTOR, f"tr[data-commit='{s1}'] a.restore-link").click()
            wait_for(driver, "restore-form")
            expect(not driver.find_elements(By.NAME, "updated_by"), "a signed-in user is not asked for a name")
            driver.find_element(By.ID, "confirm-restore").click()
            wait_for(driver, "restored")
            first = driver.find_element(By.CSS_SELECTOR, "#revisions tbody tr td.author").text
            expect(first == "pm_alice", f"the restorer is the token's name: {first}")
            expect(not run.console_errors(), "console errors")
        run.check("a signed-in restore is authored by the token's name", signed_in_restore)
    finally:
        if driver is not None:
            driver.quit()
        for server in servers:
            server.stop()
    passed, failed = (run.passed, run.failed) if run else (0, 1)
    if failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"browser: server logs are kept in {work}")
    print(f"browser: screenshots are in {shots}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
