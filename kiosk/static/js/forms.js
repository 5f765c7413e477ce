// 暖心驿站: what pages with forms add to kiosk.js (every page but the kiosk's start screen, which
// has none of these and must stay small for a tablet on a slow link): counters, previews, the
// photo note, the Print button, the station QR for phones, and what was typed carried across a
// language switch or an expired sign-in.
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

  // A paste cut short by the field's limit (the browser's maxlength, or the counter above) says so
  // beside the field: a pasted name losing its end without a word went unnoticed. The words come
  // from the page (data-msg-paste-cut on <body>), "{max}" standing for the limit.
  document.addEventListener("paste", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("input[maxlength], textarea[maxlength], [data-count-to]")) return;
    if (field.selectionStart === null || !event.clipboardData) return;
    var pasted = event.clipboardData.getData("text/plain");
    // as the field will hold it: a one-line box takes a line break as a space
    pasted = field.tagName === "TEXTAREA" ? pasted.replace(/\r\n?/g, "\n") : pasted.replace(/\r\n?|\n/g, " ");
    var whole = field.value.slice(0, field.selectionStart) + pasted + field.value.slice(field.selectionEnd);
    // The counter counts characters as the server does; maxlength counts as the browser does.
    var limit = Number(field.dataset.countTo || field.getAttribute("maxlength"));
    var cut = (field.dataset.countTo ? Array.from(whole).length : whole.length) > limit;
    var note = field.parentElement.querySelector('[data-paste-note-for="' + field.name + '"]');
    if (!cut) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "field-help paste-note";
      note.setAttribute("role", "status");
      note.dataset.pasteNoteFor = field.name;
      var counter = field.id && document.querySelector('[data-counter-for="' + field.id + '"]');
      (counter || field).insertAdjacentElement("afterend", note);
    }
    note.textContent = (document.body.dataset.msgPasteCut || "").split("{max}").join(limit);
  });

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

  // The station QR for phones holds a code the station accepts for a short while: when no fresh
  // one has come by then (the station computer out of reach), it is hidden, not left up for
  // phones to be refused. A fresh one replaces the whole element, and shows again.
  // The keeper's "More" menu lies over the page: a tap anywhere else, or Escape, closes it.
  function closeKeeperMore(event) {
    document.querySelectorAll("details[data-keeper-more][open]").forEach(function (menu) {
      if (event.type === "keydown" ? event.key === "Escape" : !menu.contains(event.target)) {
        menu.open = false;
        if (event.type === "keydown") menu.querySelector("summary").focus();
      }
    });
  }
  document.addEventListener("click", closeKeeperMore);
  document.addEventListener("keydown", closeKeeperMore);

  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt;
    var qr = root.matches("[data-qr-good-for]") ? root : root.querySelector("[data-qr-good-for]");
    if (!qr) return;
    setTimeout(function () { qr.classList.add("station-qr-stale"); }, (Number(qr.dataset.qrGoodFor) - 10) * 1000);
  });

  // A "Print" button (data-print) on a printable page: the inline onclick the CSP forbids.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  // Switching the language or the text size reloads the page: what someone had typed into its
  // forms comes along (kept in this tab for that one reload, then dropped). Only what they changed,
  // and only where the new page offers the same starting value: a record a keeper is editing that
  // changed meanwhile is shown as it is now, not overwritten. On a form's answer (a refusal shown
  // with what was sent, data-answer) everything filled in comes along: the new page is the form
  // fresh. Never a password, file or hidden field.
  var CARRY_KEY = "kiosk:typed";
  function carriedFields(form) {
    return Array.prototype.filter.call((form || document).querySelectorAll(form ? "[name]" : "form:not(.language-switch):not(.text-size-switch) [name]"),
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
  function typedIn(form, all) {
    var typed = {};
    carriedFields(form).forEach(function (field) {
      var state = fieldState(field);
      if (state.now !== state.was || (all && state.now !== "" && state.now !== false)) typed[fieldKey(field)] = state;
    });
    return typed;
  }
  function putBack(typed, anyStart) {
    var back = 0;
    carriedFields().forEach(function (field) {
      var state = typed[fieldKey(field)];
      if (!state || (!anyStart && fieldState(field).was !== state.was)) return;
      back += 1;
      if (field.type === "radio" || field.type === "checkbox") field.checked = state.now;
      else if (field.tagName === "SELECT") {
        var values = state.now.split("\n");
        Array.prototype.forEach.call(field.options, function (o) { o.selected = values.indexOf(o.value) >= 0; });
      } else field.value = state.now;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
    return back;
  }
  function here() { return location.pathname + location.search; }
  // The address the page was loaded at: a search or filter made in place (hx-push-url) moves on
  // from it, and a switch then brings the screen back to where it is now, not to where it began.
  var loadedAt = here();
  function samePage(page) {
    try { page = new URL(page, location.href); } catch (e) { return false; }
    return page.pathname + page.search === here();
  }
  function take(key) {
    var kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(key) || "null"); sessionStorage.removeItem(key); } catch (e) { /* none */ }
    return kept;
  }
  function keep(key, value) {
    try { sessionStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode or full: as before */ }
  }

  // A form sent after the sign-in or the page had expired was not saved: the sign-in page, then the
  // form's page say so (data-unsaved) and bring the keeper back to it, and what had been typed comes
  // back too. Every send keeps its typing in this tab until the next page; any other page drops it.
  // It comes back only to the keeper who typed it (data-keeper), not to a colleague signing in there.
  var SENT_KEY = "kiosk:sent";
  function keeperHere() { return document.body.getAttribute("data-keeper") || ""; }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches(".language-switch, .text-size-switch")) {
      var all = document.body.hasAttribute("data-answer"), next = form.querySelector("[name=next]");
      if (next && here() !== loadedAt) next.value = here();
      var typed = typedIn(null, all);
      // A photo taken cannot come along (a file field cannot be filled in): the new page says so.
      var photo = Array.prototype.some.call(document.querySelectorAll("[data-photo-input]"),
        function (input) { return input.files && input.files.length; });
      // A list found (data-find-again: the forgotten-badge lookup's names) is found again there.
      var found = Array.prototype.filter.call(document.querySelectorAll("form[data-find-again]"), function (f) {
        var box = document.querySelector(f.dataset.findAgain);
        return box && box.textContent.trim();
      }).map(function (f) { return f.getAttribute("action"); });
      if ((Object.keys(typed).length || photo) && next) keep(CARRY_KEY, { page: next.value, typed: typed, answer: all, photo: photo, found: found });
      return;
    }
    if (form.querySelector("[type=password]")) return;  // signing in: what waits for the form's page stays
    var sent = typedIn(form, false);
    if (Object.keys(sent).length) keep(SENT_KEY, { page: here(), typed: sent, by: keeperHere() });
    else take(SENT_KEY);
  });
  function bringBackTyped() {
    var carried = take(CARRY_KEY);
    if (carried && carried.typed && samePage(carried.page)) {
      putBack(carried.typed, carried.answer);
      if (carried.photo) document.querySelectorAll("[data-photo-chosen]").forEach(function (note) { note.textContent = note.dataset.msgAgain; });
      document.querySelectorAll("form[data-find-again]").forEach(function (f) {
        if ((carried.found || []).indexOf(f.getAttribute("action")) >= 0) f.requestSubmit();
      });
    }
    var sent = take(SENT_KEY), unsaved = document.querySelector("[data-unsaved]");
    if (!sent || !sent.typed || !(unsaved || sent.unsaved)) return;
    if (samePage(sent.page)) { if ((sent.by || "") === keeperHere() && putBack(sent.typed, false)) sayTypedBack(unsaved); }
    else if (unsaved) keep(SENT_KEY, { page: sent.page, typed: sent.typed, by: sent.by, unsaved: true });  // the sign-in page: on to the form
  }
  // A form filled in again looks saved: the top of the page says it is not, and what to do.
  function sayTypedBack(note) {
    var words = document.body.dataset.msgTypedBack;
    if (!words) return;
    if (!note) {
      note = document.createElement("p");
      note.className = "flash";
      note.setAttribute("role", "alert");
      document.getElementById("main").prepend(note);
    }
    note.setAttribute("data-typed-back", "");
    note.textContent = words;
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
