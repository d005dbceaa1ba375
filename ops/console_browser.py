#!/usr/bin/env python3
"""Drives the operator console in headless Chromium (Selenium + Debian's chromium-driver): overview -> filter ->
job detail -> sign in -> retry, checking what is on the screen, axe-core's WCAG A/AA rules on each page, that no
script runs from a hostile payload and that the browser logged no errors. Saves screenshots. Run by
ops/console-check (which ops/test runs)."""
import argparse
import sys
import time

from browser_checks import Checks, accessibility_violations, console_errors, headless_chromium
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the console's base URL, e.g. http://127.0.0.1:9400/console")
    parser.add_argument("--token", required=True)
    parser.add_argument("--hostile-job", required=True, type=int)
    parser.add_argument("--screenshots", required=True)
    args = parser.parse_args()

    driver = headless_chromium(script_timeout=60)
    wait = WebDriverWait(driver, 15)
    check = Checks()

    def accessible(page: str) -> None:
        found = accessibility_violations(driver)
        check(not found, f"{page}: no WCAG A/AA violations found by axe-core {found if found else ''}")

    try:
        # Overview: counts, the worker alive, the refresh script loaded.
        driver.get(args.url + "/")
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Overview"))
        body = driver.find_element(By.TAG_NAME, "main").text
        check("Queues and kinds" in body and "create_wallet" in body, "overview lists queues and kinds")
        check("Workers alive" in body and "running" in body, "overview lists the worker alive")
        check(driver.find_element(By.TAG_NAME, "body").get_attribute("data-refresh") == "5", "overview refreshes itself")
        time.sleep(6)  # one live refresh: the script swaps <main> without a reload and without errors
        check(driver.find_element(By.TAG_NAME, "h1").text == "Overview", "overview still shown after a live refresh")
        driver.save_screenshot(f"{args.screenshots}/overview.png")
        accessible("overview")

        # Filter the list to failed jobs with the form, as an operator would.
        driver.find_element(By.LINK_TEXT, "Jobs").click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Jobs"))
        Select(driver.find_element(By.ID, "state")).select_by_value("failed")
        driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        wait.until(ec.url_contains("state=failed"))
        states = [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "table.jobs .state")]
        check(len(states) > 0 and set(states) == {"failed"}, f"filtered list shows failed jobs only ({len(states)})")
        driver.save_screenshot(f"{args.screenshots}/jobs.png")
        accessible("job list")

        # One job: its timeline and why it may be retried; sign in, then retry it.
        driver.find_element(By.CSS_SELECTOR, "table.jobs th[scope=row] a").click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Job #"))
        job_url = driver.current_url
        text = driver.find_element(By.TAG_NAME, "main").text
        check("History" in text and "failed" in text, "job page shows its history")
        check("sign in to do it" in text, "retry offered after signing in")
        driver.find_element(By.LINK_TEXT, "Sign in to act").click()
        wait.until(ec.presence_of_element_located((By.ID, "token")))
        driver.find_element(By.ID, "token").send_keys(args.token)
        driver.find_element(By.CSS_SELECTOR, "form.login button").click()
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".session"), "Browser check"))
        driver.get(job_url)
        driver.find_element(By.XPATH, "//button[normalize-space()='Retry']").click()
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "p.notice"), "Done: retry"))
        text = driver.find_element(By.TAG_NAME, "main").text
        check("Retry by console: Browser check" in text, "the retry is recorded on the job with who did it")
        driver.save_screenshot(f"{args.screenshots}/job.png")
        accessible("job page")

        # A payload carrying markup is shown as text; nothing of it runs.
        driver.get(f"{args.url}/jobs/{args.hostile_job}")
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Job #"))
        try:
            driver.switch_to.alert
            alert = True
        except NoAlertPresentException:
            alert = False
        check(not alert and "<script>" in driver.find_element(By.CSS_SELECTOR, "#payload + pre, section pre").text,
              "hostile payload shown as text, no script ran")

        # Phone width: the page still fits (tables scroll inside their box).
        driver.set_window_size(390, 844)
        driver.get(args.url + "/")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        check(width <= 400, f"overview fits a phone's width ({width} px)")
        driver.save_screenshot(f"{args.screenshots}/overview-phone.png")

        errors = console_errors(driver)
        check(not errors, f"no errors in the browser console {errors if errors else ''}")
    finally:
        driver.quit()
    return check.summary("console in a browser")


if __name__ == "__main__":
    sys.exit(main())
