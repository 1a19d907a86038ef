"use strict";
// Small canvas charts: line charts with event markers, bar charts, histograms.
// No dependencies; drawn at the device pixel ratio so they stay sharp.

const Charts = (() => {
  const PALETTE = ["#2f6fde", "#e0322d", "#222222", "#2a9d5b", "#9b59b6", "#e08a1e", "#19a3b6", "#8c564b"];

  function niceStep(span, n) {
    if (!(span > 0)) return 1;
    const raw = span / Math.max(n, 1);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / p;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
  }

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(a >= 1e5 ? 0 : 1) + "k";
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return v.toFixed(a >= 10 ? 1 : 2);
    if (a === 0) return "0";
    return v.toPrecision(2);
  }

  function setup(canvas) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 400, h = canvas.clientHeight || 200;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "left"; ctx.textBaseline = "alphabetic"; ctx.setLineDash([]); ctx.lineWidth = 1;
    return { ctx, w, h };
  }

  // opts: {title, series: [{label, color, dash, points: [[x, y], ...]}],
  //        events: [{x, label, color, pending}], xmin, xmax, xfmt(x), cursor}
  function line(canvas, opts) {
    const { ctx, w, h } = setup(canvas);
    const m = { l: 46, r: 18, t: 30, b: 22 };
    const series = (opts.series || []).filter(s => s.points && s.points.length);
    let xmin = opts.xmin ?? 0, xmax = opts.xmax ?? 1;
    let ymin = Infinity, ymax = -Infinity;
    for (const s of series) for (const [x, y] of s.points) {
      if (y === null || !isFinite(y)) continue;
      if (y < ymin) ymin = y;
      if (y > ymax) ymax = y;
      if (opts.xmax === undefined && x > xmax) xmax = x;
    }
    if (!isFinite(ymin)) { ymin = 0; ymax = 1; }
    if (ymin > 0 && !opts.noZero) ymin = 0;
    if (ymax === ymin) ymax = ymin + (Math.abs(ymin) || 1);
    const ystep = niceStep(ymax - ymin, 4);
    ymax = Math.ceil(ymax / ystep - 1e-9) * ystep;
    ymin = Math.floor(ymin / ystep + 1e-9) * ystep;
    if (xmax <= xmin) xmax = xmin + 1;
    const X = x => m.l + (x - xmin) / (xmax - xmin) * (w - m.l - m.r);
    const Y = y => h - m.b - (y - ymin) / (ymax - ymin) * (h - m.t - m.b);

    // title
    ctx.fillStyle = "#222"; ctx.font = "600 12px system-ui, sans-serif";
    ctx.fillText(opts.title || "", m.l, 12);
    ctx.font = "11px system-ui, sans-serif";
    // grid and axes
    ctx.strokeStyle = "#e6e6e6"; ctx.fillStyle = "#666"; ctx.lineWidth = 1;
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (let y = ymin; y <= ymax + ystep / 2; y += ystep) {
      ctx.beginPath(); ctx.moveTo(m.l, Y(y) + .5); ctx.lineTo(w - m.r, Y(y) + .5); ctx.stroke();
      ctx.fillText(fmt(y), m.l - 4, Y(y));
    }
    const xstep = Math.max(1, niceStep(xmax - xmin, Math.max(2, Math.floor((w - m.l) / 70))));
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (let x = Math.ceil(xmin / xstep) * xstep; x <= xmax; x += xstep) {
      ctx.fillText(opts.xfmt ? opts.xfmt(x) : (Number.isInteger(x) ? String(x) : fmt(x)), X(x), h - m.b + 4);
    }
    ctx.strokeStyle = "#999";
    ctx.beginPath(); ctx.moveTo(m.l, m.t); ctx.lineTo(m.l, h - m.b); ctx.lineTo(w - m.r, h - m.b); ctx.stroke();

    // events: vertical lines with short labels
    ctx.save();
    ctx.textAlign = "left"; ctx.textBaseline = "top";
    let lastLabelX = -1e9, row = 0;
    for (const ev of (opts.events || [])) {
      if (ev.x < xmin || ev.x > xmax) continue;
      const px = Math.round(X(ev.x)) + .5;
      ctx.strokeStyle = ev.color || "#b07d00";
      ctx.globalAlpha = ev.pending ? .35 : .85;
      ctx.setLineDash([3, 3]);
      ctx.beginPath(); ctx.moveTo(px, m.t); ctx.lineTo(px, h - m.b); ctx.stroke();
      ctx.setLineDash([]);
      row = (px - lastLabelX < 70) ? (row + 1) % 3 : 0;
      lastLabelX = px;
      ctx.fillStyle = ev.color || "#8a6200";
      ctx.fillText(String(ev.label).slice(0, 22), px + 2, m.t + 1 + row * 11);
    }
    ctx.restore();

    // day cursor
    if (opts.cursor !== undefined && opts.cursor !== null) {
      ctx.strokeStyle = "rgba(0,0,0,.25)"; ctx.lineWidth = 1;
      const px = Math.round(X(opts.cursor)) + .5;
      ctx.beginPath(); ctx.moveTo(px, m.t); ctx.lineTo(px, h - m.b); ctx.stroke();
    }

    // series
    ctx.save();
    ctx.beginPath(); ctx.rect(m.l, m.t - 2, w - m.l - m.r, h - m.t - m.b + 4); ctx.clip();
    series.forEach((s, i) => {
      ctx.strokeStyle = s.color || PALETTE[i % PALETTE.length];
      ctx.lineWidth = s.width || 1.6;
      ctx.setLineDash(s.dash ? [6, 4] : []);
      ctx.beginPath();
      let pen = false;
      for (const [x, y] of s.points) {
        if (y === null || !isFinite(y)) { pen = false; continue; }
        if (pen) ctx.lineTo(X(x), Y(y)); else { ctx.moveTo(X(x), Y(y)); pen = true; }
      }
      ctx.stroke();
    });
    ctx.restore();
    ctx.setLineDash([]);

    // legend (top right)
    let lx = w - m.r;
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (let i = series.length - 1; i >= 0; i--) {
      const s = series[i];
      if (s.noLegend) continue;
      const tw = ctx.measureText(s.label).width;
      ctx.fillStyle = "#333"; ctx.fillText(s.label, lx, 22);
      lx -= tw + 4;
      ctx.strokeStyle = s.color || PALETTE[i % PALETTE.length]; ctx.lineWidth = 2;
      ctx.setLineDash(s.dash ? [4, 3] : []);
      ctx.beginPath(); ctx.moveTo(lx - 14, 22); ctx.lineTo(lx, 22); ctx.stroke();
      ctx.setLineDash([]);
      lx -= 22;
    }
    canvas.dataset.series = String(series.length);
    canvas.dataset.points = String(series.reduce((a, s) => a + s.points.length, 0));
  }

  // bars: [{label, value, err, color}]
  function bars(canvas, opts) {
    const { ctx, w, h } = setup(canvas);
    const items = opts.bars || [];
    const m = { l: 46, r: 10, t: 24, b: 40 };
    ctx.fillStyle = "#222"; ctx.font = "600 12px system-ui, sans-serif";
    ctx.fillText(opts.title || "", m.l, 12);
    ctx.font = "11px system-ui, sans-serif";
    let ymax = 0, ymin = 0;
    for (const b of items) {
      ymax = Math.max(ymax, b.value + (b.err || 0));
      ymin = Math.min(ymin, b.value - (b.err || 0));
    }
    if (ymax === ymin) ymax = ymin + 1;
    const st = niceStep(ymax - ymin, 4);
    ymax = Math.ceil(ymax / st) * st; ymin = Math.floor(ymin / st) * st;
    const Y = y => h - m.b - (y - ymin) / (ymax - ymin) * (h - m.t - m.b);
    ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillStyle = "#666"; ctx.strokeStyle = "#e6e6e6";
    for (let y = ymin; y <= ymax + st / 2; y += st) {
      ctx.beginPath(); ctx.moveTo(m.l, Y(y) + .5); ctx.lineTo(w - m.r, Y(y) + .5); ctx.stroke();
      ctx.fillText(fmt(y), m.l - 4, Y(y));
    }
    const groups = opts.groups || 1;
    const bw = (w - m.l - m.r) / Math.max(items.length, 1);
    items.forEach((b, i) => {
      const x0 = m.l + i * bw + bw * .15, bwid = bw * .7;
      ctx.fillStyle = b.color || PALETTE[(b.group || 0) % PALETTE.length];
      const y0 = Y(Math.max(0, b.value)), y1 = Y(Math.min(0, b.value));
      ctx.fillRect(x0, y0, bwid, Math.max(1, y1 - y0));
      if (b.err) {
        ctx.strokeStyle = "#333";
        ctx.beginPath(); ctx.moveTo(x0 + bwid / 2, Y(b.value - b.err)); ctx.lineTo(x0 + bwid / 2, Y(b.value + b.err)); ctx.stroke();
      }
      if (b.label) {
        ctx.save(); ctx.translate(x0 + bwid / 2, h - m.b + 4); ctx.rotate(-Math.PI / 6);
        ctx.textAlign = "right"; ctx.textBaseline = "top"; ctx.fillStyle = "#333";
        ctx.fillText(String(b.label).slice(0, 18), 0, 0); ctx.restore();
      }
    });
    if (opts.legend) {
      ctx.textAlign = "right"; let lx = w - m.r;
      for (let i = opts.legend.length - 1; i >= 0; i--) {
        const t = opts.legend[i]; const tw = ctx.measureText(t).width;
        ctx.fillStyle = "#333"; ctx.fillText(t, lx, 12); lx -= tw + 4;
        ctx.fillStyle = PALETTE[i % PALETTE.length]; ctx.fillRect(lx - 10, 8, 10, 8); lx -= 18;
      }
    }
    canvas.dataset.series = String(groups);
    canvas.dataset.points = String(items.length);
  }

  function histogram(canvas, values, opts) {
    const v = values.filter(x => x !== null && isFinite(x));
    if (!v.length) return bars(canvas, { title: opts.title, bars: [] });
    let lo = Math.min(...v), hi = Math.max(...v);
    if (opts.low !== undefined && opts.low !== null) lo = Math.min(lo, opts.low);
    if (opts.high !== undefined && opts.high !== null) hi = Math.max(hi, opts.high);
    if (hi === lo) hi = lo + 1;
    const nb = Math.min(30, Math.max(5, Math.round(Math.sqrt(v.length))));
    const counts = new Array(nb).fill(0);
    for (const x of v) counts[Math.min(nb - 1, Math.floor((x - lo) / (hi - lo) * nb))]++;
    const items = counts.map((c, i) => ({
      value: c / v.length, label: (i % Math.ceil(nb / 6) === 0) ? fmt(lo + i * (hi - lo) / nb) : ""
    }));
    bars(canvas, { title: opts.title, bars: items });
  }

  return { line, bars, histogram, fmt, PALETTE };
})();
