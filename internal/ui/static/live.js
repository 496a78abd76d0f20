// ferry's live updates: listen to /live and, when objects of the kinds
// this page shows change, fetch the page again (only its main region, with
// the X-Ferry-Fragment header) and swap it in. No inline script: the
// Content-Security-Policy allows only this file.
(function () {
  "use strict";
  if (!window.EventSource || !window.fetch) return;
  var main = document.getElementById("main");
  var status = document.getElementById("live-status");
  if (!main) return;
  var busy = false, again = false;

  function show(on) {
    if (!status) return;
    status.className = "live " + (on ? "on" : "off");
    status.textContent = on ? "live" : "offline";
  }

  // editing reports a form field in the main region that has the focus
  // or holds typed text, which a swap would lose.
  function editing() {
    var a = document.activeElement;
    if (a && main.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) return true;
    var open = main.querySelector("details[open] input[type=text]");
    return !!(open && open.value);
  }

  function refresh() {
    if (busy) { again = true; return; }
    if (editing()) { setTimeout(refresh, 2000); return; }
    busy = true;
    fetch(location.href, { headers: { "X-Ferry-Fragment": "1" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var open = {};
        main.querySelectorAll("details[open]").forEach(function (d, i) { open[i] = true; });
        main.innerHTML = html;
        main.querySelectorAll("details").forEach(function (d, i) { if (open[i]) d.open = true; });
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  var wanted = (main.getAttribute("data-live-kinds") || "").split(/\s+/).filter(Boolean);
  var es = new EventSource("/live");
  es.onopen = function () { show(true); };
  es.onerror = function () { show(false); };
  es.addEventListener("changed", function (e) {
    if (wanted.length) {
      var kinds = (e.data || "").split(/\s+/);
      if (!kinds.some(function (k) { return wanted.indexOf(k) >= 0; })) return;
    }
    refresh();
  });
})();
