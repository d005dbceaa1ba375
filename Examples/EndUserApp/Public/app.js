// The page's half of the end user's passkey flows: it asks this site's backend for a Dfns challenge, has the browser's
// WebAuthn make or use the passkey on it, and posts the result back. The backend keeps every token; the page sees
// challenges only. No framework, no third-party script.
//
// Encodings (dfns-auth.md §3.1, §3.2):
// - Every binary field posted (credId = rawId, clientData, attestationData, authenticatorData, signature, userHandle)
//   is base64url WITHOUT padding of the raw bytes, as Dfns expects.
// - The challenge: WebAuthn is given the base64url-DECODED bytes of Dfns's challenge string, as the official Swift SDK
//   (dfns-sdk-swift Sources/DfnsSdk/PasskeysSigner.swift: `Utils.base64URLUnescaped(challenge.challenge)`, decoded by
//   its Passkey helper) and the Kotlin, React Native and Flutter SDKs do. The browser then writes
//   `clientDataJSON.challenge` = base64url(those bytes) = exactly the string Dfns sent, as in Dfns's documented
//   examples, so the server compares it as it is. (TypeScript sdk-browser gives WebAuthn the string's UTF-8 bytes
//   instead, which makes clientData.challenge = base64url(UTF-8(challenge)); Dfns and the simulator accept both, but
//   only the decoded form matches the documented examples byte for byte, and it signs the challenge's own random bytes.)
// - user.id for a new passkey: the UTF-8 bytes of the Dfns user id (`us-…`), as every Dfns SDK; it comes back as the
//   assertion's userHandle, which is how a login without a username names its user.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const status = $("status");

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  function toBase64url(buffer) {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromBase64url(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (character) => character.charCodeAt(0));
  }

  /** Calls the backend's JSON API; throws an Error carrying the backend's message and status. */
  async function api(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(answer.error || `the server answered ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return answer;
  }

  /** A new passkey on a Dfns registration challenge, shaped as Dfns's Fido2 `credentialInfo`. */
  async function createPasskey(challenge) {
    const credential = await navigator.credentials.create({
      publicKey: {
        challenge: fromBase64url(challenge.challenge),
        rp: { id: challenge.rp?.id || location.hostname, name: challenge.rp?.name || document.title },
        user: {
          id: new TextEncoder().encode(challenge.user.id),
          name: challenge.user.name,
          displayName: challenge.user.displayName || challenge.user.name,
        },
        pubKeyCredParams: challenge.pubKeyCredParams,
        authenticatorSelection: challenge.authenticatorSelection,
        attestation: challenge.attestation || "none",
        excludeCredentials: (challenge.excludeCredentials || []).map((item) => ({ type: "public-key", id: fromBase64url(item.id) })),
        timeout: 120000,
      },
    });
    return {
      credId: toBase64url(credential.rawId),
      clientData: toBase64url(credential.response.clientDataJSON),
      attestationData: toBase64url(credential.response.attestationObject),
    };
  }

  /**
   * The user's passkey signing a Dfns challenge (a login's or a user action's), shaped as Dfns's Fido2
   * `credentialAssertion`. No allowed credentials means any passkey of this site (a login without a username).
   */
  async function signChallenge(challenge) {
    const assertion = await navigator.credentials.get({
      publicKey: {
        challenge: fromBase64url(challenge.challenge),
        rpId: challenge.rpId || location.hostname,
        allowCredentials: (challenge.allowCredentials || []).map((id) => ({ type: "public-key", id: fromBase64url(id) })),
        userVerification: challenge.userVerification || "required",
        timeout: 120000,
      },
    });
    const response = assertion.response;
    const signed = {
      credId: toBase64url(assertion.rawId),
      clientData: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
    };
    if (response.userHandle && response.userHandle.byteLength > 0) signed.userHandle = toBase64url(response.userHandle);
    return signed;
  }

  // MARK: Screens

  function show(session) {
    $("signed-out").hidden = session.signedIn;
    $("signed-in").hidden = !session.signedIn;
    if (session.signedIn) {
      $("who").textContent = session.username || session.userId;
      $("user-id").textContent = session.userId;
    }
    jobsOn = session.signedIn && session.parkedJobs;
    $("jobs-on").hidden = !jobsOn;
    $("jobs-off").hidden = !session.signedIn || session.parkedJobs;
    if (jobsOn) startPolling();
  }

  async function refreshWallets() {
    const list = $("wallets");
    const { items } = await api("GET", "/api/wallets");
    list.replaceChildren(
      ...items.map((wallet) => {
        const item = document.createElement("li");
        item.dataset.walletId = wallet.id;
        item.textContent = `${wallet.name || "(no name)"}: ${wallet.network} ${wallet.address || ""} (${wallet.id})`;
        return item;
      }),
    );
    if (items.length === 0) {
      const item = document.createElement("li");
      item.textContent = "No wallet yet.";
      list.append(item);
    }
  }

  /** Runs one user step with its buttons disabled, reporting progress and failures in the live status region. */
  async function step(form, working, action) {
    const buttons = form.matches("button") ? [form] : form.querySelectorAll("button");
    buttons.forEach((button) => (button.disabled = true));
    say(working);
    try {
      say(await action());
    } catch (error) {
      const cancelled = error.name === "NotAllowedError";
      say(cancelled ? "Cancelled: your device did not use a passkey." : `Not done: ${error.message}`, true);
    } finally {
      buttons.forEach((button) => (button.disabled = false));
    }
  }

  async function register(event) {
    event.preventDefault();
    const email = $("email").value.trim();
    await step(event.target, "Opening a registration…", async () => {
      const challenge = await api("POST", "/api/registration", { email });
      say("Create the passkey on your device…");
      const session = await api("POST", "/api/registration/complete", await createPasskey(challenge));
      show(session);
      await refreshWallets();
      return `Registered ${email}: your passkey is your login, and your first wallet is ready.`;
    });
  }

  async function login() {
    await step($("signed-out"), "Asking for a login challenge…", async () => {
      const challenge = await api("POST", "/api/login", {});
      say("Choose your passkey on your device…");
      const session = await api("POST", "/api/login/complete", await signChallenge(challenge));
      show(session);
      await refreshWallets();
      return `Logged in as ${session.username || session.userId}.`;
    });
  }

  async function logout() {
    await step($("signed-in"), "Logging out…", async () => {
      await stopPolling(); // no read of the jobs may reach the backend after the logout (it would answer 401)
      show(await api("POST", "/api/logout", {}));
      $("wallets").replaceChildren();
      $("awaiting").replaceChildren();
      $("jobs").replaceChildren();
      shownJobs = "";
      walletsMadeByJobs = null;
      return "Logged out.";
    });
  }

  /** A write the user signs: the backend starts it, the passkey signs Dfns's challenge, the backend completes it. */
  async function signAction(start) {
    const pending = await start();
    say(`Approve on your device: ${pending.summary}…`);
    const done = await api("POST", `/api/actions/${encodeURIComponent(pending.actionId)}`, await signChallenge(pending.challenge));
    return done;
  }

  async function createWallet(event) {
    event.preventDefault();
    const name = $("wallet-name").value.trim();
    await step(event.target, "Asking Dfns for the challenge of the new wallet…", async () => {
      const done = await signAction(() => api("POST", "/api/wallets", { name }));
      $("wallet-name").value = "";
      await refreshWallets();
      return `Wallet created (${done.result.id}): your passkey approved “${done.done}”.`;
    });
  }

  // MARK: Jobs the worker carries out
  //
  // The backend queues a job for the user (dfns_worker.enqueue … on_behalf_of); dfns-worker logs the user in, asks
  // Dfns for the challenge and parks the job in awaiting_signature. The page reads the user's jobs every second
  // while they are logged in (more often for a few seconds after they queued or signed one), has the passkey sign a
  // parked job's challenge as it signs any write, and posts the assertion; the backend hands it to dfns_worker.sign
  // and the worker completes the write. The list then shows how each job ended: the wallet or transfer made, or the
  // failure's code.

  /** Where the example's transfers go: any address will do on a test network. */
  const transferTo = "0x000000000000000000000000000000000000dead";
  let jobsOn = false;
  /** The reads of the jobs: the timer, the read in flight (awaited before a logout), when the next one is due. */
  let polling = null;
  /** The list as last shown, so an unchanged poll leaves the page (and the focus) alone. */
  let shownJobs = "";
  /** The wallet the transfer button sends from: the first one a job made. */
  let transferWallet = null;
  /** How many wallets the jobs had made at the last redraw (a new one is then listed under "Your wallets" too). */
  let walletsMadeByJobs = null;

  function startPolling() {
    if (polling || !jobsOn) return;
    polling = { timer: setInterval(poll, 250), current: Promise.resolve(), busy: false, next: 0, quickUntil: 0 };
    poll();
  }

  /** Reads the jobs every second, and four times a second for a few seconds after the user acted (their job moves). */
  function poll() {
    const current = polling;
    const now = Date.now();
    if (!current || current.busy || now < current.next) return;
    current.next = now + (now < current.quickUntil ? 250 : 1000);
    current.busy = true;
    current.current = refreshJobs()
      .then(() => ($("jobs-problem").hidden = true))
      .catch((error) => {
        if (error.status === 401) {
          stopPolling();
          say("Your login expired: log in again.", true);
          return;
        }
        $("jobs-problem").textContent = `Your jobs could not be read: ${error.message}`;
        $("jobs-problem").hidden = false;
      })
      .finally(() => (current.busy = false));
  }

  /** The user just queued or signed a job: read the list at once and often for a while. */
  function pollSoon() {
    if (!polling) return;
    polling.quickUntil = Date.now() + 5000;
    polling.next = 0;
    poll();
  }

  async function stopPolling() {
    if (!polling) return;
    const { timer, current } = polling;
    clearInterval(timer);
    polling = null;
    await current;
  }

  async function refreshJobs() {
    const { items } = await api("GET", "/api/jobs");
    const text = JSON.stringify(items);
    if (text !== shownJobs) {
      shownJobs = text;
      showJobs(items);
    }
  }

  function note(text) {
    const item = document.createElement("li");
    item.textContent = text;
    return item;
  }

  function outcome(job) {
    switch (job.state) {
      case "succeeded":
        return job.kind === "transfer" ? `succeeded: transfer ${job.resultId}, ${job.resultStatus}` : `succeeded: wallet ${job.resultId}`;
      case "failed":
        return `failed: ${job.errorCode || "see the worker's record"}`;
      case "awaiting_signature":
        return "waiting for your signature";
      default:
        return job.state.replace(/_/g, " ") + (job.errorCode ? ` (last error: ${job.errorCode})` : "");
    }
  }

  function showJobs(items) {
    const focused = document.activeElement?.dataset?.signJob;
    const awaiting = items.filter((job) => job.state === "awaiting_signature" && job.challenge);
    $("awaiting").replaceChildren(...(awaiting.length ? awaiting.map(awaitingItem) : [note("Nothing waits for your signature.")]));
    $("jobs").replaceChildren(
      ...(items.length
        ? items.map((job) => {
            const item = note(`Job ${job.id}: ${job.summary}: ${outcome(job)}`);
            item.dataset.jobId = job.id;
            item.dataset.state = job.state;
            if (job.resultId) item.dataset.resultId = job.resultId;
            return item;
          })
        : [note("No job yet.")]),
    );
    if (focused) document.querySelector(`[data-sign-job="${focused}"]`)?.focus();
    const made = items.filter((job) => job.kind === "create_wallet" && job.state === "succeeded" && job.resultId);
    transferWallet = made.length ? made[made.length - 1].resultId : null; // newest first: the last is the first made
    showTransferButton();
    if (walletsMadeByJobs !== null && made.length > walletsMadeByJobs) refreshWallets().catch(() => {});
    walletsMadeByJobs = made.length;
  }

  function showTransferButton() {
    $("queue-transfer").disabled = !transferWallet;
    $("queue-transfer").textContent = transferWallet ? `Send 1000 wei from ${transferWallet}` : "Send 1000 wei (once a wallet is made here)";
  }

  function awaitingItem(job) {
    const item = note(`Job ${job.id}: ${job.summary} `);
    item.dataset.jobId = job.id;
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.signJob = job.id;
    button.textContent = `Sign job ${job.id}`;
    button.addEventListener("click", () => signJob(job, button));
    item.append(button);
    return item;
  }

  async function signJob(job, button) {
    await step(button, `Approve on your device: ${job.summary}…`, async () => {
      await api("POST", `/api/jobs/${encodeURIComponent(job.id)}/signature`, await signChallenge(job.challenge));
      pollSoon();
      return `Signed job ${job.id}: the worker now carries out “${job.summary}”.`;
    });
  }

  async function queueJob(button, kind, payload, summary) {
    await step(button, `Queueing: ${summary}…`, async () => {
      const { id } = await api("POST", "/api/jobs", { kind, payload });
      pollSoon();
      return `Queued job ${id} (${summary}): it waits for your signature below once the worker has Dfns's challenge.`;
    });
    showTransferButton();
  }

  async function start() {
    $("register-form").addEventListener("submit", register);
    $("login").addEventListener("click", login);
    $("logout").addEventListener("click", logout);
    $("wallet-form").addEventListener("submit", createWallet);
    $("queue-wallet").addEventListener("click", (event) =>
      queueJob(event.currentTarget, "create_wallet", { network: "EthereumSepolia" }, "create an EthereumSepolia wallet"),
    );
    $("queue-transfer").addEventListener("click", (event) =>
      queueJob(
        event.currentTarget,
        "transfer",
        { walletId: transferWallet, kind: "Native", to: transferTo, amount: "1000" },
        `send 1000 wei from ${transferWallet}`,
      ),
    );
    if (!window.PublicKeyCredential) {
      say("This browser cannot use passkeys here (WebAuthn needs https or localhost).", true);
      return;
    }
    try {
      const session = await api("GET", "/api/session");
      show(session);
      if (session.signedIn) await refreshWallets();
      say(session.signedIn ? "Welcome back." : "Create an account or log in with your passkey.");
    } catch (error) {
      say(`The server did not answer: ${error.message}`, true);
    }
  }

  // The building blocks, for an application's own scripts (and the browser check, which tampers with an assertion).
  window.endUserApp = { api, signChallenge, createPasskey };
  start();
})();
