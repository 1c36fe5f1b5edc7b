/*
 * The page's connection to /ws: signed in by the session cookie, opted in to the
 * extension with SUBSCRIBE, reconnecting with exponential backoff, resyncing (SUBSCRIBE
 * again) after every reconnect, when the tab becomes visible and when the network returns.
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
      ws.send(JSON.stringify({ event: "SUBSCRIBE" }));
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
      if (frame.event === "SNAPSHOT") {
        self.attempt = 0;
        self.everOpened = true;
        self.synced = true;
        self.setState("open");
      }
      self.onFrame(frame.event, data);
    };
    ws.onclose = function () {
      if (self.ws === ws) {
        self.ws = null;
        self.synced = false;
        self.schedule();
      }
    };
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
