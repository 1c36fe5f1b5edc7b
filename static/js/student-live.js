/* The student's live page: their own status in each running session, as it changes; check-in and "I'm here". */
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
  var prefill = { classId: root.getAttribute("data-prefill-class"), code: root.getAttribute("data-prefill-code") };

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
      card.querySelectorAll("[data-class-field]").forEach(function (field) {
        field.value = classId;
      });
      card.querySelector("[data-code-field]").id = "code-" + classId;
      card.querySelector("[data-code-label]").setAttribute("for", "code-" + classId);
      list.appendChild(card);
    }
    var state = stateOf(entry);
    var changed = card.getAttribute("data-state") !== state;
    card.setAttribute("data-state", state);
    card.querySelector("[data-class-name]").textContent = entry.className;
    card.querySelector(".status__icon use").setAttribute("href", ICONS[state]);
    card.querySelector("[data-status-label]").textContent = LABELS[state];
    card.querySelector("[data-status-detail]").textContent = detailOf(entry, state);
    paintCheckIn(card, entry, state);
    if (changed) {
      card.classList.remove("is-changed");
      void card.offsetWidth;
      card.classList.add("is-changed");
    }
  }

  /* The code box while check-in is open, "I'm here" until the teacher settles it. */
  function paintCheckIn(card, entry, state) {
    var session = entry.session;
    var checkIn = (session && session.checkIn) || { open: false, claimed: false };
    var here = state === "present" || state === "late";
    // A check-in never changes an excused status: no code box then, "I'm here" still.
    card.querySelector("[data-checkin-form]").hidden = !session || !checkIn.open || here || state === "excused";
    card.querySelector("[data-claim-form]").hidden = !session || here || checkIn.claimed;
    card.querySelector("[data-claim-wait]").hidden = !session || here || !checkIn.claimed;
    if (!session || here) {
      card.querySelector("[data-checkin-message]").textContent = here && entry.checkedIn ? entry.checkedIn : "";
    }
  }

  var CHECKIN_ERRORS = {
    "Invalid code": "That code is not right, or it has expired. Type the one on the projector now.",
    "Too many attempts": "Too many tries. Tap “I'm here” and your teacher will mark you.",
    "Check-in is not open": "Check-in is closed right now.",
  };

  /* Send a check-in or a claim from the card's form; the answer is said in the card. */
  function submit(form) {
    var card = form.closest("[data-class-id]");
    var classId = card.getAttribute("data-class-id");
    var message = card.querySelector("[data-checkin-message]");
    var button = form.querySelector("[type=submit]");
    var claiming = form.hasAttribute("data-claim-form");
    button.disabled = true;
    message.textContent = claiming ? "Telling your teacher…" : "Checking in…";
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (body) {
        button.disabled = false;
        var entry = classes[classId];
        if (!body.success) {
          message.textContent = CHECKIN_ERRORS[body.error] || body.error;
          return;
        }
        if (!entry || !entry.session) {
          return;
        }
        if (claiming) {
          entry.session.checkIn.claimed = true;
          message.textContent = "";
        } else {
          entry.session.status = body.data.status;
          entry.checkedIn = "You are checked in: " + body.data.status + ".";
          form.reset();
        }
        render(classId);
        if (!claiming) {
          message.textContent = entry.checkedIn;
        }
      })
      .catch(function () {
        button.disabled = false;
        message.textContent = "Could not reach the server. Check your connection and try again.";
      });
  }

  list.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-checkin-form], [data-claim-form]");
    if (form) {
      event.preventDefault();
      submit(form);
    }
  });

  /* The QR code on the projector opens this page with the class and the code: fill it in, once. */
  function applyPrefill() {
    if (!prefill.classId) {
      return;
    }
    var card = cardFor(prefill.classId);
    var form = card && card.querySelector("[data-checkin-form]");
    if (form && !form.hidden && prefill.code) {
      form.querySelector("[data-code-field]").value = prefill.code;
      form.querySelector("[type=submit]").focus();
      card.querySelector("[data-checkin-message]").textContent = "Code filled in from the QR code: press Check in.";
    } else if (card) {
      card.querySelector("[data-checkin-message]").textContent = "Check-in is not open for this class right now.";
    }
    prefill = {};
    window.history.replaceState(null, "", window.location.pathname);
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
      applyPrefill();
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
        entry.session = entry.session || { startedAt: "", checkIn: { open: false, claimed: false } };
        entry.session.status = data.status;
        if (event === "ATTENDANCE_MARKED") {
          entry.session.checkIn.claimed = false; // any mark settles a claim
        }
        render(data.classId);
      }
    } else if (event === "SESSION_STARTED") {
      entry.finished = null;
      entry.session = { startedAt: data.startedAt, status: "not yet updated", checkIn: { open: false, claimed: false } };
      render(data.classId);
    } else if (event === "CHECK_IN_STATE") {
      if (entry.session) {
        entry.session.checkIn.open = Boolean(data.open);
        render(data.classId);
      }
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
