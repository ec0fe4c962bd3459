// Skranke queue screens: the lobby display, the desk page and the kiosk. Plain JavaScript, no
// dependencies. Live updates come as server-sent events; EventSource reconnects by itself and the
// server sends the current board on every (re)connect, so a screen catches up without a reload.
"use strict";

(function () {
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function status(node, live) {
    if (!node) return;
    node.textContent = live ? node.dataset.live : node.dataset.offline;
    node.classList.toggle("offline", !live);
  }

  // A short two-tone chime made on the spot (no sound file to fetch), only if the screen's
  // operator ticked the box: browsers allow sound only after a user gesture anyway.
  function chime() {
    var box = document.getElementById("chime");
    if (!box || !box.checked) return;
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    var ctx = chime.ctx || (chime.ctx = new Ctx());
    [880, 660].forEach(function (f, i) {
      var o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, ctx.currentTime + i * 0.35);
      g.gain.exponentialRampToValueAtTime(0.3, ctx.currentTime + i * 0.35 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + i * 0.35 + 0.33);
      o.connect(g).connect(ctx.destination);
      o.start(ctx.currentTime + i * 0.35);
      o.stop(ctx.currentTime + i * 0.35 + 0.35);
    });
  }

  function lobby(body) {
    var latest = document.getElementById("lobby-latest");
    var calls = document.getElementById("lobby-calls");
    var queues = document.getElementById("lobby-queues");
    var state = document.getElementById("lobby-status");
    var lastCall = latest ? latest.textContent : "";
    var src = new EventSource(body.dataset.lobbyEvents);
    src.onopen = function () { status(state, true); };
    src.onerror = function () { status(state, false); };
    src.addEventListener("board", function (e) {
      status(state, true);
      var v = JSON.parse(e.data);
      document.body.dataset.seq = String(v.seq);
      if (v.calls.length > 0) {
        var c = v.calls[0];
        var key = c.ticket + "→" + c.desk + "@" + c.time;
        if (key !== lastCall) {
          latest.replaceChildren(el("span", c.ticket, "ticket"), document.createTextNode(" "),
            Object.assign(el("span", "→"), { ariaHidden: "true" }), document.createTextNode(" "),
            el("span", c.desk, "desk"));
          if (lastCall !== "") chime();
          lastCall = key;
        }
      }
      calls.replaceChildren.apply(calls, v.calls.map(function (c) {
        var tr = el("tr");
        tr.append(el("td", c.ticket, "ticket"), el("td", c.desk), el("td", c.time));
        return tr;
      }));
      queues.replaceChildren.apply(queues, v.queues.map(function (q) {
        var tr = el("tr");
        var est = q.estimate_minutes === null ? body.dataset.textNoDesk : q.estimate_minutes + " " + body.dataset.textMinutes;
        tr.append(el("td", q.prefix + " · " + q.name), el("td", String(q.waiting)), el("td", est));
        return tr;
      }));
    });
  }

  // The desk page: re-fetch the lists when the board changes; keyboard shortcuts for the buttons
  // that carry data-key (ignored while typing in a field).
  function desk() {
    var target = document.getElementById("desk-live");
    var state = document.getElementById("desk-status");
    var events = document.getElementById("desk-events");
    if (target && events) {
      var src = new EventSource(events.dataset.url);
      var pending = false;
      src.onopen = function () { status(state, true); };
      src.onerror = function () { status(state, false); };
      src.addEventListener("board", function (e) {
        status(state, true);
        var seq = JSON.parse(e.data).seq;
        if (pending) return;
        pending = true;
        fetch(target.dataset.fragment, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            pending = false;
            // Keep focus where the person is working: only swap when focus is not inside.
            if (html !== null && !target.contains(document.activeElement)) {
              target.innerHTML = html;
              target.dataset.seq = String(seq);
            }
          })
          .catch(function () { pending = false; });
      });
    }
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
      var button = document.querySelector('button[data-key="' + e.key.toLowerCase() + '"]:not([disabled])');
      if (button) { e.preventDefault(); button.click(); }
    });
  }

  function kiosk() {
    var print = document.getElementById("print-ticket");
    if (print) print.addEventListener("click", function () { window.print(); });
    var back = document.querySelector("[data-return-after]");
    if (back) {
      setTimeout(function () { window.location.href = back.getAttribute("href"); },
        1000 * parseInt(back.dataset.returnAfter, 10));
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    if (body.dataset.lobbyEvents) lobby(body);
    if (document.getElementById("desk-live")) desk();
    if (body.classList.contains("kiosk")) kiosk();
  });
})();
