"""What the browser checks (ops/console_browser.py, ops/end_user_browser.py) share: headless Chromium through Debian's
chromium and chromium-driver, checks printed as they run and counted at the end, axe-core's WCAG 2 A/AA rules on the
page shown, and the browser console's errors."""
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def headless_chromium(script_timeout):
    """Headless Chromium keeping the browser console's log; `script_timeout` seconds for an async script."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(script_timeout)
    return driver


class Checks:
    """Checks as they pass or fail, printed at once; `summary` says how many passed and is the exit status."""

    def __init__(self):
        self.results = []

    def __call__(self, condition, what):
        self.results.append((bool(condition), what))
        print(("ok   " if condition else "FAIL ") + what, flush=True)

    def summary(self, label, suffix=""):
        failed = [what for ok, what in self.results if not ok]
        print(f"{label}: {len(self.results) - len(failed)}/{len(self.results)} checks passed{suffix}")
        return 1 if failed else 0


def accessibility_violations(driver):
    """axe-core's WCAG 2 A/AA rules (the axe-core that axe-selenium-python bundles) on the page shown: the rules broken."""
    Axe(driver).inject()
    return driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        ".then(r => done(r.violations.map(v => v.id + ' (' + v.impact + ', ' + v.nodes.length + '×)')))"
        ".catch(e => done(['axe failed: ' + e]))")


def console_errors(driver):
    """The browser console's errors so far."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
