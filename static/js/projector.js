/*
 * The projector view: the current check-in code (grouped, and spelled out for screen readers),
 * its QR code, a countdown to the next code, and how many students have checked in.
 * The code is fetched again when it changes; the count follows the teacher's live socket.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-projector]");
  if (!root || !root.querySelector("[data-stage]")) {
    return;
  }
  var classId = root.getAttribute("data-class-id");
  var codeUrl = root.getAttribute("data-code-url");
  var codeBox = root.querySelector("[data-code]");
  var spoken = root.querySelector("[data-code-spoken]");
  var qrBox = root.querySelector("[data-qr]");
  var countdown = root.querySelector("[data-countdown]");
  var progress = root.querySelector("[data-progress]");
  var count = root.querySelector("[data-checked-in]");
  var errorBox = root.querySelector("[data-error]");
  var stage = root.querySelector("[data-stage]");
  var fullscreen = root.querySelector("[data-fullscreen]");

  var current = null; // {code, expires (ms, this browser's clock), rotate (ms)}
  var fetching = false;
  var retryAt = 0;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function grouped(code) {
    return code.slice(0, 3) + " " + code.slice(3);
  }

  function spelled(code) {
    return code.slice(0, 3).split("").join(" ") + ", " + code.slice(3).split("").join(" ");
  }

  function load() {
    if (fetching) {
      return;
    }
    fetching = true;
    fetch(codeUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          return { status: response.status, body: body };
        });
      })
      .then(function (result) {
        fetching = false;
        if (!result.body.success) {
          if (result.status === 404) {
            // Closed, or the session ended: the page says so.
            window.location.reload();
            return;
          }
          throw new Error(result.body.error);
        }
        var data = result.body.data;
        // The server's clock decides when a code changes; this browser's may be off.
        var offset = Date.parse(data.now) - Date.now();
        current = { code: data.code, expires: Date.parse(data.expiresAt) - offset, rotate: data.rotateSeconds * 1000 };
        codeBox.textContent = grouped(data.code);
        spoken.textContent = "The code is " + spelled(data.code) + ".";
        qrBox.innerHTML = data.qr;
        count.textContent = data.checkedIn;
        showError("");
        tick();
      })
      .catch(function () {
        fetching = false;
        retryAt = Date.now() + 2000;
        showError("Could not fetch the code. Trying again…");
      });
  }

  function tick() {
    var now = Date.now();
    if (!current || now >= current.expires) {
      if (now >= retryAt) {
        load();
      }
      return;
    }
    var left = current.expires - now;
    countdown.textContent = String(Math.ceil(left / 1000));
    progress.value = Math.round((1000 * left) / current.rotate);
  }

  function onFrame(event, data) {
    if (data.classId !== undefined && data.classId !== classId) {
      return;
    }
    if (event === "SNAPSHOT") {
      var entry = LiveSocket.entryFor(data, classId);
      if (!entry || !entry.session || !entry.session.checkIn.open) {
        window.location.reload();
        return;
      }
      count.textContent = entry.session.checkIn.checkedIn.length;
    } else if (event === "CHECKED_IN") {
      count.textContent = data.checkIn.checkedIn.length;
    } else if ((event === "CHECK_IN_STATE" && !data.open) || event === "DONE" || event === "SESSION_ENDED") {
      window.location.reload();
    }
  }

  if (fullscreen) {
    fullscreen.hidden = !document.fullscreenEnabled;
    fullscreen.addEventListener("click", function () {
      if (document.fullscreenElement) {
        document.exitFullscreen();
      } else {
        stage.requestFullscreen().then(function () {
          stage.focus();
        });
      }
    });
    document.addEventListener("fullscreenchange", function () {
      fullscreen.textContent = document.fullscreenElement ? "Leave full screen" : "Full screen";
    });
  }

  LiveSocket.start(root, { onFrame: onFrame, showError: showError });
  load();
  window.setInterval(tick, 250);
})();
