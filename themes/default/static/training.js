// portico default theme: recorded sessions and checklists. A video's play button loads the
// YouTube or Vimeo player only when pressed; task lists (`- [ ] item`) become checklists whose
// ticks are kept in this browser, per page. Without this file a video is a link to it and a
// checklist is a plain list.
(function () {
  "use strict";

  // ---- Videos ----

  // The only players a facade may load: the ones the generator writes.
  var PLAYERS = ["https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/"];

  function isPlayer(url) {
    return typeof url === "string" && PLAYERS.some(function (prefix) {
      return url.slice(0, prefix.length) === prefix;
    });
  }

  function play(button) {
    var url = button.getAttribute("data-video-embed");
    if (!isPlayer(url)) { return; }
    var frame = document.createElement("iframe");
    frame.className = "video-frame";
    frame.setAttribute("title", button.getAttribute("data-video-title") || "Video");
    frame.setAttribute("allow", button.getAttribute("data-video-allow") || "");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.setAttribute("src", url);
    button.replaceWith(frame);
    frame.focus();
  }

  document.querySelectorAll("[data-video-embed]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { play(button); });
  });

  // ---- Checklists ----

  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-task]"));
  if (!boxes.length) { return; }
  var STORE = "portico.checklist." + window.location.pathname;

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(STORE) || "{}");
      return saved && typeof saved === "object" ? saved : {};
    } catch (e) { return {}; }
  }

  function save() {
    var ticked = {};
    boxes.forEach(function (box) { ticked[box.getAttribute("data-task")] = box.checked; });
    try { window.localStorage.setItem(STORE, JSON.stringify(ticked)); } catch (e) { /* not kept */ }
  }

  // The outermost list holding the first task: the progress goes above it.
  function firstList() {
    var list = boxes[0].closest("ul, ol");
    while (list && list.parentElement && list.parentElement.closest("ul, ol")) {
      list = list.parentElement.closest("ul, ol");
    }
    return list;
  }

  var progress = document.createElement("div");
  progress.className = "checklist-progress";
  var meter = document.createElement("progress");
  meter.max = boxes.length;
  meter.setAttribute("aria-hidden", "true");
  var count = document.createElement("span");
  count.setAttribute("role", "status");
  count.setAttribute("aria-live", "polite");
  var clear = document.createElement("button");
  clear.type = "button";
  clear.className = "button button-small";
  clear.textContent = "Clear ticks";
  [meter, count, clear].forEach(function (part) { progress.appendChild(part); });

  function show() {
    var done = boxes.filter(function (box) { return box.checked; }).length;
    meter.value = done;
    count.textContent = done + " of " + boxes.length + " done";
  }

  var saved = load();
  boxes.forEach(function (box) {
    var name = box.getAttribute("data-task");
    if (typeof saved[name] === "boolean") { box.checked = saved[name]; }
    box.disabled = false;
    box.addEventListener("change", function () { save(); show(); });
  });
  clear.addEventListener("click", function () {
    boxes.forEach(function (box) { box.checked = box.defaultChecked; });
    try { window.localStorage.removeItem(STORE); } catch (e) { /* nothing kept */ }
    show();
  });
  var list = firstList();
  if (list) { list.parentNode.insertBefore(progress, list); }
  show();
})();
