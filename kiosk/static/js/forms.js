// 暖心驿站: what pages with forms add to kiosk.js (every page but the kiosk's start screen, which
// has none of these and must stay small for a tablet on a slow link): counters, previews, the
// photo note, the Print button, and what was typed carried across a language switch.
(function () {
  "use strict";

  // Length limits shown as you type: "123 / 500" under a textarea with data-count-to.
  function setUpCounters(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-count-to]").forEach(function (field) {
      var counter = document.querySelector('[data-counter-for="' + field.id + '"]');
      if (!counter || field.dataset.counting) return;
      field.dataset.counting = "1";
      // Characters as the server counts them (code points): .length counts an emoji twice, and so
      // does the browser's maxlength, which would stop a text with emoji short of the counter's
      // limit. With JavaScript the limit is kept here instead (maxlength stays for pages without it).
      var limit = Number(field.dataset.countTo);
      field.removeAttribute("maxlength");
      var update = function (event) {
        var chars = Array.from(field.value);
        if (chars.length > limit && !(event && event.isComposing)) {
          var at = field.selectionStart;
          field.value = chars.slice(0, limit).join("");
          chars = chars.slice(0, limit);
          if (at !== null) field.setSelectionRange(Math.min(at, field.value.length), Math.min(at, field.value.length));
        }
        counter.textContent = chars.length + " / " + limit;
      };
      field.addEventListener("input", update);
      field.addEventListener("compositionend", update);
      update();
    });
  }

  // A preview that follows a field as it is typed (data-mirror-of="field id"): what residents
  // will see of a suggestion, on its keeper page. As text, never as markup.
  function setUpMirrors(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-mirror-of]").forEach(function (preview) {
      var field = document.getElementById(preview.dataset.mirrorOf);
      if (!field || preview.dataset.mirroring) return;
      preview.dataset.mirroring = "1";
      field.addEventListener("input", function () { preview.textContent = field.value.trim(); });
    });
  }

  // The 拍照 button: once a photo is taken, say so beside it (the file input itself is hidden).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-photo-input]")) return;
    var note = input.parentElement.querySelector("[data-photo-chosen]");
    if (note) note.textContent = input.files && input.files.length ? note.dataset.msgChosen : "";
    var again = input.parentElement.querySelector("[data-photo-again]");
    if (again && input.files && input.files.length) again.remove();  // taken again: the reminder is done
  });

  // A "Print" button (data-print) on a printable page: the inline onclick the CSP forbids.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  // Switching the language or the text size reloads the page: what someone had typed into its
  // forms comes along (kept in this tab for that one reload, then dropped). Only what they changed,
  // and only where the new page offers the same starting value: a record a keeper is editing that
  // changed meanwhile is shown as it is now, not overwritten. Never a password, file or hidden field.
  var CARRY_KEY = "kiosk:typed";
  function carriedFields() {
    return Array.prototype.filter.call(document.querySelectorAll("form:not(.language-switch):not(.text-size-switch) [name]"),
      function (field) {
        return field.matches("input, textarea, select") && !field.matches("[type=hidden], [type=password], [type=file], [type=submit], [data-scanner-input]");
      });
  }
  function fieldKey(field) { return (field.form && field.form.getAttribute("action") || "") + " " + field.name + " " + (field.type === "radio" || field.type === "checkbox" ? field.value : ""); }
  function fieldState(field) {
    if (field.type === "radio" || field.type === "checkbox") return { now: field.checked, was: field.defaultChecked };
    if (field.tagName === "SELECT") {
      var chosen = function (test) {
        return Array.prototype.filter.call(field.options, test).map(function (o) { return o.value; }).join("\n");
      };
      var was = chosen(function (o) { return o.defaultSelected; });
      if (!was && !field.multiple) was = (field.options[0] && field.options[0].value) || "";
      return { now: chosen(function (o) { return o.selected; }), was: was };
    }
    return { now: field.value, was: field.defaultValue };
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches(".language-switch, .text-size-switch")) return;
    var typed = {};
    carriedFields().forEach(function (field) {
      var state = fieldState(field);
      if (state.now !== state.was) typed[fieldKey(field)] = state;
    });
    var next = form.querySelector("[name=next]");
    try {
      if (Object.keys(typed).length && next) sessionStorage.setItem(CARRY_KEY, JSON.stringify({ page: next.value, typed: typed }));
    } catch (e) { /* private mode or full: the page reloads as before */ }
  });
  function bringBackTyped() {
    var carried = null;
    try { carried = JSON.parse(sessionStorage.getItem(CARRY_KEY) || "null"); sessionStorage.removeItem(CARRY_KEY); } catch (e) { return; }
    var page;
    try { page = new URL(carried && carried.page, location.href); } catch (e) { return; }
    if (!carried || page.pathname + page.search !== location.pathname + location.search) return;
    carriedFields().forEach(function (field) {
      var state = carried.typed[fieldKey(field)];
      if (!state || fieldState(field).was !== state.was) return;
      if (field.type === "radio" || field.type === "checkbox") field.checked = state.now;
      else if (field.tagName === "SELECT") {
        var values = state.now.split("\n");
        Array.prototype.forEach.call(field.options, function (o) { o.selected = values.indexOf(o.value) >= 0; });
      } else field.value = state.now;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  document.addEventListener("htmx:load", function (event) {
    setUpCounters(event.detail.elt);
    setUpMirrors(event.detail.elt);
  });
  document.addEventListener("DOMContentLoaded", function () {
    bringBackTyped();
    setUpCounters(document);
    setUpMirrors(document);
  });
})();
