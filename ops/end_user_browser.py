#!/usr/bin/env python3
"""Plays an end user of the example application (Examples/EndUserApp) in headless Chromium with a WebAuthn virtual
authenticator (CTAP2, internal transport, resident keys, user verification): register with a new passkey -> log out ->
log in without a username -> create a wallet signed with the passkey, which must then exist at the simulator,
delegated to the user. Then what must be refused: an assertion whose signature or clientData was changed by one
byte, and one posted again after it was accepted, through the app and straight to the simulator with the official
Python SDK. Then the jobs dfns-worker carries out for the user: the app queues a wallet creation on the user's behalf,
the worker parks it with Dfns's challenge, the page signs it and the worker creates the wallet; a transfer from that
wallet the same way, confirmed; a signature changed by one byte fails its job with signature_refused, nothing made; a
signature posted again is refused with 409, the job unchanged. Also checks the page with axe-core's WCAG A/AA rules,
that no answer the page receives carries a token and that the cookie is out of the page's reach. Run by
ops/end-user-check (which ops/test runs)."""
import argparse
import base64
import json
import subprocess
import sys
import time
import urllib.request

from browser_checks import Checks, accessibility_violations, console_errors, headless_chromium
from dfns_sdk import DfnsClient, DfnsClientConfig, DfnsDelegatedClient, DfnsDelegatedClientConfig, DfnsError, KeySigner
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

# Records the body of every answer the page's fetch receives, to check none carries a token.
RECORD_ANSWERS = """
if (!window.__answers) {
  window.__answers = [];
  const original = window.fetch;
  window.fetch = async (...args) => {
    const response = await original(...args);
    response.clone().text().then((text) => window.__answers.push(text));
    return response;
  };
}
"""

# Records the body of every signature the page posts for a job, to post one again (a replay).
RECORD_SIGNATURES = """
if (!window.__signatures) {
  window.__signatures = [];
  const original = window.fetch;
  window.fetch = (path, init) => {
    if (init && init.method === "POST" && /^\\/api\\/jobs\\/\\d+\\/signature$/.test(String(path))) window.__signatures.push({path, body: init.body});
    return original(path, init);
  };
}
"""

# Runs an async function of the page's window.endUserApp in the browser; answers {value} or {error, status}.
ASYNC = """
const done = arguments[arguments.length - 1];
(async () => { %s })().then((value) => done({value}), (error) => done({error: String(error.message || error), status: error.status}));
"""


def b64url_flip(text: str, index: int) -> str:
    """The base64url string of the same bytes with one byte (at `index`, from the end when negative) changed."""
    raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the app, e.g. http://localhost:8080 (localhost: the relying party)")
    parser.add_argument("--simulator", required=True, help="the simulator's base URL")
    parser.add_argument("--service-account", required=True, help="directory with the app's service account: token, cred-id, private.pem")
    parser.add_argument("--database-url", required=True, help="the database of the app and its worker (read with psql)")
    args = parser.parse_args()
    started = time.monotonic()

    driver = headless_chromium(script_timeout=90)
    wait = WebDriverWait(driver, 60)  # generous: a loaded 2-core machine; every wait ends as soon as its condition holds
    # The jobs: the page reads them every second and redraws the list when one moves.
    quick = WebDriverWait(driver, 60, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException])
    check = Checks()

    def status_says(text: str) -> None:
        wait.until(lambda d: text in d.find_element(By.ID, "status").text or "Not done" in d.find_element(By.ID, "status").text)

    def status() -> str:
        return driver.find_element(By.ID, "status").text

    def accessible(page: str) -> None:
        found = accessibility_violations(driver)
        check(not found, f"{page}: no WCAG A/AA violations found by axe-core {found if found else ''}")


    def in_page(script: str, *arguments):
        return driver.execute_async_script(ASYNC % script, *arguments)

    def wallet_ids() -> list:
        return [item.get_attribute("data-wallet-id") for item in driver.find_elements(By.CSS_SELECTOR, "#wallets li[data-wallet-id]")]

    def sql(query: str, **variables) -> str:
        """One row of `query` as psql prints it (`a|b|c`); variables are bound as psql's :'name'."""
        command = ["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", args.database_url]
        for name, value in variables.items():
            command += ["-v", f"{name}={value}"]
        return subprocess.run(command, input=query, capture_output=True, text=True, check=True, timeout=30).stdout.strip()

    def job_row(job_id: int) -> str:
        """`state|on_behalf_of|challenge held (true or empty)|result id|result status|last error code` of the row."""
        return sql("SELECT concat_ws('|', state, on_behalf_of, coalesce((user_challenge ? 'challengeIdentifier')::text, ''), "
                   "coalesce(result->>'id', ''), coalesce(result->>'status', ''), coalesce(last_error->>'code', '')) "
                   "FROM dfns_worker.jobs WHERE id = :'id'", id=job_id)

    def page_jobs() -> dict:
        """The user's jobs as the page reads them (GET /api/jobs), by id."""
        return {job["id"]: job for job in in_page("return await window.endUserApp.api('GET', '/api/jobs')")["value"]["items"]}

    def listed(job_id: int) -> dict:
        """The job's line in the page's list of all jobs, read at once (the page redraws the list when a job moves):
        {state, text}, empty when it is not listed."""
        return driver.execute_script("const item = document.querySelector(`#jobs li[data-job-id='${arguments[0]}']`);"
                                     "return item ? {state: item.dataset.state, text: item.textContent} : {};", job_id)

    def ends(job_id: int) -> str:
        """Waits until the page lists the job as finished; answers its state."""
        quick.until(lambda d: listed(job_id).get("state") in ("succeeded", "failed", "cancelled"))
        return listed(job_id)["state"]

    def queue(button: str) -> int:
        """Clicks a queue button; answers the id of the job once the page lists it under "Waiting for your signature"."""
        known = driver.execute_script("return [...document.querySelectorAll('#jobs li[data-job-id]')].map((item) => item.dataset.jobId)")
        driver.find_element(By.ID, button).click()
        status_says("Queued job")
        job_id = int(status().split("Queued job ")[1].split(" ")[0]) if status().startswith("Queued job") else -1
        check(str(job_id) not in known, f"the app queued job {job_id} for the user ({status()})")
        quick.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#awaiting li[data-job-id='{job_id}'] button")
                    or d.find_elements(By.CSS_SELECTOR, f"#jobs li[data-job-id='{job_id}'][data-state='failed']"))
        return job_id

    def parked(job_id: int, what: str) -> None:
        row = job_row(job_id)
        job = page_jobs().get(job_id, {})
        check(row.startswith(f"awaiting_signature|{user_id}|true|") and job.get("state") == "awaiting_signature"
              and job.get("challenge", {}).get("challenge") and job["challenge"].get("allowCredentials") and job["challenge"].get("rpId") == "localhost",
              f"{what} parks for the user's signature: the row is awaiting_signature with Dfns's challenge, the page lists it with the "
              f"WebAuthn options ({row})")

    def sign_in_page(job_id: int) -> None:
        # Clicked as the user would; found again if the page redrew the list in between.
        quick.until(lambda d: d.find_element(By.CSS_SELECTOR, f"#awaiting li[data-job-id='{job_id}'] button").click() or True)
        status_says(f"Signed job {job_id}")
        check(status().startswith(f"Signed job {job_id}"), f"the page signed job {job_id} with the passkey and handed it back ({status()})")

    def simulator_wallet(wallet_id: str, token: str) -> dict:
        request = urllib.request.Request(f"{args.simulator}/wallets/{wallet_id}", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    try:
        driver.add_virtual_authenticator(VirtualAuthenticatorOptions(
            protocol=VirtualAuthenticatorOptions.Protocol.CTAP2, transport=VirtualAuthenticatorOptions.Transport.INTERNAL,
            has_resident_key=True, has_user_verification=True, is_user_verified=True, is_user_consenting=True))
        driver.get(args.url + "/")
        wait.until(lambda d: "Create an account" in status())
        driver.execute_script(RECORD_ANSWERS)
        driver.execute_script(RECORD_SIGNATURES)
        check(driver.execute_script("return document.cookie") == "", "no cookie the page's script can read")
        accessible("signed out")

        # Register: a delegated registration, a new passkey, the user logged in with their first wallet.
        email = f"end-user-{int(time.time() * 1000)}@example.com"
        driver.find_element(By.ID, "email").send_keys(email)
        driver.find_element(By.CSS_SELECTOR, "#register-form button").click()
        status_says("Registered")
        check(status().startswith("Registered"), f"registered with a new passkey ({status()})")
        user_id = driver.find_element(By.ID, "user-id").text
        check(user_id.startswith("us-") and driver.find_element(By.ID, "who").text == email, f"logged in as {email} ({user_id})")
        wait.until(lambda d: len(wallet_ids()) == 1)
        check(len(wallet_ids()) == 1, "the registration made the user's first wallet")
        credentials = driver.get_credentials()
        handle = base64.urlsafe_b64decode(credentials[0].user_handle + "==").decode() if credentials and credentials[0].user_handle else None
        check(len(credentials) == 1 and credentials[0].is_resident_credential and credentials[0].rp_id == "localhost" and handle == user_id,
              "the authenticator holds one discoverable passkey for localhost whose user handle is the Dfns user id")
        check(driver.execute_script("return document.cookie") == "", "the session cookie is HttpOnly")
        accessible("signed in")

        # Log out, then log in without a username: the discoverable passkey names the user.
        driver.find_element(By.ID, "logout").click()
        status_says("Logged out")
        check(driver.find_element(By.ID, "signed-in").get_attribute("hidden") is not None, "logged out: the account is hidden")
        check(in_page("return await window.endUserApp.api('GET', '/api/session')")["value"]["signedIn"] is False,
              "logged out: the backend forgot the login")
        check(not console_errors(driver), "no errors in the browser console so far")
        check(in_page("return await window.endUserApp.api('GET', '/api/wallets')").get("status") == 401, "logged out: wallets need a login")
        driver.get_log("browser")  # the 401 just asked for
        driver.find_element(By.ID, "login").click()
        status_says("Logged in as")
        check(status().startswith("Logged in as") and driver.find_element(By.ID, "user-id").text == user_id,
              f"logged in again without a username, as the same user ({status()})")

        # A wallet created and signed with the passkey (the backend relays init and complete with the user's token).
        driver.find_element(By.ID, "wallet-name").send_keys("Signed in the browser")
        driver.find_element(By.CSS_SELECTOR, "#wallet-form button").click()
        status_says("Wallet created")
        check(status().startswith("Wallet created"), f"wallet created with the passkey's signature ({status()})")
        wait.until(lambda d: len(wallet_ids()) == 2)
        created = [item for item in driver.find_elements(By.CSS_SELECTOR, "#wallets li") if "Signed in the browser" in item.text]
        check(len(created) == 1, "the page lists the new wallet")
        sim_wallet = simulator_wallet(created[0].get_attribute("data-wallet-id"), "sim-token") if created else {}
        check(sim_wallet.get("name") == "Signed in the browser" and sim_wallet.get("custodial") is False and sim_wallet.get("network") == "EthereumSepolia",
              f"the simulator has the wallet, delegated to the user (custodial: {sim_wallet.get('custodial')})")
        answers = driver.execute_script("return window.__answers")
        leaked = [text for text in answers if any(word in text for word in ("temporaryAuthenticationToken", '"token"', "challengeIdentifier", "otpUrl"))]
        check(len(answers) >= 8 and not leaked, f"none of the {len(answers)} answers the page received carries a token or challenge identifier")
        errors = console_errors(driver)
        check(not errors, f"no errors in the browser console {errors if errors else ''}")

        # Tampered assertions, through the app: the simulator refuses them; the right one still goes through, once.
        pending = in_page("return await window.endUserApp.api('POST', '/api/wallets', {name: 'Tamper target'})")["value"]
        signed = in_page("return await window.endUserApp.signChallenge(arguments[0])", pending["challenge"])["value"]
        post = "return await window.endUserApp.api('POST', '/api/actions/' + arguments[0], arguments[1])"
        bad_signature = in_page(post, pending["actionId"], dict(signed, signature=b64url_flip(signed["signature"], -5)))
        check(bad_signature.get("status") == 401, f"a signature changed by one byte is refused ({bad_signature})")
        bad_client_data = in_page(post, pending["actionId"], dict(signed, clientData=b64url_flip(signed["clientData"], 20)))
        check(bad_client_data.get("status") == 400, f"clientData changed by one byte is refused ({bad_client_data})")
        # A space after the JSON: the same members, so only the signature over SHA-256(clientData) can tell.
        padded = base64.urlsafe_b64encode(base64.urlsafe_b64decode(signed["clientData"] + "==") + b" ").decode().rstrip("=")
        bad_client_data = in_page(post, pending["actionId"], dict(signed, clientData=padded))
        check(bad_client_data.get("status") == 401, f"clientData with one byte added and the same members is refused ({bad_client_data})")
        good = in_page(post, pending["actionId"], signed)
        check("value" in good and good["value"]["result"].get("name") == "Tamper target", "the untouched assertion is then accepted")
        replay = in_page(post, pending["actionId"], signed)
        check(replay.get("status") == 404, f"the same signed challenge posted again is refused ({replay})")
        other = in_page("return await window.endUserApp.api('POST', '/api/wallets', {name: 'Never signed'})")["value"]
        crossed = in_page(post, other["actionId"], signed)
        check(crossed.get("status") == 400, f"an assertion of another write's challenge is refused ({crossed})")

        # The same, straight to the simulator with the official Python SDK, as a service account relaying for the user:
        # the browser's assertion is accepted once, and a replay of it is refused by Dfns itself (the challenge is spent).
        account = {name: open(f"{args.service_account}/{name}").read() for name in ("token", "cred-id", "private.pem")}
        service = DfnsClient(DfnsClientConfig(auth_token=account["token"], base_url=args.simulator,
                                              signer=KeySigner(credential_id=account["cred-id"], private_key=account["private.pem"])))
        user = DfnsDelegatedClient(DfnsDelegatedClientConfig(
            auth_token=service.auth.delegated_login({"username": email})["token"], base_url=args.simulator))
        body = {"network": "EthereumSepolia", "name": "Relayed by the Python SDK"}
        challenge = user.wallets.create_wallet_init(body)
        browser_challenge = {"challenge": challenge["challenge"], "rpId": None, "userVerification": challenge.get("userVerification"),
                             "allowCredentials": [item["id"] for item in challenge["allowCredentials"]["webauthn"]]}
        assertion = in_page("return await window.endUserApp.signChallenge(arguments[0])", browser_challenge)["value"]
        signed_challenge = {"challengeIdentifier": challenge["challengeIdentifier"], "firstFactor": {"kind": "Fido2", "credentialAssertion": assertion}}
        check(user.wallets.create_wallet_complete(body, signed_challenge).get("name") == body["name"],
              "the official Python SDK completes a write with the browser's assertion")
        try:
            user.wallets.create_wallet_complete(body, signed_challenge)
            check(False, "the simulator refuses a replayed assertion (it accepted it twice)")
        except DfnsError as error:
            check(error.status_code in (400, 401, 403), f"the simulator refuses a replayed assertion ({error})")
        names = [wallet.get("name") for wallet in user.wallets.list_wallets()["items"]]
        check(sorted(names) == sorted(["First wallet", "Signed in the browser", "Tamper target", "Relayed by the Python SDK"]),
              f"the user has exactly the four wallets they signed for ({names})")

        # Jobs dfns-worker carries out for the user: queued by the app on the user's behalf, parked by the worker with
        # Dfns's challenge, signed in the page, completed by the worker.
        driver.get_log("browser")  # the refusals above, asked for
        check(driver.find_element(By.ID, "jobs-on").get_attribute("hidden") is None, "the page offers the jobs the worker carries out")
        wallet_job = queue("queue-wallet")
        parked(wallet_job, "the wallet creation")
        sign_in_page(wallet_job)
        state = ends(wallet_job)
        made = page_jobs().get(wallet_job, {})
        wallet = made.get("resultId") or ""
        check(state == "succeeded" and wallet.startswith("wa-") and wallet in listed(wallet_job)["text"],
              f"the worker created the wallet once signed; the page shows it ({listed(wallet_job)['text']})")
        sim_wallet = simulator_wallet(wallet, "sim-token") if wallet else {}
        mine = [item["id"] for item in in_page("return await window.endUserApp.api('GET', '/api/wallets')")["value"]["items"]]
        check(sim_wallet.get("custodial") is False and sim_wallet.get("network") == "EthereumSepolia" and wallet in mine,
              f"the wallet is delegated to the user and is among their wallets at Dfns (custodial: {sim_wallet.get('custodial')})")
        check(job_row(wallet_job).startswith(f"succeeded|{user_id}||{wallet}|"), f"the row is succeeded with the wallet as its result ({job_row(wallet_job)})")
        quick.until(lambda d: wallet in wallet_ids())
        check(wallet in wallet_ids(), "the page lists the job's wallet among the user's wallets")

        # The signature of the wallet job, posted again: refused (409), the job as it was.
        replayed = driver.execute_script("return window.__signatures.find((s) => s.path.endsWith('/' + arguments[0] + '/signature'))", wallet_job)
        before = job_row(wallet_job)
        replay = in_page("return await window.endUserApp.api('POST', arguments[0], JSON.parse(arguments[1]))", replayed["path"], replayed["body"]) \
            if replayed else {}
        driver.get_log("browser")  # the 409 just asked for
        check(replay.get("status") == 409 and job_row(wallet_job) == before,
              f"the same signature posted again is refused with 409 and the job is unchanged ({replay.get('error')})")

        # A transfer from the wallet the first job made: parked, signed, followed until Dfns confirms it.
        quick.until(lambda d: wallet in d.find_element(By.ID, "queue-transfer").text and d.find_element(By.ID, "queue-transfer").is_enabled())
        transfer_job = queue("queue-transfer")
        parked(transfer_job, "the transfer")
        check(page_jobs().get(transfer_job, {}).get("summary", "").startswith(f"Send 1000 wei from {wallet}"), "the transfer is from the wallet the first job made")
        sign_in_page(transfer_job)
        state = ends(transfer_job)
        transfer = page_jobs().get(transfer_job, {})
        check(state == "succeeded" and transfer.get("resultStatus") == "Confirmed" and "Confirmed" in listed(transfer_job)["text"]
              and job_row(transfer_job).endswith(f"|{transfer.get('resultId')}|Confirmed|"),
              f"the worker sent the transfer once signed and followed it to Confirmed ({listed(transfer_job)['text']})")

        # A signature changed by one byte before it is posted: the app hands it over (its shape is right), Dfns refuses
        # it, the job fails with signature_refused and nothing is created.
        tampered_job = queue("queue-wallet")
        parked(tampered_job, "a second wallet creation")
        wallets_before = len(in_page("return await window.endUserApp.api('GET', '/api/wallets')")["value"]["items"])
        challenge = page_jobs()[tampered_job]["challenge"]
        signed = in_page("return await window.endUserApp.signChallenge(arguments[0])", challenge)["value"]
        post_signature = "return await window.endUserApp.api('POST', '/api/jobs/' + arguments[0] + '/signature', arguments[1])"
        malformed = in_page(post_signature, tampered_job, dict(signed, signature="not base64url!"))
        driver.get_log("browser")  # the 400 just asked for
        check(malformed.get("status") == 400 and job_row(tampered_job).startswith("awaiting_signature|"),
              f"an assertion that is not base64url is refused with 400, the job still awaiting ({malformed.get('error')})")
        posted = in_page(post_signature, tampered_job, dict(signed, signature=b64url_flip(signed["signature"], -5)))
        check("value" in posted, f"the app hands a signature changed by one byte to the worker (Dfns is the one to check it) ({posted})")
        state = ends(tampered_job)
        wallets_after = len(in_page("return await window.endUserApp.api('GET', '/api/wallets')")["value"]["items"])
        check(state == "failed" and "signature_refused" in listed(tampered_job)["text"] and job_row(tampered_job) == f"failed|{user_id}||||signature_refused"
              and wallets_after == wallets_before,
              f"the job fails with signature_refused and no wallet is made ({listed(tampered_job)['text']}; {wallets_before} -> {wallets_after} wallets)")

        # What the app refuses: a kind of job it does not queue, a job acting for another user (not listed, 404), no such
        # job (404).
        refused_kind = in_page("return await window.endUserApp.api('POST', '/api/jobs', {kind: 'noop', payload: {}})")
        check(refused_kind.get("status") == 400, f"a kind of job the app does not offer is refused ({refused_kind.get('error')})")
        foreign_job = int(sql("SELECT dfns_worker.enqueue('create_wallet', '{\"network\": \"EthereumSepolia\"}', on_behalf_of => 'us-someone-else')"))
        foreign = in_page(post_signature, foreign_job, signed)
        check(foreign_job not in page_jobs() and foreign.get("status") == 404, f"another user's job is neither listed nor signed ({foreign.get('error')})")
        missing = in_page(post_signature, 999_999_999, signed)
        check(missing.get("status") == 404, f"a job that does not exist is refused with 404 ({missing.get('error')})")
        driver.get_log("browser")  # the refusals just asked for

        answers = driver.execute_script("return window.__answers")
        leaked = [text for text in answers if any(word in text for word in ("temporaryAuthenticationToken", '"token"', "challengeIdentifier", "otpUrl"))]
        check(not leaked, f"none of the {len(answers)} answers the page received, the jobs' included, carries a token or challenge identifier")
        errors = console_errors(driver)
        check(not errors, f"no errors in the browser console {errors if errors else ''}")
        accessible("signed in, with jobs")
    except Exception as error:  # a step that could not even run: its check fails, the others already ran are kept
        check(False, f"the walk stopped: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    finally:
        driver.quit()
    return check.summary("end users in a browser", f" in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
