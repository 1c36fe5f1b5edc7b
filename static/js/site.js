/* Small enhancements for every page: show times in the reader's own time zone; select a
   read-only link (a class's join link) in one tap so that it can be copied. */
(function () {
  "use strict";

  var FORMATS = {
    time: { hour: "2-digit", minute: "2-digit" },
    datetime: { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" },
  };

  function localize(root) {
    var nodes = (root || document).querySelectorAll("time[data-local]");
    Array.prototype.forEach.call(nodes, function (node) {
      var moment = new Date(node.getAttribute("datetime"));
      var format = FORMATS[node.getAttribute("data-local")];
      if (!isNaN(moment.getTime()) && format) {
        node.textContent = moment.toLocaleString(undefined, format);
      }
    });
  }

  function selectOnFocus(event) {
    var node = event.target;
    if (node && node.hasAttribute && node.hasAttribute("data-select-on-focus")) {
      node.select();
    }
  }

  window.Site = { localize: localize };
  localize(document);
  document.addEventListener("focusin", selectOnFocus);
})();
