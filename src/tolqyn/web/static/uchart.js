"use strict";
// Interactive line charts on uPlot (vendored in vendor/uplot, MIT): hover shows every series'
// value at the day under the pointer, drag across the plot to zoom in (double-click zooms out),
// PNG and CSV buttons export what the chart shows, and scheduled events are shaded bands over
// the day they act on, labelled where there is room (all of them are in the event log).
// Replaces Charts.line with the same call, so the pages keep one chart interface; the
// canvas passed in stays in the page (hidden) and carries data-series / data-points.

(() => {
  if (typeof uPlot === "undefined") return; // without the library the canvas charts remain
  const state = new WeakMap();

  function toolbar(st, canvas) {
    const bar = document.createElement("div");
    bar.className = "uchart-tools";
    const mk = (text, title, fn) => {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = text; b.title = title; b.className = "uchart-" + text.toLowerCase();
      b.addEventListener("click", fn);
      bar.append(b);
    };
    mk("PNG", "save this chart as an image", () => download(st, "png"));
    mk("CSV", "save the series of this chart as a table", () => download(st, "csv"));
    mk("Reset", "zoom out to the whole run (or double-click the chart)", () => { st.zoomed = false; render(canvas, st.opts); });
    return bar;
  }

  function filename(st, ext) {
    return ((st.opts && st.opts.title) || "chart").replace(/[^\w.-]+/g, "_").slice(0, 60) + "." + ext;
  }

  function csvText(st) {
    const [xs, ...ys] = st.data;
    const names = st.labels.map(l => '"' + String(l).replace(/"/g, '""') + '"');
    const rows = ["step,date," + names.join(",")];
    xs.forEach((x, i) => {
      const d = st.opts.dates ? (st.opts.dates[Math.round(x)] || "") : "";
      rows.push([x, d, ...ys.map(y => (y[i] === null || y[i] === undefined ? "" : y[i]))].join(","));
    });
    return rows.join("\n") + "\n";
  }

  function download(st, kind) {
    const a = document.createElement("a");
    if (kind === "png") a.href = st.plot.ctx.canvas.toDataURL("image/png");
    else a.href = URL.createObjectURL(new Blob([csvText(st)], { type: "text/csv" }));
    a.download = filename(st, kind);
    document.body.append(a); a.click(); a.remove();
  }

  function drawEvents(u, st) {
    const { ctx } = u, { left, top, width, height } = u.bbox;
    const events = (st.opts.events || []);
    const [xmin, xmax] = [u.scales.x.min, u.scales.x.max];
    ctx.save();
    ctx.beginPath(); ctx.rect(left, top, width, height); ctx.clip();
    let lastLabel = -1e9, row = 0;
    const dpr = devicePixelRatio || 1;
    ctx.font = `${10 * dpr}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    // one band per step with events, however many act on it; labels joined
    const bySteps = new Map();
    for (const ev of events) {
      if (ev.x < xmin - 1 || ev.x > xmax) continue;
      const b = bySteps.get(ev.x) || { x: ev.x, labels: [], pending: true };
      b.labels.push(String(ev.label));
      b.pending = b.pending && !!ev.pending;
      bySteps.set(ev.x, b);
    }
    for (const b of [...bySteps.values()].sort((p, q) => p.x - q.x)) {
      // the events act during their step: the band covers (x - 1, x]
      const x0 = u.valToPos(Math.max(b.x - 1, xmin), "x", true), x1 = u.valToPos(b.x, "x", true);
      ctx.fillStyle = b.pending ? "rgba(224,138,30,0.07)" : "rgba(224,138,30,0.18)";
      ctx.fillRect(x0, top, Math.max(x1 - x0, 2 * dpr), height);
      if (x0 - lastLabel > 120 * dpr) { row = 0; lastLabel = x0; }
      else if (row < 2) row += 1;
      else continue;
      const text = b.labels[0].slice(0, 15) + (b.labels.length > 1 ? ` +${b.labels.length - 1}` : "");
      ctx.fillStyle = b.pending ? "rgba(138,98,0,0.5)" : "#8a6200";
      ctx.fillText(text, x0 + 2 * dpr, top + 2 * dpr + row * 11 * dpr);
    }
    if (st.opts.cursor !== undefined && st.opts.cursor !== null) {
      const px = u.valToPos(st.opts.cursor, "x", true);
      ctx.strokeStyle = "rgba(0,0,0,.3)"; ctx.lineWidth = dpr;
      ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, top + height); ctx.stroke();
    }
    ctx.restore();
  }

  function render(canvas, opts) {
    let st = state.get(canvas);
    if (!st) {
      const wrap = document.createElement("div");
      wrap.className = "uchart";
      wrap.dataset.for = canvas.id || "";
      canvas.style.display = "none";
      canvas.after(wrap);
      st = { wrap, plot: null, key: "", zoomed: false };
      wrap.append(toolbar(st, canvas));
      state.set(canvas, st);
    }
    st.opts = opts;
    const series = (opts.series || []).filter(s => s.points && s.points.length);
    const xsSet = new Set();
    for (const s of series) for (const [x] of s.points) xsSet.add(x);
    const xs = [...xsSet].sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const ys = series.map(s => {
      const y = new Array(xs.length).fill(null);
      for (const [x, v] of s.points) y[at.get(x)] = (v === null || !isFinite(v)) ? null : v;
      return y;
    });
    st.data = [xs, ...ys];
    st.labels = series.map(s => s.label);
    canvas.dataset.series = String(series.length);
    canvas.dataset.points = String(series.reduce((a, s) => a + s.points.length, 0));
    const xfmt = opts.xfmt || (x => String(x));
    const hoverX = x => (x === null || x === undefined) ? "" :
      (opts.dates ? (opts.dates[Math.round(x)] || xfmt(x)) : xfmt(x));
    const full = [opts.xmin ?? 0, Math.max(opts.xmax ?? (xs.length ? xs[xs.length - 1] : 1), (opts.xmin ?? 0) + 1)];
    st.full = full;
    const key = (opts.title || "") + "|" + series.map(s => s.label + (s.dash ? "-" : "")).join("|");
    const width = Math.max(240, st.wrap.clientWidth || canvas.parentElement.clientWidth || 400);
    const height = Math.max(150, (canvas.clientHeight || parseInt(getComputedStyle(canvas).height) || 200) - 10);
    if (!st.plot || st.key !== key || Math.abs(st.plot.width - width) > 4) {
      if (st.plot) st.plot.destroy();
      st.plot = new uPlot({
        title: opts.title || "",
        width, height,
        padding: [null, opts.dates ? 36 : null, null, null],  // room for the last date label
        scales: {
          x: { time: false, auto: false },
          y: { range: (u, lo, hi) => {
            if (lo === null || hi === null) return [0, 1];
            const l = opts.noZero === false || lo < 0 ? lo : Math.min(0, lo);
            return [l, hi > l ? hi + (hi - l) * 0.05 : l + 1];
          } },
        },
        axes: [
          { values: (u, vals) => vals.map(v => Number.isInteger(v) ? xfmt(v) : ""), space: opts.dates ? 90 : 50 },
          { values: (u, vals) => vals.map(v => Charts.fmt(v)), size: 62 },
        ],
        series: [
          { label: opts.dates ? "day" : "step", value: (u, v) => hoverX(v) },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: s.color || Charts.PALETTE[i % Charts.PALETTE.length],
            width: s.width || 1.6,
            dash: s.dash ? [6, 4] : undefined,
            value: (u, v) => Charts.fmt(v),
            spanGaps: false,
            points: { show: false },
          })),
        ],
        cursor: { drag: { x: true, y: false, setScale: true } },
        legend: { live: true },
        hooks: {
          drawAxes: [u => drawEvents(u, st)],
          setScale: [(u, k) => {
            if (k !== "x") return;
            const [a, b] = st.full;
            st.zoomed = u.scales.x.min > a + 1e-9 || u.scales.x.max < b - 1e-9;
            st.wrap.dataset.zoomed = st.zoomed ? "1" : "0";
          }],
        },
      }, st.data, st.wrap);
      st.plot.over.addEventListener("dblclick", () => { st.zoomed = false; render(canvas, st.opts); });
      st.key = key;
      st.zoomed = false;
    } else {
      st.plot.setData(st.data, false);
    }
    if (!st.zoomed) st.plot.setScale("x", { min: full[0], max: full[1] });
    else st.plot.redraw(false);
    st.wrap.dataset.zoomed = st.zoomed ? "1" : "0";
  }

  Charts.line = render;
  Charts.interactive = true;
})();
