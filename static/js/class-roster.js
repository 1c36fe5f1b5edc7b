/*
 * The class page follows its roster live: when a student leaves the class, or is added or
 * removed elsewhere (another tab, the API), the server sends ROSTER_CHANGED and the parts of
 * the page marked data-roster-part are fetched again and swapped in. Nothing else reloads,
 * so a half-typed search or class name stays as it is.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-class-roster]");
  if (!root || !window.LiveSocket || !window.fetch || !window.DOMParser) {
    return;
  }
  var classId = root.getAttribute("data-class-id");

  function refresh() {
    window
      .fetch(window.location.pathname + window.location.search, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new window.DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-roster-part]").forEach(function (part) {
          var replacement = fresh.querySelector('[data-roster-part="' + part.getAttribute("data-roster-part") + '"]');
          if (replacement && !part.contains(document.activeElement)) {
            part.innerHTML = replacement.innerHTML;
          }
        });
      })
      .catch(function () {
        // Offline for a moment: the next change, or a reload, brings the roster up to date.
      });
  }

  LiveSocket.start(root, {
    onFrame: function (event, data) {
      if (event === "ROSTER_CHANGED" && data && data.classId === classId) {
        refresh();
      }
    },
    showError: function () {},
  });
})();
