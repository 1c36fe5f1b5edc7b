/* The student's live page: their own status in each running session, as it changes. */
(function () {
  "use strict";

  var root = document.querySelector("[data-live-student]");
  if (!root) {
    return;
  }
  var userId = root.getAttribute("data-user-id");
  var list = root.querySelector("[data-classes]");
  var template = document.getElementById("status-template");
  var errorBox = root.querySelector("[data-error]");
  var noClasses = root.querySelector("[data-no-classes]");
  var historyBody = root.querySelector("[data-history-body]");

  var STATUSES = ["present", "late", "excused", "absent"];
  var ICONS = {
    present: "#i-check",
    late: "#i-late",
    excused: "#i-excused",
    absent: "#i-cross",
    waiting: "#i-clock",
    idle: "#i-live",
  };
  var LABELS = {
    present: "Present",
    late: "Late",
    excused: "Excused",
    absent: "Absent",
    waiting: "Not yet marked",
    idle: "No session right now",
  };
  var classes = {};
  var socket;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function timeText(iso) {
    var moment = new Date(iso);
    return isNaN(moment.getTime()) ? "" : moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function cardFor(classId) {
    return list.querySelector('[data-class-id="' + CSS.escape(classId) + '"]');
  }

  function stateOf(entry) {
    if (entry.finished) {
      return entry.finished;
    }
    if (!entry.session) {
      return "idle";
    }
    var status = entry.session.status;
    return STATUSES.indexOf(status) >= 0 ? status : "waiting";
  }

  function detailOf(entry, state) {
    if (entry.finished) {
      return "Session finished: you were recorded " + entry.finished + ".";
    }
    if (state === "present" || state === "late" || state === "excused") {
      return "Your teacher marked you " + state + ".";
    }
    if (state === "absent") {
      return "Your teacher marked you absent. Talk to them if this is wrong.";
    }
    if (state === "waiting") {
      return (
        "Attendance is being taken (started " + timeText(entry.session.startedAt) + "). Your teacher has not marked you yet."
      );
    }
    return "Your status shows here as soon as your teacher starts taking attendance.";
  }

  function render(classId) {
    var entry = classes[classId];
    var card = cardFor(classId);
    if (!card) {
      card = template.content.cloneNode(true).querySelector("[data-class-id]");
      card.setAttribute("data-class-id", classId);
      list.appendChild(card);
    }
    var state = stateOf(entry);
    var changed = card.getAttribute("data-state") !== state;
    card.setAttribute("data-state", state);
    card.querySelector("[data-class-name]").textContent = entry.className;
    card.querySelector(".status__icon use").setAttribute("href", ICONS[state]);
    card.querySelector("[data-status-label]").textContent = LABELS[state];
    card.querySelector("[data-status-detail]").textContent = detailOf(entry, state);
    if (changed) {
      card.classList.remove("is-changed");
      void card.offsetWidth;
      card.classList.add("is-changed");
    }
  }

  function renderAll(order) {
    Array.prototype.slice.call(list.querySelectorAll("[data-class-id]")).forEach(function (card) {
      if (!classes[card.getAttribute("data-class-id")]) {
        card.remove();
      }
    });
    order.forEach(render);
    order.forEach(function (classId) {
      list.appendChild(cardFor(classId));
    });
    noClasses.hidden = order.length > 0;
  }

  function remember(entries, previous) {
    entries.forEach(function (entry) {
      var before = previous[entry.classId];
      // A result shown since the last DONE stays until a new session starts.
      var finished = !entry.session && before ? before.finished : null;
      classes[entry.classId] = { className: entry.className, session: entry.session, finished: finished };
    });
  }

  function domOrder() {
    return Array.prototype.slice
      .call(list.querySelectorAll("[data-class-id]"))
      .map(function (card) {
        return card.getAttribute("data-class-id");
      })
      .filter(function (id) {
        return classes[id];
      });
  }

  function refreshHistory() {
    fetch("/app/history/", { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(new Error(String(response.status)));
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-history-body]");
        if (fresh) {
          historyBody.innerHTML = fresh.innerHTML;
          window.Site.localize(historyBody);
        }
      })
      .catch(function () {
        // The next page load shows it; the live status above is already right.
      });
  }

  function onFrame(event, data) {
    var entry = data.classId !== undefined ? classes[data.classId] : null;
    if (event === "SNAPSHOT") {
      var previous = classes;
      classes = {};
      remember(data.classes || [], previous);
      renderAll(
        (data.classes || []).map(function (item) {
          return item.classId;
        })
      );
      showError("");
    } else if (event === "ENROLLED") {
      remember(data.classes || [], classes);
      renderAll(
        Object.keys(classes).sort(function (a, b) {
          return classes[a].className.localeCompare(classes[b].className);
        })
      );
      refreshHistory();
    } else if (event === "UNENROLLED") {
      if (classes[data.classId]) {
        delete classes[data.classId];
        renderAll(domOrder());
      }
    } else if (!entry) {
      if (event === "ERROR" && data.message) {
        showError(data.message);
      }
    } else if (event === "ATTENDANCE_MARKED" || event === "MY_ATTENDANCE") {
      if (event === "MY_ATTENDANCE" || data.studentId === userId) {
        entry.finished = null;
        entry.session = entry.session || { startedAt: "" };
        entry.session.status = data.status;
        render(data.classId);
      }
    } else if (event === "SESSION_STARTED") {
      entry.finished = null;
      entry.session = { startedAt: data.startedAt, status: "not yet updated" };
      render(data.classId);
    } else if (event === "DONE" || event === "SESSION_ENDED") {
      if (entry.session) {
        // Whoever was not marked is recorded absent.
        entry.finished = STATUSES.indexOf(entry.session.status) >= 0 ? entry.session.status : "absent";
        entry.session = null;
        render(data.classId);
        refreshHistory();
      }
    }
  }

  socket = LiveSocket.start(root, { onFrame: onFrame, showError: showError });
})();
