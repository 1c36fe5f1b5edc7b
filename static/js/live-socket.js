/*
 * The page's connection to /ws: signed in by the session cookie, opted in to the
 * extension with SUBSCRIBE, reconnecting with exponential backoff, resyncing after every
 * reconnect (CATCH_UP from the `seq` it holds of each class's session, or SUBSCRIBE again
 * when that is not enough), when the tab becomes visible and when the network returns.
 * Marks arrive numbered by `seq`; one the page already holds is dropped here, so a late or
 * repeated frame never undoes a newer mark.
 * A socket that has been silent for a while is sent a PING; one that does not answer is
 * treated as dropped (phones keep dead sockets "open" after a network change).
 */
(function () {
  "use strict";

  var MIN_DELAY = 500;
  var MAX_DELAY = 8000;
  var UNAUTHORIZED = "Unauthorized or invalid token";
  var IDLE_CHECK = 40000;
  var ANSWER_WITHIN = 10000;

  function LiveSocket(options) {
    this.onFrame = options.onFrame;
    this.onState = options.onState || function () {};
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.synced = false;
    this.stopped = false;
    // classId -> {sessionId, seq}: the session of each class the page shows, and how far it holds it.
    this.held = {};
    this.catchingUp = 0;
    this.resubscribe = false;
    var self = this;
    window.addEventListener("online", function () {
      self.resync();
    });
    window.addEventListener("offline", function () {
      self.drop();
    });
    window.setInterval(function () {
      self.checkAlive();
    }, ANSWER_WITHIN);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        self.resync();
      }
    });
  }

  LiveSocket.prototype.url = function () {
    return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + "/ws";
  };

  LiveSocket.prototype.setState = function (state, detail) {
    this.state = state;
    document.body.setAttribute("data-connection", state);
    this.onState(state, detail || {});
  };

  LiveSocket.prototype.connect = function () {
    var self = this;
    if (this.stopped) {
      return;
    }
    window.clearTimeout(this.timer);
    this.timer = null;
    if (this.ws) {
      return;
    }
    this.synced = false;
    this.setState(this.attempt === 0 && !this.everOpened ? "connecting" : "reconnecting");
    var ws;
    try {
      ws = new WebSocket(this.url());
    } catch (error) {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.onopen = function () {
      self.lastFrame = Date.now();
      self.probeSent = 0;
      var classIds = Object.keys(self.held);
      if (!self.everOpened || !classIds.length) {
        ws.send(JSON.stringify({ event: "SUBSCRIBE" }));
        return;
      }
      // Back after a drop: ask each class for what changed since what the page holds.
      self.catchingUp = classIds.length;
      self.resubscribe = false;
      classIds.forEach(function (classId) {
        var held = self.held[classId];
        ws.send(
          JSON.stringify({
            event: "CATCH_UP",
            data: { classId: classId, sessionId: held.sessionId, since: held.seq },
          })
        );
      });
    };
    ws.onmessage = function (message) {
      self.lastFrame = Date.now();
      self.probeSent = 0;
      var frame;
      try {
        frame = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (!frame || typeof frame.event !== "string") {
        return;
      }
      var data = frame.data || {};
      if (frame.event === "ERROR" && data.message === UNAUTHORIZED) {
        self.stopped = true;
        self.setState("signedout");
        return;
      }
      if (self.catchingUp && (frame.event === "CATCH_UP" || frame.event === "ERROR")) {
        self.caughtUp(ws, frame.event, data);
        return;
      }
      if (!self.track(frame.event, data)) {
        return;
      }
      if (frame.event === "SNAPSHOT") {
        self.opened();
      }
      self.onFrame(frame.event, data);
    };
    ws.onclose = function () {
      if (self.ws === ws) {
        self.ws = null;
        self.synced = false;
        self.catchingUp = 0;
        self.schedule();
      }
    };
  };

  LiveSocket.prototype.opened = function () {
    this.attempt = 0;
    this.everOpened = true;
    this.synced = true;
    this.setState("open");
  };

  LiveSocket.prototype.hold = function (classId, session) {
    this.held[classId] = session ? { sessionId: session.sessionId, seq: session.seq || 0 } : { sessionId: null, seq: 0 };
  };

  /* Keep what the page holds of each session up to date; return false for a frame it already has. */
  LiveSocket.prototype.track = function (event, data) {
    var self = this;
    if (event === "SNAPSHOT" || event === "ENROLLED") {
      if (event === "SNAPSHOT") {
        this.held = {};
      }
      (data.classes || []).forEach(function (entry) {
        self.hold(entry.classId, entry.session);
      });
    } else if (event === "UNENROLLED") {
      delete this.held[data.classId];
    } else if (event === "SESSION_STARTED") {
      this.hold(data.classId, data);
    } else if (event === "DONE" || event === "SESSION_ENDED") {
      this.hold(data.classId, null);
    } else if ((event === "ATTENDANCE_MARKED" || event === "TODAY_SUMMARY") && typeof data.seq === "number") {
      var held = this.held[data.classId];
      if (held && held.sessionId === data.sessionId) {
        // A summary may repeat the seq of the last mark; a mark never repeats one.
        if (data.seq < held.seq || (event === "ATTENDANCE_MARKED" && data.seq === held.seq)) {
          return false;
        }
        held.seq = data.seq;
      } else if (data.classId !== undefined) {
        this.held[data.classId] = { sessionId: data.sessionId, seq: data.seq };
      }
    }
    return true;
  };

  /* One class's answer to CATCH_UP: replay its marks, or fall back to a full SUBSCRIBE. */
  LiveSocket.prototype.caughtUp = function (ws, event, data) {
    var self = this;
    this.catchingUp -= 1;
    if (event === "ERROR" || data.snapshot) {
      this.resubscribe = true; // the session changed, or the class is gone: start afresh
    } else {
      var held = this.held[data.classId] || { sessionId: data.sessionId, seq: 0 };
      Object.keys(data.marks || {}).forEach(function (studentId) {
        self.onFrame("ATTENDANCE_MARKED", {
          studentId: studentId,
          status: data.marks[studentId],
          classId: data.classId,
          sessionId: data.sessionId,
          seq: data.seq,
        });
      });
      held.seq = Math.max(held.seq, data.seq);
      this.held[data.classId] = held;
      this.onFrame("CATCH_UP", data);
    }
    if (this.catchingUp > 0) {
      return;
    }
    if (this.resubscribe) {
      ws.send(JSON.stringify({ event: "SUBSCRIBE" }));
    } else {
      this.opened();
    }
  };

  LiveSocket.prototype.schedule = function () {
    if (this.stopped || this.timer) {
      return;
    }
    var base = Math.min(MAX_DELAY, MIN_DELAY * Math.pow(2, this.attempt));
    var delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    this.setState("reconnecting", { delay: delay });
    var self = this;
    this.timer = window.setTimeout(function () {
      self.timer = null;
      self.connect();
    }, delay);
  };

  /* Close the socket as dropped: the usual backoff and resync follow. */
  LiveSocket.prototype.drop = function () {
    var ws = this.ws;
    if (!ws) {
      return;
    }
    this.ws = null;
    this.synced = false;
    this.catchingUp = 0;
    ws.onclose = null;
    ws.close();
    this.schedule();
  };

  LiveSocket.prototype.checkAlive = function () {
    if (!this.isOpen() || document.visibilityState !== "visible") {
      return;
    }
    var now = Date.now();
    if (this.probeSent && now - this.probeSent > ANSWER_WITHIN) {
      this.drop();
    } else if (!this.probeSent && now - (this.lastFrame || now) > IDLE_CHECK) {
      this.probeSent = now;
      this.ws.send(JSON.stringify({ event: "PING" }));
    }
  };

  /* Ask for a fresh snapshot, or reconnect now when the socket is down. */
  LiveSocket.prototype.resync = function () {
    if (this.stopped) {
      return;
    }
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ event: "SUBSCRIBE" }));
    } else if (!this.ws) {
      this.attempt = 0;
      this.connect();
    }
  };

  LiveSocket.prototype.isOpen = function () {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN && this.synced);
  };

  /* Send a frame; return false when it could not be sent. */
  LiveSocket.prototype.send = function (event, data) {
    if (!this.isOpen()) {
      return false;
    }
    this.ws.send(JSON.stringify({ event: event, data: data || {} }));
    return true;
  };

  /* Return a snapshot's entry for one class, or undefined. */
  LiveSocket.entryFor = function (snapshot, classId) {
    return (snapshot.classes || []).filter(function (item) {
      return item.classId === classId;
    })[0];
  };

  /* Render the connection pill shared by the live pages. */
  LiveSocket.describe = function (element, state) {
    if (!element) {
      return;
    }
    var texts = {
      connecting: "Connecting…",
      open: "Live",
      reconnecting: "Reconnecting…",
      signedout: "Signed out",
    };
    element.setAttribute("data-state", state);
    var text = element.querySelector("[data-conn-text]");
    var icon = element.querySelector("use");
    if (text) {
      text.textContent = texts[state] || state;
    }
    if (icon) {
      icon.setAttribute("href", state === "open" ? "#i-live" : state === "signedout" ? "#i-alert" : "#i-sync");
    }
  };

  /*
   * Start a live page's socket: the connection pill in root's [data-conn], the signed-out
   * message through options.showError, then options.onFrame / options.onState.
   */
  LiveSocket.start = function (root, options) {
    var conn = root.querySelector("[data-conn]");
    var socket = new LiveSocket({
      onFrame: options.onFrame,
      onState: function (state, detail) {
        LiveSocket.describe(conn, state);
        if (state === "signedout") {
          options.showError("You have been signed out. Reload the page to sign in again.", "signedout");
        }
        if (options.onState) {
          options.onState(state, detail);
        }
      },
    });
    socket.connect();
    return socket;
  };

  window.LiveSocket = LiveSocket;
})();
