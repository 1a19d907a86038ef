"use strict";
// Region maps drawn as SVG from packaged GeoJSON (equirectangular, scaled by cos(latitude)),
// with a tile fallback when no packaged boundaries match the run's regions.

const RegionMap = (() => {
  const NS = "http://www.w3.org/2000/svg";

  // a sequential palette (light yellow -> dark red) and a diverging one for differences
  const SEQ = [[255, 255, 204], [254, 217, 118], [253, 141, 60], [227, 26, 28], [128, 0, 38]];
  const DIV = [[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]];

  function interp(stops, f) {
    f = Math.max(0, Math.min(1, f));
    const p = f * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(p)), t = p - i;
    const a = stops[i], b = stops[i + 1];
    return `rgb(${Math.round(a[0] + (b[0] - a[0]) * t)},${Math.round(a[1] + (b[1] - a[1]) * t)},${Math.round(a[2] + (b[2] - a[2]) * t)})`;
  }

  function color(v, lo, hi) {
    if (v === null || v === undefined || !isFinite(v)) return "#ddd";
    if (lo < 0 && hi > 0) {  // diverging around zero
      const m = Math.max(-lo, hi);
      return interp(DIV, (v / m + 1) / 2);
    }
    return interp(SEQ, hi > lo ? (v - lo) / (hi - lo) : 0);
  }

  function gradient(lo, hi) {
    const stops = (lo < 0 && hi > 0) ? DIV : SEQ;
    return "linear-gradient(to right," + stops.map(s => `rgb(${s})`).join(",") + ")";
  }

  class Map {
    constructor(el, onSelect) {
      this.el = el;
      this.onSelect = onSelect;
      this.paths = {};   // region code -> [svg path]
      this.tiles = {};
      this.names = {};
      this.selected = null;
    }

    setRegions(regions, geo) {
      this.el.innerHTML = "";
      this.paths = {}; this.tiles = {}; this.names = {};
      this.regions = regions;
      const matched = geo ? new Set(geo.matched) : new Set();
      if (geo && geo.matched.length) this.drawGeo(geo);
      const missing = regions.filter(r => !matched.has(r));
      if (missing.length) this.drawTiles(missing, geo ? "not on the map:" : "");
    }

    drawGeo(geo) {
      const feats = geo.geojson.features.filter(f => geo.matched.includes(f.properties[geo.property]));
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      const each = (g, fn) => {
        const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
        for (const poly of polys) for (const ring of poly) fn(ring);
      };
      for (const f of feats) each(f.geometry, ring => {
        for (const [x, y] of ring) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      });
      const k = Math.cos((y0 + y1) / 2 * Math.PI / 180);
      const W = 1000, sx = W / ((x1 - x0) * k), H = Math.round((y1 - y0) * sx);
      const svg = document.createElementNS(NS, "svg");
      svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
      svg.setAttribute("role", "img");
      for (const f of feats) {
        const code = f.properties[geo.property];
        const name = f.properties.name_en || f.properties.name || code;
        this.names[code] = name;
        let d = "";
        each(f.geometry, ring => {
          d += "M" + ring.map(([x, y]) => `${((x - x0) * k * sx).toFixed(1)},${((y1 - y) * sx).toFixed(1)}`).join("L") + "Z";
        });
        const p = document.createElementNS(NS, "path");
        p.setAttribute("d", d);
        p.setAttribute("data-region", code);
        p.setAttribute("fill", "#ddd");
        const title = document.createElementNS(NS, "title");
        title.textContent = name;
        p.appendChild(title);
        p.addEventListener("click", () => this.select(code));
        svg.appendChild(p);
        (this.paths[code] = this.paths[code] || []).push(p);
      }
      this.el.appendChild(svg);
    }

    drawTiles(regions, caption) {
      const box = document.createElement("div");
      if (caption) { const c = document.createElement("div"); c.className = "hint"; c.textContent = caption; box.appendChild(c); }
      const grid = document.createElement("div"); grid.className = "tiles";
      for (const r of regions) {
        const t = document.createElement("div");
        t.className = "tile"; t.dataset.region = r; t.textContent = r;
        t.addEventListener("click", () => this.select(r));
        grid.appendChild(t); this.tiles[r] = t; this.names[r] = r;
      }
      box.appendChild(grid); this.el.appendChild(box);
    }

    select(code) {
      this.selected = code;
      for (const [c, ps] of Object.entries(this.paths)) for (const p of ps) p.classList.toggle("selected", c === code);
      for (const [c, t] of Object.entries(this.tiles)) t.style.outline = c === code ? "2px solid #111" : "";
      if (this.onSelect) this.onSelect(code);
    }

    // values: {code: number}; lo/hi: colour range; fmt: value -> text
    paint(values, lo, hi, fmt, label) {
      for (const [code, ps] of Object.entries(this.paths)) {
        const v = values[code];
        for (const p of ps) {
          p.setAttribute("fill", color(v, lo, hi));
          p.firstChild.textContent = `${this.names[code]} (${code}): ${label} ${fmt(v)}`;
          p.dataset.value = v === null || v === undefined ? "" : String(v);
        }
      }
      for (const [code, t] of Object.entries(this.tiles)) {
        const v = values[code];
        t.style.background = color(v, lo, hi);
        t.title = `${code}: ${label} ${fmt(v)}`;
        t.textContent = `${code} ${fmt(v)}`;
        t.dataset.value = v === null || v === undefined ? "" : String(v);
      }
    }
  }

  return { Map, color, gradient };
})();
