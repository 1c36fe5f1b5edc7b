/* The teacher's live session view: tap to mark, live counters and presence, check-ins and claims, Finish. */
(function () {
  "use strict";

  var root = document.querySelector("[data-live-teacher]");
  if (!root) {
    return;
  }
  var classId = root.getAttribute("data-class-id");
  var startedAt = root.getAttribute("data-started-at");
  var running = Boolean(startedAt);
  var grid = root.querySelector("[data-grid]");
  var template = document.getElementById("mark-template");
  var errorBox = root.querySelector("[data-error]");
  var finishButton = root.querySelector("[data-finish]");
  var dialog = root.querySelector("[data-finish-dialog]");
  var summary = root.querySelector("[data-summary]");
  var marking = root.querySelector("[data-marking]");
  var toolbar = root.querySelector("[data-toolbar]");

  var STATUSES = ["present", "late", "excused", "absent"];
  var LABELS = { present: "Present", late: "Late", excused: "Excused", absent: "Absent", "": "Not marked" };
  var ICONS = { present: "#i-check", late: "#i-late", excused: "#i-excused", absent: "#i-cross", "": "#i-clock" };
  var marks = {};
  var online = {};
  // Self check-in: who checked in with the code, their flags, "I'm here" claims waiting.
  var checkIn = { open: false, lateAfterMinutes: null, checkedIn: {}, flags: {}, claims: {} };
  var FLAG_TEXTS = {
    "same-browser": "same browser as another check-in",
    "previous-code": "used the previous code at its last second",
    "page-not-open": "their page was not open this session",
    "other-network": "from a network unlike the room's",
  };
  var ended = false;
  var socket;

  function items() {
    return grid ? Array.prototype.slice.call(grid.querySelectorAll("[data-student-id]")) : [];
  }

  function itemFor(studentId) {
    return grid ? grid.querySelector('[data-student-id="' + CSS.escape(studentId) + '"]') : null;
  }

  var errorKind = "";

  /* Show a message; a "connection" one is cleared by the next snapshot, others by the next tap. */
  function showError(message, kind) {
    if (!errorBox) {
      return;
    }
    errorKind = message ? kind || "server" : "";
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function paint(item) {
    var id = item.getAttribute("data-student-id");
    var button = item.querySelector("[data-mark]");
    var status = marks[id] || "";
    button.setAttribute("data-status", status || "none");
    item.querySelector("[data-status-text]").textContent = LABELS[status];
    item.querySelector(".mark__icon use").setAttribute("href", ICONS[status]);
    item.querySelector("[data-online]").hidden = !online[id];
    button.disabled = ended;
    paintCheckIn(item, id);
  }

  function paintCheckIn(item, id) {
    var reasons = checkIn.flags[id] || [];
    item.querySelector("[data-checked-in]").hidden = !checkIn.checkedIn[id];
    var flags = item.querySelector("[data-flags]");
    flags.hidden = reasons.length === 0;
    flags.querySelector("[data-flags-text]").textContent = reasons.length
      ? "Worth a look: " +
        reasons
          .map(function (reason) {
            return FLAG_TEXTS[reason] || reason;
          })
          .join("; ")
      : "";
    var claim = item.querySelector("[data-claim]");
    claim.hidden = !checkIn.claims[id] || ended;
    claim.querySelector("[data-confirm]").disabled = ended;
    claim.querySelector("[data-confirm-status]").textContent = confirmStatus();
  }

  /* A confirmed claim counts as a check-in would now: late once the threshold has passed. */
  function confirmStatus() {
    var minutes = checkIn.lateAfterMinutes;
    if (minutes === null || minutes === undefined || !startedAt) {
      return "present";
    }
    return Date.now() >= Date.parse(startedAt) + minutes * 60000 ? "late" : "present";
  }

  function setCheckIn(state) {
    if (!state) {
      return;
    }
    function set(list) {
      var map = {};
      (list || []).forEach(function (id) {
        map[id] = true;
      });
      return map;
    }
    checkIn = {
      open: Boolean(state.open),
      lateAfterMinutes: state.lateAfterMinutes,
      checkedIn: set(state.checkedIn),
      flags: state.flags || {},
      claims: set(state.claims),
    };
    paintPanel();
  }

  function paintPanel() {
    var opened = root.querySelector("[data-checkin-opened]");
    if (!opened) {
      return;
    }
    opened.hidden = !checkIn.open;
    root.querySelector("[data-checkin-closed]").hidden = checkIn.open;
    root.querySelector("[data-checkin-count]").textContent = Object.keys(checkIn.checkedIn).length;
  }

  function counts() {
    var result = { present: 0, late: 0, excused: 0, absent: 0, notMarked: 0, total: 0 };
    items().forEach(function (item) {
      var status = marks[item.getAttribute("data-student-id")];
      result.total += 1;
      result[STATUSES.indexOf(status) >= 0 ? status : "notMarked"] += 1;
    });
    return result;
  }

  function countsText(current) {
    var parts = [current.present + " present"];
    if (current.late) {
      parts.push(current.late + " late");
    }
    if (current.excused) {
      parts.push(current.excused + " excused");
    }
    parts.push(current.absent + " absent");
    return parts.join(", ");
  }

  function paintCounters() {
    var current = counts();
    root.querySelectorAll("[data-count]").forEach(function (node) {
      node.textContent = current[node.getAttribute("data-count")];
    });
    var connected = items().filter(function (item) {
      return online[item.getAttribute("data-student-id")];
    }).length;
    var onlineCount = root.querySelector("[data-online-count]");
    if (onlineCount) {
      onlineCount.textContent = connected;
      root.querySelector("[data-total]").textContent = current.total;
    }
    var finishText = root.querySelector("[data-finish-text]");
    if (finishText) {
      finishText.textContent =
        current.notMarked === 0
          ? "Every student is marked: " + countsText(current) + "."
          : current.notMarked +
            (current.notMarked === 1 ? " student is" : " students are") +
            " not marked yet and will be recorded absent.";
    }
  }

  function paintAll() {
    items().forEach(paint);
    paintCounters();
  }

  function newItem(student) {
    var fragment = template.content.cloneNode(true);
    var item = fragment.querySelector("[data-student-id]");
    item.setAttribute("data-student-id", student._id);
    item.querySelector("[data-name]").textContent = student.name;
    item.querySelector("[data-confirm-name]").textContent = student.name;
    return item;
  }

  /* Make the grid match the roster of a snapshot (students added or removed elsewhere). */
  function reconcile(students) {
    if (!grid) {
      return;
    }
    var existing = {};
    items().forEach(function (item) {
      existing[item.getAttribute("data-student-id")] = item;
    });
    var keep = {};
    students.forEach(function (student) {
      keep[student._id] = true;
      grid.appendChild(existing[student._id] || newItem(student));
    });
    Object.keys(existing).forEach(function (id) {
      if (!keep[id]) {
        existing[id].remove();
      }
    });
    var empty = root.querySelector("[data-empty]");
    if (empty) {
      empty.hidden = students.length > 0;
    }
  }

  function finish(data) {
    ended = true;
    if (dialog && dialog.open) {
      dialog.close();
    }
    if (summary) {
      ["present", "late", "excused", "absent", "total"].forEach(function (name) {
        summary.querySelector('[data-final="' + name + '"]').textContent = data[name] || 0;
      });
      summary.querySelector("[data-summary-note]").textContent = data.automatic
        ? "The session ran too long and was finished automatically."
        : "Unmarked students were recorded absent.";
      summary.hidden = false;
      var line = root.querySelector("[data-session-line]");
      if (line) {
        line.textContent = "Session finished";
      }
      if (marking) {
        marking.hidden = true;
      }
      if (toolbar) {
        toolbar.hidden = true;
      }
      summary.focus();
    }
    paintAll();
  }

  function onFrame(event, data) {
    if (data.classId !== undefined && data.classId !== classId) {
      return;
    }
    if (event === "SNAPSHOT") {
      var entry = LiveSocket.entryFor(data, classId);
      if (!entry) {
        showError("This class is no longer available.", "server");
        return;
      }
      var session = entry.session;
      if (ended) {
        return;
      }
      if (!running) {
        if (session) {
          window.location.reload();
        }
        return;
      }
      if (!session || session.startedAt !== startedAt) {
        // Finished (and maybe restarted) while this page was away: show the saved result.
        window.location.reload();
        return;
      }
      if (errorKind === "connection") {
        showError("");
      }
      marks = session.marks || {};
      setCheckIn(session.checkIn);
      online = {};
      (entry.online || []).forEach(function (id) {
        online[id] = true;
      });
      reconcile(entry.students || []);
      items().forEach(function (item) {
        item.querySelector("[data-mark]").removeAttribute("aria-busy");
      });
      paintAll();
    } else if (event === "ATTENDANCE_MARKED") {
      marks[data.studentId] = data.status;
      delete checkIn.claims[data.studentId]; // any mark settles a claim
      var item = itemFor(data.studentId);
      if (item) {
        item.querySelector("[data-mark]").removeAttribute("aria-busy");
        paint(item);
      }
      paintCounters();
    } else if (event === "CATCH_UP") {
      // Back after a drop: the marks came as ATTENDANCE_MARKED; here is who is online now.
      if (errorKind === "connection") {
        showError("");
      }
      online = {};
      (data.online || []).forEach(function (id) {
        online[id] = true;
      });
      items().forEach(function (item) {
        item.querySelector("[data-mark]").removeAttribute("aria-busy");
      });
      paintAll();
    } else if (event === "CHECKED_IN") {
      setCheckIn(data.checkIn);
      paintAll();
    } else if (event === "CLAIM") {
      checkIn.claims[data.studentId] = true;
      var claimant = itemFor(data.studentId);
      if (claimant) {
        paint(claimant);
      }
    } else if (event === "CHECK_IN_STATE") {
      checkIn.open = Boolean(data.open);
      paintPanel();
    } else if (event === "PRESENCE") {
      online[data.userId] = Boolean(data.online);
      var who = itemFor(data.userId);
      if (who) {
        paint(who);
      }
      paintCounters();
    } else if (event === "DONE" || event === "SESSION_ENDED") {
      if (running && data.classId === classId) {
        finish(data);
      }
    } else if (event === "ROSTER_CHANGED") {
      // A student was added or removed elsewhere (the class page, the API): redraw from a snapshot.
      socket.resync();
    } else if (event === "SESSION_STARTED") {
      if (!running || ended) {
        window.location.reload();
      }
    } else if (event === "ERROR") {
      items().forEach(function (node) {
        node.querySelector("[data-mark]").removeAttribute("aria-busy");
      });
      if (finishButton) {
        finishButton.disabled = false;
      }
      showError(data.message || "Something went wrong.");
      if (running) {
        socket.resync();
      }
    }
  }

  function onState(state) {
    if (finishButton && !ended) {
      finishButton.disabled = state !== "open";
    }
    items().forEach(function (item) {
      item.querySelector("[data-mark]").setAttribute("aria-disabled", String(state !== "open" || ended));
    });
  }

  if (grid) {
    grid.addEventListener("click", function (event) {
      var confirm = event.target.closest("[data-confirm]");
      if (confirm && !ended) {
        var claimant = confirm.closest("[data-student-id]").getAttribute("data-student-id");
        if (!socket.send("ATTENDANCE_MARKED", { studentId: claimant, status: confirmStatus(), classId: classId })) {
          showError("Not connected: the mark was not sent. It will work again once reconnected.", "connection");
        }
        return;
      }
      var button = event.target.closest("[data-mark]");
      if (!button || ended) {
        return;
      }
      var id = button.closest("[data-student-id]").getAttribute("data-student-id");
      var next = marks[id] === "present" ? "absent" : "present";
      if (!socket.send("ATTENDANCE_MARKED", { studentId: id, status: next, classId: classId })) {
        showError("Not connected: the mark was not sent. It will work again once reconnected.", "connection");
        return;
      }
      if (errorKind === "server") {
        showError("");
      }
      button.setAttribute("aria-busy", "true");
    });
  }

  if (finishButton && dialog) {
    finishButton.addEventListener("click", function () {
      paintCounters();
      dialog.returnValue = "";
      dialog.showModal();
    });
    dialog.addEventListener("close", function () {
      if (dialog.returnValue !== "confirm" || ended) {
        return;
      }
      if (socket.send("DONE", { classId: classId })) {
        finishButton.disabled = true;
      } else {
        showError("Not connected: the session was not finished. Try again once reconnected.", "connection");
      }
    });
  }

  socket = LiveSocket.start(root, { onFrame: onFrame, onState: onState, showError: showError });
})();
