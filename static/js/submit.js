// Region picker (province → city → county → township) and the anonymous toggle.
(function () {
  "use strict";
  var picker = document.querySelector(".region-picker");
  var hidden = document.getElementById("region_code");
  var selects = picker ? Array.prototype.slice.call(picker.querySelectorAll("select")) : [];
  var isEn = document.documentElement.lang === "en";
  var placeholder = isEn ? "Select…" : "请选择";

  function fill(select, rows, chosen) {
    select.innerHTML = "";
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = placeholder;
    select.appendChild(blank);
    rows.forEach(function (r) {
      var opt = document.createElement("option");
      opt.value = r.code;
      opt.textContent = r.name;
      opt.dataset.children = r.has_children ? "1" : "";
      if (chosen && chosen === r.code) { opt.selected = true; }
      select.appendChild(opt);
    });
    select.hidden = rows.length === 0;
  }

  function load(level, parent, chosenPath) {
    var url = picker.dataset.api + (parent ? "?parent=" + encodeURIComponent(parent) : "");
    return fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (rows) {
        var select = selects[level - 1];
        var chosen = chosenPath[level - 1];
        if (!chosen && level === 1 && rows.length === 1) { chosen = rows[0].code; }
        fill(select, rows, chosen);
        if (chosen) { return onChange(level, chosenPath); }
        return null;
      });
  }

  function onChange(level, chosenPath) {
    var select = selects[level - 1];
    for (var i = level; i < selects.length; i++) { selects[i].hidden = true; selects[i].innerHTML = ""; }
    var opt = select.options[select.selectedIndex];
    var before = hidden.value;
    hidden.value = select.value || (level > 1 ? selects[level - 2].value : "");
    // A script's assignment fires no event: tell listeners (the similar-petitions hint).
    if (hidden.value !== before) { hidden.dispatchEvent(new Event("change", { bubbles: true })); }
    if (select.value && opt && opt.dataset.children && level < selects.length) {
      return load(level + 1, select.value, chosenPath || []);
    }
    return null;
  }

  function pathOf(code) {
    if (!code) { return []; }
    var p = [code.slice(0, 2) + "0000"];
    if (code.length >= 6 && code.slice(2, 4) !== "00") { p.push(code.slice(0, 4) + "00"); }
    if (code.length >= 6 && code.slice(4, 6) !== "00") { p.push(code.slice(0, 6)); }
    if (code.length > 6) { p.push(code); }
    return p;
  }

  if (picker) {
    selects.forEach(function (s, idx) {
      s.addEventListener("change", function () { onChange(idx + 1, []); });
    });
    load(1, "", pathOf(hidden.value));
  }

  var anon = document.getElementById("anonymous");
  var identity = document.getElementById("identity");
  function toggle() { if (identity) { identity.hidden = anon.checked; } }
  if (anon) { anon.addEventListener("change", toggle); toggle(); }

  var form = document.getElementById("petition-form");
  var btn = document.getElementById("submit-btn");
  if (form && btn) {
    form.addEventListener("submit", function () { btn.disabled = true; });
    // Coming back to the form (Back button, page restored from the back/forward cache)
    // must not leave the button disabled from the earlier submission.
    window.addEventListener("pageshow", function () { btn.disabled = false; });
  }
})();
