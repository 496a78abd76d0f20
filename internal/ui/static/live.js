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
        // The swapped-in region's fragments are loaded again (below).
        main.dispatchEvent(new Event("ferry:swapped"));
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

// Fragments loaded after the first paint: an element with data-load names
// a page (an inventory's health) read live, which the object page does not
// wait for. Each of its rows with data-health-id fills the badges whose
// data-health-for is the same inventory ID. Without script the element is
// a plain link to that page. A swapped-in region gets the last answer at
// once and a new one at most every 30 s, as each costs the API server a
// read per object.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser) return;
  var main = document.getElementById("main");
  if (!main) return;
  var health = {}, loadedAt = {}, again = 30000;

  function fill() {
    main.querySelectorAll("[data-health-for]").forEach(function (b) {
      var h = health[b.getAttribute("data-health-for")];
      if (!h) return;
      b.textContent = h.status;
      b.title = h.message;
      b.className = "state health" + (/^[a-z]+$/.test(h.cls) ? " health-" + h.cls : "");
    });
  }

  function load() {
    main.querySelectorAll("[data-load]").forEach(function (el) {
      var url = el.getAttribute("data-load");
      if (!url || url.charAt(0) !== "/" || url.charAt(1) === "/") return;
      if (loadedAt[url] && Date.now() - loadedAt[url] < again) { fill(); return; }
      loadedAt[url] = Date.now();
      fetch(url, { headers: { "X-Ferry-Fragment": "1" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          // Parsed, never inserted: only the rows' attributes are read.
          var doc = new DOMParser().parseFromString(html, "text/html");
          doc.querySelectorAll("[data-health-id]").forEach(function (row) {
            health[row.getAttribute("data-health-id")] = {
              status: row.getAttribute("data-health-status") || "",
              cls: row.getAttribute("data-health-class") || "",
              message: row.getAttribute("data-health-message") || ""
            };
          });
          fill();
        })
        .catch(function () {});
    });
  }

  load();
  main.addEventListener("ferry:swapped", load);
})();
