// ferry's keyboard shortcuts and theme switch. No inline script: the
// Content-Security-Policy allows only files from /static/. Press ? for the
// list of shortcuts.
(function () {
  "use strict";
  var root = document.documentElement;
  var THEME_KEY = "ferry-theme";

  // The theme: the system's unless chosen here, kept in localStorage.
  function applyTheme(t) {
    if (t === "light" || t === "dark") root.setAttribute("data-theme", t);
    else root.removeAttribute("data-theme");
  }
  function storedTheme() {
    try { return localStorage.getItem(THEME_KEY) || ""; } catch (e) { return ""; }
  }
  function currentTheme() {
    var t = root.getAttribute("data-theme");
    if (t) return t;
    return window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function toggleTheme() {
    var next = currentTheme() === "dark" ? "light" : "dark";
    applyTheme(next);
    try { localStorage.setItem(THEME_KEY, next); } catch (e) {}
    label();
  }
  applyTheme(storedTheme());

  var themeButton;
  function label() {
    if (!themeButton) return;
    var dark = currentTheme() === "dark";
    themeButton.textContent = dark ? "Light theme" : "Dark theme";
    themeButton.setAttribute("aria-pressed", dark ? "true" : "false");
  }

  // The shortcuts, as the help lists them. "g x" are two keys in a row.
  var jumps = {
    o: "/",
    k: "/k/Kustomization",
    h: "/k/HelmRelease",
    s: "/k/GitRepository",
    c: "/k/HelmChart",
    r: "/k/HelmRepository",
    g: "/graph",
    t: "/trace",
    e: "/engine",
    n: "/notifications"
  };
  var help = [
    ["/", "search"],
    ["j / k", "next / previous row"],
    ["Enter", "open the selected row"],
    ["g o", "overview"],
    ["g k · g h · g s", "Kustomizations · HelmReleases · GitRepositories"],
    ["g r · g c", "HelmRepositories · HelmCharts"],
    ["g g · g t", "graph · trace"],
    ["g e · g n", "engine · notifications"],
    ["t", "switch light / dark theme"],
    ["?", "this list"],
    ["Esc", "close it"]
  ];

  var dialog;
  function showHelp() {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "keys-help";
      dialog.setAttribute("aria-label", "Keyboard shortcuts");
      var h = document.createElement("h2");
      h.textContent = "Keyboard shortcuts";
      dialog.appendChild(h);
      var dl = document.createElement("dl");
      help.forEach(function (e) {
        var dt = document.createElement("dt");
        e[0].split(" ").forEach(function (part) {
          if (part === "·" || part === "/") { dt.appendChild(document.createTextNode(" " + part + " ")); return; }
          var kbd = document.createElement("kbd");
          kbd.textContent = part;
          dt.appendChild(kbd);
        });
        var dd = document.createElement("dd");
        dd.textContent = e[1];
        dl.appendChild(dt);
        dl.appendChild(dd);
      });
      dialog.appendChild(dl);
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.addEventListener("click", function () { dialog.close(); });
      dialog.appendChild(close);
      document.body.appendChild(dialog);
    }
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  // Row selection in the page's first table of rows; kept across live
  // refreshes by its index.
  var selected = -1;
  function rows() {
    var t = document.querySelector("main table.rows tbody");
    return t ? Array.prototype.slice.call(t.rows) : [];
  }
  function select(i) {
    var rs = rows();
    if (!rs.length) return;
    if (i < 0) i = 0;
    if (i >= rs.length) i = rs.length - 1;
    rs.forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    selected = i;
    rs[i].classList.add("selected");
    rs[i].setAttribute("aria-selected", "true");
    rs[i].scrollIntoView({ block: "nearest" });
  }
  function openSelected() {
    var rs = rows();
    if (selected < 0 || selected >= rs.length) return false;
    var a = rs[selected].querySelector("a[href]");
    if (!a) return false;
    location.href = a.href;
    return true;
  }

  function typing(e) {
    var t = e.target;
    return t && (/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) || t.isContentEditable);
  }

  var pendingG = false, gTimer;
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    var k = e.key;
    if (pendingG) {
      pendingG = false;
      clearTimeout(gTimer);
      if (jumps[k]) { e.preventDefault(); location.href = jumps[k]; }
      return;
    }
    switch (k) {
      case "/": {
        var q = document.getElementById("q");
        if (q) { e.preventDefault(); q.focus(); q.select(); }
        break;
      }
      case "?": e.preventDefault(); showHelp(); break;
      case "g": pendingG = true; gTimer = setTimeout(function () { pendingG = false; }, 1500); break;
      case "j": e.preventDefault(); select(selected + 1); break;
      case "k": e.preventDefault(); select(selected < 0 ? 0 : selected - 1); break;
      case "Enter": if (openSelected()) e.preventDefault(); break;
      case "t": e.preventDefault(); toggleTheme(); break;
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var top = document.querySelector("header.top");
    if (top) {
      themeButton = document.createElement("button");
      themeButton.type = "button";
      themeButton.className = "theme";
      themeButton.title = "Switch the theme (t); ? lists the shortcuts";
      themeButton.addEventListener("click", toggleTheme);
      top.appendChild(themeButton);
      label();
    }
    var main = document.getElementById("main");
    if (main && window.MutationObserver) {
      new MutationObserver(function () { if (selected >= 0) select(selected); })
        .observe(main, { childList: true });
    }
  });
})();
