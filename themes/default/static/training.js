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

  // Each task list on a page is a checklist of its own, its progress shown above it; the ticks
  // of every checklist on the page are kept together, under the page's address.
  //
  // An item the author ticked (`- [x]`) was done beforehand, not by the partner: it stays
  // ticked and cannot be unticked, as the page reads without this file, and it is neither
  // counted nor kept. The progress counts only what the partner can tick.
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-task]"))
    .filter(function (box) { return !box.defaultChecked; });
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
    var any = false;
    boxes.forEach(function (box) {
      ticked[box.getAttribute("data-task")] = box.checked;
      any = any || box.checked;
    });
    try {
      if (any) {
        window.localStorage.setItem(STORE, JSON.stringify(ticked));
      } else {
        window.localStorage.removeItem(STORE);
      }
    } catch (e) { /* not kept */ }
  }

  // The outermost list holding a box: its checklist, nested lists and all.
  function outermostList(box) {
    var list = box.closest("ul, ol");
    while (list && list.parentElement && list.parentElement.closest("ul, ol")) {
      list = list.parentElement.closest("ul, ol");
    }
    return list;
  }

  // The checklists of the page, in order: each list and the boxes a partner may tick in it.
  function checklists() {
    var found = [];
    boxes.forEach(function (box) {
      var list = outermostList(box);
      if (!list) { return; }
      var last = found[found.length - 1];
      if (last && last.list === list) {
        last.boxes.push(box);
      } else {
        found.push({ list: list, boxes: [box] });
      }
    });
    return found;
  }

  // The progress above one checklist: a meter, "n of m done" and a button to clear its ticks.
  function startChecklist(checklist) {
    var progress = document.createElement("div");
    progress.className = "checklist-progress";
    var meter = document.createElement("progress");
    meter.max = checklist.boxes.length;
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
      var done = checklist.boxes.filter(function (box) { return box.checked; }).length;
      meter.value = done;
      count.textContent = done + " of " + checklist.boxes.length + " done";
    }

    checklist.boxes.forEach(function (box) {
      box.disabled = false;
      box.addEventListener("change", function () { save(); show(); });
    });
    clear.addEventListener("click", function () {
      checklist.boxes.forEach(function (box) { box.checked = false; });
      save();
      show();
    });
    checklist.list.parentNode.insertBefore(progress, checklist.list);
    show();
  }

  var saved = load();
  boxes.forEach(function (box) {
    var name = box.getAttribute("data-task");
    if (typeof saved[name] === "boolean") { box.checked = saved[name]; }
  });
  checklists().forEach(startChecklist);
})();
