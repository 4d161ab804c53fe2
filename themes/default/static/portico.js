// portico default theme: the referral form sent without leaving the page, the tracking link on
// the "referral received" page, and the search page. Everything but search works without this
// file; it only adds conveniences. Email templates are in templates.js, training in training.js.
(function () {
  "use strict";

  // ---- The referral form ----

  // Only the partner's own details are remembered on this device; never anything about a client.
  var REMEMBERED = ["partner_id", "referrer_name", "referrer_email"];
  var STORAGE_PREFIX = "portico.referral.";
  var TOKEN = /^[A-Za-z0-9_-]{43}$/;

  // A key per submission lets the intake store a referral once however often it is sent.
  function newKey() {
    var crypto = window.crypto;
    if (crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    if (!crypto || !crypto.getRandomValues) { return ""; }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  // Storage can be switched off or full; the form works the same without it.
  function storage(action) {
    try { return action(window.localStorage); } catch (e) { return null; }
  }

  function remember(form) {
    storage(function (store) {
      REMEMBERED.forEach(function (name) {
        var field = form.elements[name];
        if (field && field.value) { store.setItem(STORAGE_PREFIX + name, field.value); }
      });
    });
  }

  function prefill(form) {
    storage(function (store) {
      REMEMBERED.forEach(function (name) {
        var field = form.elements[name];
        var saved = store.getItem(STORAGE_PREFIX + name);
        if (field && !field.value && saved) { field.value = saved; }
      });
    });
  }

  // A tracking link is the intake's address, a slash and a token, and nothing else: a link
  // from a crafted address or answer must never become a link on the page.
  function isTrackingUrl(url, intake) {
    if (!intake) { return false; }
    var prefix = intake.replace(/\/+$/, "") + "/";
    return typeof url === "string" && url.slice(0, prefix.length) === prefix &&
      TOKEN.test(url.slice(prefix.length));
  }

  function trackingLink(url) {
    var link = document.createElement("a");
    link.setAttribute("href", url);
    link.setAttribute("rel", "noreferrer");
    link.textContent = url;
    return link;
  }

  function paragraph(parts) {
    var p = document.createElement("p");
    parts.forEach(function (part) {
      p.appendChild(typeof part === "string" ? document.createTextNode(part) : part);
    });
    return p;
  }

  function say(status, state, nodes) {
    status.textContent = "";
    status.setAttribute("data-state", state);
    nodes.forEach(function (node) { status.appendChild(node); });
  }

  function fieldOf(form, name) {
    var field = form.elements[name];
    return field && field.type !== "hidden" ? field : null;
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach(function (message) {
      message.textContent = "";
      message.hidden = true;
      var field = fieldOf(form, message.id.replace(/^error-/, ""));
      if (field) {
        field.removeAttribute("aria-invalid");
        field.removeAttribute("aria-describedby");
      }
    });
  }

  // Field names come from the intake's answer, so they are compared, never put in a selector.
  function labelOf(form, name) {
    var label = Array.prototype.find.call(form.querySelectorAll("label"), function (l) {
      return l.htmlFor === name;
    });
    var text = label ? label.textContent.replace(/\*\s*$/, "").trim() : "";
    return text || name.replace(/_/g, " ");
  }

  function messageOf(form, name) {
    var message = document.getElementById("error-" + name);
    return message && form.contains(message) ? message : null;
  }

  // Shows each message beside its field and returns the fields it marked, in form order.
  function markFields(form, fields) {
    var marked = [];
    Object.keys(fields).forEach(function (name) {
      var message = messageOf(form, name);
      var field = fieldOf(form, name);
      if (message) {
        message.textContent = String(fields[name]);
        message.hidden = false;
      }
      if (field) {
        field.setAttribute("aria-invalid", "true");
        if (message) { field.setAttribute("aria-describedby", message.id); }
        marked.push(field);
      }
    });
    return marked.sort(function (a, b) {
      return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
  }

  function showFieldErrors(form, status, fields) {
    var marked = markFields(form, fields);
    var list = document.createElement("ul");
    var order = Array.prototype.map.call(form.elements, function (e) { return e.name; });
    var rank = function (name) { var i = order.indexOf(name); return i < 0 ? order.length : i; };
    Object.keys(fields).sort(function (a, b) { return rank(a) - rank(b); }).forEach(function (name) {
      var item = document.createElement("li");
      item.textContent = labelOf(form, name) + ": " + String(fields[name]);
      list.appendChild(item);
    });
    say(status, "error", [
      paragraph(["Your referral was not stored yet. Fix these fields and submit it again:"]), list
    ]);
    if (marked.length) { marked[0].focus(); }
  }

  function retryDelay(response) {
    var header = response.headers.get("Retry-After");
    var seconds = Number(header);
    if (header && !isNaN(seconds)) { return Math.max(1, Math.ceil(seconds)); }
    var at = Date.parse(header || "");
    return isNaN(at) ? 60 : Math.max(1, Math.ceil((at - Date.now()) / 1000));
  }

  function inWords(seconds) {
    if (seconds < 90) { return seconds + (seconds === 1 ? " second" : " seconds"); }
    return Math.ceil(seconds / 60) + " minutes";
  }

  // A refused origin (CORS) and a dropped connection look the same from here.
  var NOT_STORED = "Your referral was not stored: the referral service could not be reached. " +
    "Check your connection and submit it again: everything you typed is still here, and " +
    "sending it again never registers it twice. If this keeps happening, email the partner team.";

  function succeeded(form, status, body) {
    var number = typeof body.id === "number" ? " #" + body.id : "";
    var parts = ["Thank you: your referral" + number + " is stored and time-stamped."];
    var nodes = [paragraph(parts)];
    if (isTrackingUrl(body.tracking_url, form.action)) {
      nodes.push(paragraph([
        "Follow it at ", trackingLink(body.tracking_url),
        ". Bookmark the link; anyone with it can see the referral's status."
      ]));
    }
    form.reset();
    form.querySelector("[data-idempotency-key]").value = newKey();
    prefill(form);
    say(status, "success", nodes);
  }

  function answered(form, status, response, body) {
    if (response.status === 201) {
      succeeded(form, status, body);
    } else if (response.status === 422) {
      showFieldErrors(form, status, body.fields || {});
    } else if (response.status === 429) {
      say(status, "error", [paragraph(["Your referral was not stored: too many were sent " +
        "from your connection just now. Try again in " + inWords(retryDelay(response)) + "."])]);
    } else if (response.status >= 500) {
      say(status, "error", [paragraph([NOT_STORED])]);
    } else {
      var reason = typeof body.error === "string" ? body.error : "the intake refused it";
      say(status, "error", [paragraph(["Your referral was not stored: " + reason + "."])]);
    }
  }

  function payload(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.disabled) { return; }
      data[field.name] = field.type === "checkbox" ? field.checked : field.value;
    });
    return data;
  }

  function send(form, status, button) {
    button.disabled = true;
    clearErrors(form);
    say(status, "sending", [paragraph(["Sending your referral…"])]);
    remember(form);
    var request = {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(payload(form))
    };
    return fetch(form.action, request).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        answered(form, status, response, body || {});
      });
    }, function () {
      say(status, "error", [paragraph([NOT_STORED])]);
    }).then(function () {
      button.disabled = false;
    }, function (error) {
      button.disabled = false;
      throw error;
    });
  }

  // Without fetch the form posts as plain HTML, still with a key and the remembered details.
  function enhanceForm(form) {
    var status = form.querySelector(".form-status");
    var button = form.querySelector('button[type="submit"], button:not([type])');
    var key = form.querySelector("[data-idempotency-key]");
    if (key) { key.value = newKey(); }
    prefill(form);
    if (!status || !button || !key || !window.fetch) {
      form.addEventListener("submit", function () { remember(form); });
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!button.disabled) { send(form, status, button); }
    });
  }

  document.querySelectorAll("form.referral-form").forEach(enhanceForm);

  // ---- The "referral received" page ----

  function showTracking(box) {
    var url = window.URLSearchParams
      ? new URLSearchParams(window.location.search).get("tracking") : null;
    var link = box.querySelector(".tracking-link");
    var missing = document.querySelector(".tracking-missing");
    if (link && isTrackingUrl(url, box.getAttribute("data-tracking-prefix") || "")) {
      link.setAttribute("href", url);
      link.textContent = url;
      box.hidden = false;
    } else if (missing) {
      missing.hidden = false;
    }
  }

  document.querySelectorAll("[data-tracking-prefix]").forEach(showTracking);

  // ---- The search page ----

  // Pagefind's default UI (pagefind/pagefind-ui.js, loaded by the search page) searches this
  // tier's own index. The header's search box sends its words here as `?q=`.
  function startSearch(box) {
    if (!window.PagefindUI) { return; }
    var query = window.URLSearchParams
      ? new URLSearchParams(window.location.search).get("q") : null;
    var ui = new window.PagefindUI({
      element: "#" + box.id,
      showSubResults: true,
      showImages: false,
      autofocus: !query
    });
    if (query) { ui.triggerSearch(query); }
  }

  document.querySelectorAll("[data-search]").forEach(startSearch);
})();
