/* Dashboards: draws the charts from the figures the page embeds (json_script "analytics-data"),
   so no request leaves the page. Every label arrives translated from the server; a click on a
   bar opens the cases behind it, like the links in the tables under each chart. */
(function () {
  "use strict";

  var PALETTE = ["#1f3a5f", "#3b7dd8", "#2e9d6b", "#e0a526", "#c2452d", "#7a4fb5",
    "#3fb1c4", "#8c6d31", "#d45a9a", "#5b6b7a", "#9bbb59"];

  function go(url) {
    if (url) { window.location.href = url; }
  }

  function volumeOption(spec) {
    var series = spec.series.map(function (s) {
      return { name: s.name, type: "bar", stack: "volume", emphasis: { focus: "series" },
        data: s.data };
    });
    series.push({ name: spec.share.name, type: "line", yAxisIndex: 1, smooth: false,
      symbolSize: 6, lineStyle: { width: 3, color: "#c2452d" }, itemStyle: { color: "#c2452d" },
      data: spec.share.data, tooltip: { valueFormatter: function (v) {
        return v === null || v === undefined ? "—" : v + "%";
      } } });
    return {
      color: PALETTE,
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { type: "scroll", top: 0 },
      grid: { left: 48, right: 52, top: 40, bottom: 28 },
      xAxis: { type: "category", data: spec.buckets },
      yAxis: [
        { type: "value", name: spec.axis, minInterval: 1 },
        { type: "value", name: spec.share.name, min: 0, max: 100,
          axisLabel: { formatter: "{value}%" }, splitLine: { show: false } }
      ],
      series: series
    };
  }

  function barsOption(spec) {
    // Horizontal bars, largest on top; the labels are long Chinese names.
    var names = spec.labels.slice().reverse();
    var values = spec.values.slice().reverse();
    return {
      color: [spec.color || "#1f3a5f"],
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: names, axisLabel: { width: 140, overflow: "truncate" } },
      series: [{ name: spec.name, type: "bar", data: values, label: { show: true, position: "right" } }]
    };
  }

  function linkFor(spec, params) {
    if (!spec.links) { return ""; }
    if (spec.kind === "volume") {
      var row = spec.links[params.seriesIndex];
      return row ? row[params.dataIndex] : "";
    }
    // Bars are drawn reversed (largest on top).
    return spec.links[spec.links.length - 1 - params.dataIndex] || "";
  }

  function draw(node, spec) {
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    chart.setOption(spec.kind === "volume" ? volumeOption(spec) : barsOption(spec));
    chart.on("click", function (params) { go(linkFor(spec, params)); });
    node.setAttribute("data-rendered", "true");
    return chart;
  }

  function init() {
    var source = document.getElementById("analytics-data");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var spec = data.charts[node.getAttribute("data-chart")];
      if (spec) { charts.push(draw(node, spec)); }
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
    // The period picker shows only the fields of the kind chosen.
    var kind = document.getElementById("id_period");
    if (kind) {
      var sync = function () {
        document.querySelectorAll("[data-period-field]").forEach(function (label) {
          var shown = label.getAttribute("data-period-field").split(" ").indexOf(kind.value) >= 0;
          label.hidden = !shown;
        });
      };
      kind.addEventListener("change", sync);
      sync();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
