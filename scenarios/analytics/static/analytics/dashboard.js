// Draws the dashboard's charts from the figures the page embeds (no request of its own).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("analytics-chart-data");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var percent = ["ratio", "drop_off", "within", "breakdown"].indexOf(data.measure) >= 0;
    var trend = document.getElementById("trend-chart");
    if (trend) {
      var values = data.values.map(function (v) {
        return v === null ? null : (percent ? Math.round(v * 1000) / 10 : v);
      });
      trend.dataset.points = JSON.stringify(values);
      if (data.stack && data.stack.length) {
        // A count made of parts (held back's reasons): one stacked bar per day.
        trend.dataset.stack = JSON.stringify(data.stack.map(function (part) { return part.label; }));
        new Chart(trend, {
          type: "bar",
          data: { labels: data.days, datasets: data.stack.map(function (part) { return { label: part.label, data: part.values }; }) },
          options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
        });
      } else {
        new Chart(trend, {
          type: "line",
          data: { labels: data.days, datasets: [{ label: data.label + (percent ? " (%)" : ""), data: values, spanGaps: true, tension: 0.2 }] },
          options: { animation: false, scales: { y: { beginAtZero: true } } }
        });
      }
    }
    var bars = document.getElementById("kpi-chart");
    if (bars) {
      var rates = data.kpis.map(function (k) { return Math.round(k.value * 1000) / 10; });
      bars.dataset.points = JSON.stringify(rates);
      new Chart(bars, {
        type: "bar",
        data: { labels: data.kpis.map(function (k) { return k.name; }), datasets: [{ label: "%", data: rates, maxBarThickness: 28 }] },
        options: { animation: false, indexAxis: "y", scales: { x: { beginAtZero: true, max: 100 } } }
      });
    }
    document.getElementById("analytics").dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
