/*
 * Chart.js glue for the assessment pages (static/vendor/chartjs/chart.umd.min.js, never a CDN).
 *
 * A chart is a <canvas data-chart="ID"> next to {{ data|json_script:"ID" }}; the JSON says what to draw:
 *   { "type": "bar" | "line" | "doughnut",
 *     "labels": [...],
 *     "datasets": [{ "label": "...", "data": [...], "color": 0, "target": false, "type": "line"? }],
 *     "unit": "家" | "万元", "horizontal": false, "stacked": false }
 * "color" indexes the palette (datasets that belong together share one); "target": true draws the
 * dataset pale with a solid border, so a target stands beside its actual value in the same hue.
 * Every chart on the page has its numbers in a table as well: the chart is a picture of that table.
 *
 * Charts are drawn on page load, and after an htmx swap for the canvases the swap brought in (the
 * dashboard reloads its numbers after a rollup).
 */
(function () {
  "use strict";

  var PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d", "#0dcaf0"];

  function rgba(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + ((n >> 16) & 255) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function formatNumber(value, unit) {
    if (value === null || value === undefined) return "—";
    var digits = unit === "万元" ? 2 : Number.isInteger(value) ? 0 : 1;
    return Number(value).toLocaleString("zh-CN", {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  }

  function dataset(spec, index, type) {
    var color = PALETTE[(spec.color === undefined ? index : spec.color) % PALETTE.length];
    var ds = { label: spec.label, data: spec.data };
    if (spec.type) ds.type = spec.type;
    var kind = spec.type || type;
    if (kind === "doughnut") {
      ds.backgroundColor = spec.data.map(function (_v, i) {
        return PALETTE[i % PALETTE.length];
      });
      ds.borderWidth = 1;
    } else if (kind === "line") {
      ds.borderColor = color;
      ds.backgroundColor = rgba(color, 0.15);
      ds.pointRadius = 3;
      ds.tension = 0.2;
      ds.borderDash = spec.target ? [6, 4] : [];
      ds.fill = false;
    } else {
      ds.backgroundColor = spec.target ? rgba(color, 0.22) : rgba(color, 0.85);
      ds.borderColor = color;
      ds.borderWidth = spec.target ? 1.5 : 0;
      ds.maxBarThickness = 28;
    }
    return ds;
  }

  function config(spec) {
    var type = spec.type || "bar";
    var unit = spec.unit || "";
    var axis = spec.horizontal ? "y" : "x";
    var valueAxis = spec.horizontal ? "x" : "y";
    var cfg = {
      type: type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d, i) {
          return dataset(d, i, type);
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { position: type === "doughnut" ? "right" : "top", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var raw = ctx.raw;
                return (ctx.dataset.label ? ctx.dataset.label + "：" : "") + formatNumber(raw, unit) + " " + unit;
              },
            },
          },
        },
      },
    };
    if (type !== "doughnut") {
      cfg.options.indexAxis = axis;
      cfg.options.scales = {};
      cfg.options.scales[axis] = { stacked: !!spec.stacked, ticks: { autoSkip: false } };
      cfg.options.scales[valueAxis] = {
        stacked: !!spec.stacked,
        beginAtZero: true,
        title: { display: !!unit, text: unit },
        ticks: { precision: unit === "万元" ? undefined : 0 },
      };
    }
    return cfg;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var existing = Chart.getChart(canvas);
    if (existing) existing.destroy();
    new Chart(canvas, config(spec));
    canvas.setAttribute("data-drawn", "1");
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (typeof Chart !== "undefined") {
    Chart.defaults.font.family =
      '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", system-ui, sans-serif';
    Chart.defaults.font.size = 12;
  }
  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
  });
  document.addEventListener("htmx:afterSettle", function () {
    // Only canvases that are new (swapped in): the progress bar's polling must not redraw the rest.
    document.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach(draw);
  });
  window.portalCharts = { drawAll: drawAll };
})();
