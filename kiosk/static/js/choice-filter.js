// A filter box over a long list of ticks (500 volunteers to record an activity for), loaded only by
// the pages that have one, not by every kiosk screen.
(function () {
  "use strict";

  // --- A filter box over a long list of ticks (500 volunteers to record an activity for): hides
  // the labels whose data-find does not hold what is typed; a ticked one stays in sight.
  function setUpChoiceFilters(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-filter-choices]").forEach(function (box) {
      var list = document.getElementById(box.getAttribute("data-filter-choices"));
      var field = box.closest("[hidden]");
      if (!list || box.dataset.filtering) return;
      box.dataset.filtering = "1";
      if (field) field.hidden = false;  // without JavaScript there is no box, only the list
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault();  // Enter filters; it does not send the form
      });
      box.addEventListener("input", function () {
        var wanted = box.value.toLowerCase().replace(/[\s\u00b7\u30fb\u2022\u2027\u2219.\-]/g, "");
        list.querySelectorAll("[data-find]").forEach(function (label) {
          var tick = label.querySelector("input");
          label.hidden = !!wanted && !(tick && tick.checked) && label.getAttribute("data-find").indexOf(wanted) < 0;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setUpChoiceFilters(document); });
})();
