// portico default theme: the commission calculator on the program terms page and the filters
// of the partner directory. Both pages read fully without this file.
//
// Money is counted in the currency's smallest unit with BigInt, never in floating point, and
// rounded as portico rounds it when it writes statements: each referral's commission to the
// smallest unit, halves away from zero, plus any flat fee.
(function () {
  "use strict";

  // "0.125" -> { num: 125n, den: 1000n }
  function fraction(text) {
    var parts = String(text).split(".");
    var decimals = parts[1] || "";
    return { num: BigInt(parts[0] + decimals), den: 10n ** BigInt(decimals.length) };
  }

  // An amount typed by a person, in the smallest unit: "25,000.5" -> 2500050n (2 decimals).
  // Returns null for anything that is not a plain non-negative amount. Commas (or spaces, as
  // some people group digits) are taken only as thousands separators, one kind throughout,
  // between groups of three digits: "25,000" and "1,250,000.50" are amounts; "1,2,3" and
  // "25,00" are mistakes to point out, not 123 and 2500.
  var WHOLE = /^(?:\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+)$/;

  function parseAmount(text, decimals) {
    var parts = /^([\d, ]+)(?:\.(\d*))?$/.exec(String(text).trim());
    if (!parts || !WHOLE.test(parts[1])) { return null; }
    var fractionDigits = parts[2] || "";
    if (fractionDigits.length > decimals) { return null; }
    while (fractionDigits.length < decimals) { fractionDigits += "0"; }
    return BigInt(parts[1].replace(/[, ]/g, "") + fractionDigits);
  }

  function format(minor, decimals, symbol) {
    var negative = minor < 0n;
    var digits = (negative ? -minor : minor).toString();
    while (digits.length <= decimals) { digits = "0" + digits; }
    var whole = decimals ? digits.slice(0, -decimals) : digits;
    var cents = decimals ? "." + digits.slice(-decimals) : "";
    var grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var gap = /\p{L}$/u.test(symbol) ? " " : "";
    return (negative ? "-" : "") + symbol + gap + grouped + cents;
  }

  function roundHalfAway(num, den) {
    var quotient = num / den;
    var remainder = num % den;
    if (remainder < 0n) { remainder = -remainder; }
    if (2n * remainder >= den) { quotient += num < 0n ? -1n : 1n; }
    return quotient;
  }

  // The year's commission for `count` won referrals of `fees` (smallest unit) each.
  function yearCommission(schedule, count, fees) {
    var total = 0n;
    var last = schedule.startsAt + count - 1;
    for (var i = 0; i < count; i++) {
      var position = schedule.mode === "whole-year" ? last : schedule.startsAt + i;
      var rate = rateAt(schedule.bands, position);
      total += roundHalfAway(fees * rate.num, rate.den) + schedule.flatFee;
    }
    return total;
  }

  function rateAt(bands, position) {
    for (var i = 0; i < bands.length; i++) {
      var band = bands[i];
      if (position >= band.min && (band.max === null || position <= band.max)) { return band.rate; }
    }
    return { num: 0n, den: 1n };
  }

  function startCalculator(form) {
    var decimals = Number(form.getAttribute("data-decimals"));
    var symbol = form.getAttribute("data-symbol");
    var schedule = {
      mode: form.getAttribute("data-mode"),
      startsAt: Math.max(1, Number(form.getAttribute("data-starts-at")) || 1),
      flatFee: parseAmount(form.getAttribute("data-flat-fee"), decimals) || 0n,
      bands: Array.prototype.map.call(document.querySelectorAll("[data-bands] [data-rate]"), function (row) {
        var max = row.getAttribute("data-max");
        return {
          min: Number(row.getAttribute("data-min")),
          max: max === "" ? null : Number(max),
          rate: fraction(row.getAttribute("data-rate"))
        };
      })
    };
    var output = form.querySelector("output");
    var error = form.querySelector(".calculator-error");

    function update() {
      var count = Number(form.elements.referrals.value);
      var fees = parseAmount(form.elements.fees.value, decimals);
      var problem = "";
      if (!Number.isInteger(count) || count < 0 || count > 1000) {
        problem = "Enter a whole number of referrals from 0 to 1,000.";
      } else if (fees === null) {
        problem = decimals
          ? "Enter the fees as an amount such as 25000 or 25000.50."
          : "Enter the fees as a whole amount such as 25000.";
      }
      error.textContent = problem;
      var total = problem ? null : yearCommission(schedule, count, fees);
      output.textContent = problem ? "" : format(total, decimals, symbol);
      // The plain figure, as statements write it in CSV: 11250.00.
      output.setAttribute("data-amount", problem ? "" : format(total, decimals, "").replace(/,/g, ""));
    }

    form.hidden = false;
    form.addEventListener("input", update);
    form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
    update();
  }

  function startDirectoryFilters(form) {
    var entries = document.querySelectorAll(".directory-entry");
    var count = form.querySelector(".directory-count");

    function listed(entry, attribute, wanted) {
      return !wanted || entry.getAttribute(attribute).split("|").indexOf(wanted) !== -1;
    }

    function update() {
      var service = form.elements.service.value;
      var region = form.elements.region.value;
      var shown = 0;
      entries.forEach(function (entry) {
        var match = listed(entry, "data-services", service) && listed(entry, "data-regions", region);
        entry.hidden = !match;
        if (match) { shown += 1; }
      });
      count.textContent = "Showing " + shown + " of " + entries.length + (entries.length === 1 ? " partner" : " partners");
    }

    form.hidden = false;
    form.addEventListener("change", update);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    update();
  }

  var calculator = document.querySelector("[data-calculator]");
  if (calculator && typeof BigInt === "function") { startCalculator(calculator); }
  var filters = document.querySelector("[data-directory-filters]");
  if (filters) { startDirectoryFilters(filters); }
})();
