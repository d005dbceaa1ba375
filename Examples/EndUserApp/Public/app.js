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
    const buttons = form.querySelectorAll("button");
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
      show(await api("POST", "/api/logout", {}));
      $("wallets").replaceChildren();
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

  async function start() {
    $("register-form").addEventListener("submit", register);
    $("login").addEventListener("click", login);
    $("logout").addEventListener("click", logout);
    $("wallet-form").addEventListener("submit", createWallet);
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
