// Election-day refresh: fetch the unit's live.json every minute and update the counters and
// the turnout curve in place. No library; without JavaScript the page simply shows the figures
// as rendered (reload to refresh). Also submits the region/district/station selectors on change.
(function () {
  "use strict";
  document.querySelectorAll("form.pick select").forEach(function (select) {
    select.addEventListener("change", function () { if (select.value) select.form.submit(); });
  });
  var root = document.querySelector("[data-live]");
  if (!root || !window.fetch) return;
  var url = root.getAttribute("data-live");
  var every = parseInt(root.getAttribute("data-every") || "60", 10) * 1000;
  var fmt = new Intl.NumberFormat(document.documentElement.lang || undefined);
  function redraw(curve) {
    var svg = document.querySelector("svg.curve");
    if (!svg || !curve || !curve.hours) return;
    var peak = parseFloat(svg.getAttribute("data-peak")) || 1;
    var box = svg.viewBox.baseVal, left = 34, right = 8, top = 8, bottom = 20;
    var w = box.width - left - right, h = box.height - top - bottom, n = curve.hours.length;
    ["observer", "commission"].forEach(function (key) {
      var line = svg.querySelector('polyline[data-series="' + key + '"]');
      if (!line || !curve[key]) return;
      var pts = [];
      curve[key].forEach(function (v, i) {
        if (v === null) return;
        pts.push((left + w * i / Math.max(n - 1, 1)).toFixed(1) + "," +
                 (top + h - h * Math.min(v / peak, 1)).toFixed(1));
      });
      line.setAttribute("points", pts.join(" "));
    });
  }
  function tick() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        // the server's own formatting (the page's language and clock), never the browser's
        var texts = data.counters_text || {};
        Object.keys(data.counters).forEach(function (key) {
          var el = root.querySelector('[data-counter="' + key + '"]');
          if (el) el.textContent = key in texts ? texts[key] : fmt.format(data.counters[key]);
        });
        var stamp = document.querySelector("[data-updated]");
        if (stamp && data.computed_at_text) {
          stamp.textContent = data.computed_at_text;
          stamp.setAttribute("datetime", data.computed_at);
        }
        redraw(data.curve);
      })
      .catch(function () { /* offline: keep the figures shown */ });
  }
  setInterval(tick, every);
})();
