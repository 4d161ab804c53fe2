// portico default theme: copy buttons for email templates and a per-submission key for the
// referral form. Everything works without this file; it only adds conveniences.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Older browsers and plain-http previews: copy through a temporary selection.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  function sourceText(scope, name) {
    var source = scope.querySelector('[data-copy-source="' + name + '"]');
    if (!source) { return ""; }
    return "value" in source ? source.value : source.textContent;
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var scope = button.closest(".email") || document;
    var status = scope.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = sourceText(scope, button.getAttribute("data-copy"));
      button.setAttribute("data-copied-text", text);
      copyText(text).then(function () {
        if (status) { status.textContent = "Copied to clipboard"; }
      }, function () {
        if (status) { status.textContent = "Copy failed: select the text and copy it by hand"; }
      });
    });
  });

  document.querySelectorAll("[data-idempotency-key]").forEach(function (input) {
    if (window.crypto && window.crypto.randomUUID) {
      input.value = window.crypto.randomUUID();
    }
  });
})();
