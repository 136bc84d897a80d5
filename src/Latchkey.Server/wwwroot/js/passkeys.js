// Latchkey passkeys (WebAuthn). Loaded as a static file: the Content-Security-Policy forbids inline scripts.
// Elements opt in with data attributes:
//   [data-passkey-register]   button on /account/passkeys that registers a new passkey (name from [data-passkey-name])
//   [data-passkey-signin]     button on the login page: passwordless sign-in in a modal dialog
//   input[autocomplete~=webauthn]  on the login page: conditional UI (passkeys offered in the username autofill)
//   [data-passkey-second-factor]  button on the second-factor page
//   [data-passkey-status]     where messages go
(function () {
  "use strict";

  const base = "/account/passkeys";

  function antiforgeryToken() {
    const input = document.querySelector('input[name="__RequestVerificationToken"]');
    return input ? input.value : "";
  }

  function status(message, isError) {
    const element = document.querySelector("[data-passkey-status]");
    if (!element) {
      return;
    }
    element.textContent = message || "";
    element.hidden = !message;
    element.className = isError ? "error" : "notice";
  }

  async function post(path, body) {
    const response = await fetch(base + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "RequestVerificationToken": antiforgeryToken() },
      body: JSON.stringify(body || {}),
    });
    let json = null;
    try {
      json = await response.json();
    } catch (e) {
      json = null;
    }
    if (!response.ok) {
      const error = new Error((json && json.message) || ("The server answered " + response.status + "."));
      error.server = true;
      throw error;
    }
    return json;
  }

  // --- base64url <-> ArrayBuffer, for browsers without the WebAuthn JSON helpers ---
  function toBuffer(value) {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((value.length + 3) % 4);
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64Url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    const options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBuffer(json.user.id) });
    options.excludeCredentials = (json.excludeCredentials || []).map((c) => Object.assign({}, c, { id: toBuffer(c.id) }));
    return options;
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    const options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.allowCredentials = (json.allowCredentials || []).map((c) => Object.assign({}, c, { id: toBuffer(c.id) }));
    return options;
  }

  function credentialJson(credential) {
    if (typeof credential.toJSON === "function") {
      return credential.toJSON();
    }
    const response = credential.response;
    const json = {
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toBase64Url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64Url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64Url(response.authenticatorData);
      json.response.signature = toBase64Url(response.signature);
      if (response.userHandle) {
        json.response.userHandle = toBase64Url(response.userHandle);
      }
    }
    return json;
  }

  function supported() {
    return typeof window.PublicKeyCredential === "function" && navigator.credentials && window.isSecureContext;
  }

  function explain(error) {
    if (error && error.server) {
      return error.message;
    }
    if (error && error.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out.";
    }
    if (error && error.name === "InvalidStateError") {
      return "This passkey is already registered on your account.";
    }
    if (error && error.name === "SecurityError") {
      return "This browser refused the passkey request for this site (check the site's address and Latchkey:Passkeys settings).";
    }
    return "The passkey request failed" + (error && error.message ? ": " + error.message : ".");
  }

  function returnUrl() {
    const input = document.querySelector('input[name="returnUrl"]');
    return input ? input.value : "/";
  }

  // --- registration (/account/passkeys) ---
  async function register(button) {
    status("");
    const nameInput = document.querySelector("[data-passkey-name]");
    button.disabled = true;
    try {
      const begun = await post("/registration/options");
      const credential = await navigator.credentials.create({ publicKey: creationOptions(begun.options) });
      await post("/registration", {
        ceremony: begun.ceremony,
        credential: credentialJson(credential),
        name: nameInput ? nameInput.value : "",
      });
      window.location.reload();
    } catch (error) {
      status(explain(error), true);
    } finally {
      button.disabled = false;
    }
  }

  // --- authentication (login page and second-factor page) ---
  let conditional = null;

  async function authenticate(kind, mediation) {
    const optionsPath = kind === "signin" ? "/signin/options" : "/second-factor/options";
    const finishPath = kind === "signin" ? "/signin" : "/second-factor";
    const begun = await post(optionsPath);
    const request = { publicKey: requestOptions(begun.options) };
    if (mediation) {
      conditional = new AbortController();
      request.mediation = mediation;
      request.signal = conditional.signal;
    }
    const credential = await navigator.credentials.get(request);
    const done = await post(finishPath, { ceremony: begun.ceremony, credential: credentialJson(credential), returnUrl: returnUrl() });
    window.location.assign(done.redirect || "/");
  }

  async function modal(kind, button) {
    status("");
    if (conditional) {
      // Only one WebAuthn request may be pending; the button replaces the autofill one.
      conditional.abort();
      conditional = null;
    }
    button.disabled = true;
    try {
      await authenticate(kind, null);
    } catch (error) {
      status(explain(error), true);
      button.disabled = false;
    }
  }

  async function startConditionalUi() {
    if (!document.querySelector('input[autocomplete~="webauthn"]') || !PublicKeyCredential.isConditionalMediationAvailable) {
      return;
    }
    if (!(await PublicKeyCredential.isConditionalMediationAvailable())) {
      return;
    }
    try {
      await authenticate("signin", "conditional");
    } catch (error) {
      if (error && error.name === "AbortError") {
        return;
      }
      status(explain(error), true);
    }
  }

  function init() {
    const controls = document.querySelectorAll("[data-passkey-register], [data-passkey-signin], [data-passkey-second-factor]");
    if (!supported()) {
      controls.forEach((element) => { element.disabled = true; });
      if (controls.length > 0) {
        status("This browser cannot use passkeys here (it needs WebAuthn and a secure https or localhost address).", true);
      }
      return;
    }
    document.querySelectorAll("[data-passkey-register]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => register(button));
    });
    document.querySelectorAll("[data-passkey-signin]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => modal("signin", button));
    });
    document.querySelectorAll("[data-passkey-second-factor]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => modal("second-factor", button));
    });
    startConditionalUi();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
