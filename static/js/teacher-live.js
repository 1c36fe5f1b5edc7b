/* The teacher's live session view: tap to mark, a menu for late and excused, mark the rest (undoable),
   live counters and presence, check-ins and claims, Finish. */
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
  var menu = root.querySelector("[data-status-menu]");
  var markRestButton = root.querySelector("[data-mark-rest]");
  var undoBar = root.querySelector("[data-undo-bar]");
  var undoText = root.querySelector("[data-undo-text]");
  var undoButton = root.querySelector("[data-undo]");

  var STATUSES = ["present", "late", "excused", "absent"];
  var LABELS = { present: "Present", late: "Late", excused: "Excused", absent: "Absent", "": "Not marked" };
  var ICONS = { present: "#i-check", late: "#i-late", excused: "#i-excused", absent: "#i-cross", "": "#i-clock" };
  var LONG_PRESS_MS = 500;
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
  var menuItem = null;
  var undoIds = null;
  var pressTimer = null;
  var longPressed = false;

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
    item.querySelector("[data-more]").disabled = ended;
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
    item.querySelector("[data-more-name]").textContent = student.name;
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
    closeMenu(false);
    showUndo("", null);
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
    } else if (event === "MARKED_REST") {
      if (markRestButton) {
        markRestButton.removeAttribute("aria-busy");
      }
      var count = (data.studentIds || []).length;
      showUndo(
        count
          ? "Marked " + count + (count === 1 ? " student " : " students ") + "present."
          : "Everyone was marked already.",
        count ? data.studentIds : null
      );
    } else if (event === "MARKS_UNDONE") {
      (data.studentIds || []).forEach(function (id) {
        delete marks[id];
        var undone = itemFor(id);
        if (undone) {
          paint(undone);
        }
      });
      paintCounters();
      if (undoIds) {
        var n = data.studentIds.length;
        showUndo("Undone: " + n + (n === 1 ? " student is" : " students are") + " not marked again.", null);
      }
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
      if (markRestButton) {
        markRestButton.removeAttribute("aria-busy");
      }
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

  /* Send one mark; false (and a message) when the socket is down. */
  function sendMark(item, status) {
    var id = item.getAttribute("data-student-id");
    if (!socket.send("ATTENDANCE_MARKED", { studentId: id, status: status, classId: classId })) {
      showError("Not connected: the mark was not sent. It will work again once reconnected.", "connection");
      return false;
    }
    if (errorKind === "server") {
      showError("");
    }
    item.querySelector("[data-mark]").setAttribute("aria-busy", "true");
    return true;
  }

  function menuButtons() {
    return Array.prototype.slice.call(menu.querySelectorAll("[data-set-status]"));
  }

  /* Open the status menu under a student; focus the current status (or the first) for the keyboard. */
  function openMenu(item) {
    if (!menu || ended) {
      return;
    }
    closeMenu(false);
    menuItem = item;
    item.appendChild(menu);
    menu.setAttribute("aria-label", "Set a status for " + item.querySelector("[data-name]").textContent);
    menu.hidden = false;
    item.querySelector("[data-more]").setAttribute("aria-expanded", "true");
    var current = marks[item.getAttribute("data-student-id")];
    var buttons = menuButtons();
    var target = buttons.filter(function (button) {
      return button.getAttribute("data-set-status") === current;
    })[0];
    buttons.forEach(function (button) {
      button.setAttribute("aria-checked", String(button === target));
    });
    (target || buttons[0]).focus();
  }

  /* Close the menu; `refocus` gives the focus back to the student's button. */
  function closeMenu(refocus) {
    if (!menu || !menuItem) {
      return;
    }
    var item = menuItem;
    menuItem = null;
    menu.hidden = true;
    item.querySelector("[data-more]").setAttribute("aria-expanded", "false");
    if (refocus) {
      item.querySelector("[data-mark]").focus();
    }
  }

  function showUndo(message, studentIds) {
    if (!undoBar) {
      return;
    }
    undoIds = studentIds;
    undoText.textContent = message;
    undoButton.hidden = !studentIds;
    undoBar.hidden = !message;
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
      var choice = event.target.closest("[data-set-status]");
      if (choice) {
        var chosenFor = menuItem;
        closeMenu(true);
        if (chosenFor && !ended) {
          sendMark(chosenFor, choice.getAttribute("data-set-status"));
        }
        return;
      }
      var more = event.target.closest("[data-more]");
      if (more) {
        var owner = more.closest("[data-student-id]");
        if (menuItem === owner) {
          closeMenu(true);
        } else {
          openMenu(owner);
        }
        return;
      }
      var button = event.target.closest("[data-mark]");
      if (!button || ended) {
        return;
      }
      if (longPressed) {
        longPressed = false; // the press opened the menu: it was not a tap
        return;
      }
      closeMenu(false);
      var item = button.closest("[data-student-id]");
      sendMark(item, marks[item.getAttribute("data-student-id")] === "present" ? "absent" : "present");
    });

    // Press and hold a student (touch or mouse) for the menu; a right click or the context-menu key too.
    grid.addEventListener("pointerdown", function (event) {
      var button = event.target.closest("[data-mark]");
      longPressed = false;
      if (!button || ended || event.button > 0) {
        return;
      }
      clearTimeout(pressTimer);
      pressTimer = setTimeout(function () {
        longPressed = true;
        openMenu(button.closest("[data-student-id]"));
      }, LONG_PRESS_MS);
    });
    ["pointerup", "pointerleave", "pointercancel"].forEach(function (type) {
      grid.addEventListener(type, function () {
        clearTimeout(pressTimer);
      });
    });
    grid.addEventListener("contextmenu", function (event) {
      var button = event.target.closest("[data-mark]");
      if (button && !ended) {
        event.preventDefault();
        clearTimeout(pressTimer);
        if (menuItem !== button.closest("[data-student-id]")) {
          openMenu(button.closest("[data-student-id]"));
        }
      }
    });

    // The menu from the keyboard: arrows move, Escape closes, Tab leaves.
    grid.addEventListener("keydown", function (event) {
      if (!menuItem || !menu.contains(event.target)) {
        return;
      }
      var buttons = menuButtons();
      var index = buttons.indexOf(document.activeElement);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        buttons[(index + step + buttons.length) % buttons.length].focus();
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        buttons[event.key === "Home" ? 0 : buttons.length - 1].focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        var owner = menuItem;
        closeMenu(false);
        owner.querySelector("[data-more]").focus();
      } else if (event.key === "Tab") {
        closeMenu(false);
      }
    });

    document.addEventListener("click", function (event) {
      if (menuItem && !menuItem.contains(event.target)) {
        closeMenu(false);
      }
    });
  }

  if (markRestButton) {
    markRestButton.addEventListener("click", function () {
      if (ended) {
        return;
      }
      if (counts().notMarked === 0) {
        showUndo("Everyone is marked already.", null);
        return;
      }
      if (!socket.send("MARK_REST", { classId: classId })) {
        showError("Not connected: nobody was marked. Try again once reconnected.", "connection");
        return;
      }
      markRestButton.setAttribute("aria-busy", "true");
    });
  }

  if (undoButton) {
    undoButton.addEventListener("click", function () {
      if (!undoIds || ended) {
        return;
      }
      if (!socket.send("UNMARK", { classId: classId, studentIds: undoIds })) {
        showError("Not connected: nothing was undone. Try again once reconnected.", "connection");
        return;
      }
      undoButton.hidden = true;
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
