// portico default theme: email templates and one-pagers. The generator marks each placeholder
// (`{{client_first_name}}`, `[Your Firm]`) as <span data-placeholder="key">; a partner types
// the values once, every template then shows them, and the copy, email and print buttons use
// the filled-in text. Without this file the templates read as written, placeholders and all.
(function () {
  "use strict";

  // The partner's own details (`your-…` keys: `{{your_name}}`, `[Your Firm]`) are kept in this
  // browser, for every template, until "Forget my details". Everything else is about a client
  // or an introduction: it stays in the page it was typed in and is never stored.
  var OWN = /^your-/;
  var STORE = "portico.placeholders";

  function isOwn(key) { return OWN.test(key); }

  // Storage can be switched off or full; the fields still work for this page without it.
  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(STORE) || "{}");
      return saved && typeof saved === "object" ? saved : {};
    } catch (e) { return {}; }
  }

  function save(values) {
    var own = Object.create(null);
    Object.keys(values).forEach(function (key) {
      if (isOwn(key) && values[key]) { own[key] = values[key]; }
    });
    try { window.localStorage.setItem(STORE, JSON.stringify(own)); } catch (e) { /* not kept */ }
  }

  function forget() {
    try { window.localStorage.removeItem(STORE); } catch (e) { /* nothing kept */ }
  }

  // Keys come from the page's text, so the maps have no prototype: `[Constructor]` is a field.
  var values = Object.create(null);
  var saved = load();
  Object.keys(saved).forEach(function (key) {
    if (isOwn(key) && typeof saved[key] === "string") { values[key] = saved[key]; }
  });

  var spans = Array.prototype.slice.call(document.querySelectorAll("[data-placeholder]"));
  var written = spans.map(function (span) { return span.textContent; });

  // Shows every value in place, in the page and in the hidden copy sources alike, so what is
  // copied is always what is shown.
  function fillIn() {
    spans.forEach(function (span, i) {
      var value = values[span.getAttribute("data-placeholder")];
      span.textContent = value || written[i];
      span.classList.toggle("is-filled", Boolean(value));
    });
    document.querySelectorAll("[data-print-credit]").forEach(function (line) {
      line.hidden = !values["your-firm"];
    });
    document.querySelectorAll("[data-mailto]").forEach(function (link) {
      var scope = scopeOf(link);
      link.setAttribute("href", mailto(sourceText(scope, "subject"), sourceText(scope, "body")));
      link.hidden = false;
    });
  }

  // ---- The form ----

  var AUTOCOMPLETE = {
    "your-name": "name", "your-firm": "organization", "your-title": "organization-title",
    "your-phone": "tel", "your-email": "email"
  };

  // `{{client_first_name}}` → "Client first name"; `[Your Firm]` → "Your Firm".
  function labelOf(text) {
    var inner = text.replace(/^\{\{\s*|\s*\}\}$/g, "").replace(/^\[|\]$/g, "");
    if (/^[A-Za-z][\w-]*$/.test(inner)) { inner = inner.replace(/[_-]+/g, " "); }
    return inner.charAt(0).toUpperCase() + inner.slice(1);
  }

  // The fields of this page, in the order they first appear in the template and its subject
  // (the hidden plain-text copy repeats them).
  function fieldsOnPage() {
    var seen = Object.create(null);
    var fields = [];
    spans.forEach(function (span, i) {
      var key = span.getAttribute("data-placeholder");
      if (seen[key] || span.closest(".copy-source")) { return; }
      seen[key] = true;
      fields.push({ key: key, label: labelOf(written[i]) });
    });
    return fields;
  }

  function addField(fieldset, field) {
    var id = "placeholder-" + field.key;
    var label = document.createElement("label");
    label.setAttribute("for", id);
    label.textContent = field.label;
    var input = document.createElement("input");
    input.type = "text";
    input.id = id;
    input.name = field.key;
    var hint = Object.prototype.hasOwnProperty.call(AUTOCOMPLETE, field.key);
    input.setAttribute("autocomplete", hint ? AUTOCOMPLETE[field.key] : "off");
    input.value = values[field.key] || "";
    input.addEventListener("input", function () {
      var value = input.value.trim();
      if (value) { values[field.key] = value; } else { delete values[field.key]; }
      if (isOwn(field.key)) { save(values); }
      fillIn();
    });
    var row = document.createElement("div");
    row.className = "placeholder-field";
    row.appendChild(label);
    row.appendChild(input);
    fieldset.appendChild(row);
    fieldset.hidden = false;
  }

  function enhanceForm(form) {
    var fields = fieldsOnPage();
    if (!fields.length) { return; }
    fields.forEach(function (field) {
      var kind = isOwn(field.key) ? "own" : "other";
      var fieldset = form.querySelector('[data-placeholder-fields="' + kind + '"]');
      if (fieldset) { addField(fieldset, field); }
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    var button = form.querySelector("[data-placeholder-forget]");
    var status = form.querySelector(".forget-status");
    if (button) {
      button.addEventListener("click", function () {
        forget();
        values = Object.create(null);
        form.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        fillIn();
        if (status) { status.textContent = "Forgotten: nothing you typed is kept in this browser."; }
      });
    }
    form.hidden = false;
  }

  // ---- Copy, email and print ----

  function scopeOf(element) {
    return element.closest("[data-template]") || element.closest("article") || document;
  }

  function sourceText(scope, name) {
    var source = scope.querySelector('[data-copy-source="' + name + '"]') ||
      document.querySelector('[data-copy-source="' + name + '"]');
    if (!source) { return ""; }
    return "value" in source ? source.value : source.textContent;
  }

  // The template as markup for pasting into a rich-text editor: placeholders as plain text,
  // addresses made absolute so that links still work in an email.
  function sourceHtml(scope, name) {
    var source = scope.querySelector('[data-copy-html="' + name + '"]') ||
      document.querySelector('[data-copy-html="' + name + '"]');
    if (!source) { return null; }
    var copy = source.cloneNode(true);
    copy.querySelectorAll("[data-placeholder]").forEach(function (span) {
      span.replaceWith(document.createTextNode(span.textContent));
    });
    copy.querySelectorAll("a[href]").forEach(function (a) { a.setAttribute("href", a.href); });
    copy.querySelectorAll("img[src]").forEach(function (img) { img.setAttribute("src", img.src); });
    return copy.innerHTML;
  }

  // RFC 6068: every character but the unreserved ones percent-encoded, lines ended with CRLF.
  function mailto(subject, body) {
    var encode = function (text) { return encodeURIComponent(text.replace(/\r?\n/g, "\r\n")); };
    return "mailto:?subject=" + encode(subject) + "&body=" + encode(body);
  }

  function copyPlain(text) {
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

  // Rich text where the browser allows it, with the plain text beside it for plain editors.
  function copy(text, html) {
    if (html === null || !window.ClipboardItem || !navigator.clipboard ||
        !navigator.clipboard.write || !window.isSecureContext) {
      return copyPlain(text);
    }
    var item = new window.ClipboardItem({
      "text/html": new Blob([html], { type: "text/html" }),
      "text/plain": new Blob([text], { type: "text/plain" })
    });
    return navigator.clipboard.write([item]).catch(function () { return copyPlain(text); });
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var scope = scopeOf(button);
    var status = scope.querySelector(".copy-status");
    var name = button.getAttribute("data-copy");
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = sourceText(scope, name);
      button.setAttribute("data-copied-text", text);
      copy(text, sourceHtml(scope, name)).then(function () {
        if (status) { status.textContent = "Copied to clipboard"; }
      }, function () {
        if (status) { status.textContent = "Copy failed: select the text and copy it by hand"; }
      });
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  document.querySelectorAll("[data-placeholder-form]").forEach(enhanceForm);
  fillIn();
})();
