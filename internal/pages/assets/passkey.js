// Passkeys on the hosted pages: the one script, and only an enhancement.
// Where the browser supports WebAuthn it shows the passkey buttons; each
// asks the server for the ceremony's options, lets the browser sign, and
// posts the answer with the form it belongs to. Without it the pages work
// with their other methods.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  document.documentElement.classList.add("has-js");

  function b64uToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function bufToB64u(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function decodeOptions(pk) {
    pk.challenge = b64uToBuf(pk.challenge);
    if (pk.user && pk.user.id) { pk.user.id = b64uToBuf(pk.user.id); }
    ["allowCredentials", "excludeCredentials"].forEach(function (k) {
      (pk[k] || []).forEach(function (c) { c.id = b64uToBuf(c.id); });
    });
    return pk;
  }
  function encodeCredential(c) {
    var r = c.response, out = { id: c.id, rawId: bufToB64u(c.rawId), type: c.type, response: {} };
    ["clientDataJSON", "authenticatorData", "signature", "userHandle", "attestationObject"].forEach(function (k) {
      if (r[k]) { out.response[k] = bufToB64u(r[k]); }
    });
    if (r.getTransports) { out.response.transports = r.getTransports(); }
    if (c.authenticatorAttachment) { out.authenticatorAttachment = c.authenticatorAttachment; }
    out.clientExtensionResults = c.getClientExtensionResults ? c.getClientExtensionResults() : {};
    return out;
  }

  function run(form, ev) {
    ev.preventDefault();
    var error = form.querySelector("[data-passkey-error]");
    var field = form.querySelector("input[name=assertion], input[name=credential]");
    var csrf = form.querySelector("input[name=csrf]").value;
    if (error) { error.hidden = true; }
    fetch(form.getAttribute("data-begin"), {
      method: "POST",
      headers: { "X-CSRF-Token": csrf },
      credentials: "same-origin"
    }).then(function (res) {
      if (!res.ok) { throw new Error("options " + res.status); }
      return res.json();
    }).then(function (options) {
      var pk = decodeOptions(options.publicKey);
      if (form.getAttribute("data-passkey") === "register") {
        return navigator.credentials.create({ publicKey: pk });
      }
      return navigator.credentials.get({ publicKey: pk, mediation: options.mediation || "optional" });
    }).then(function (cred) {
      field.value = JSON.stringify(encodeCredential(cred));
      form.submit();
    }).catch(function () {
      if (error) { error.hidden = false; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-passkey]").forEach(function (form) {
      form.addEventListener("submit", function (ev) { run(form, ev); });
    });
  });
})();
