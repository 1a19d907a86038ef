"use strict";
// tolqyn dashboard: one WebSocket per page (the page's runs live and die with it),
// a RunPanel per view (country, classic) and an experiments browser.

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
};
const STATUS = ["quiet", "active", "jailed", "emigrated", "dead"];
const STATUS_COLORS = { quiet: "#2f6fde", active: "#e0322d", jailed: "#222222", emigrated: "#2a9d5b", dead: "#7b2d8b" };

// ------------------------------------------------------------------ connection
const Conn = {
  ws: null, handlers: {}, queue: [], alive: false,
  open() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    this.ws = new WebSocket(`${proto}://${location.host}/ws`);
    this.ws.onopen = () => {
      this.alive = true; setConn("connected", "ok");
      for (const m of this.queue.splice(0)) this.ws.send(JSON.stringify(m));
    };
    this.ws.onclose = () => { this.alive = false; setConn("disconnected — reload the page", "bad"); };
    this.ws.onmessage = ev => {
      const msg = JSON.parse(ev.data);
      const h = this.handlers[msg.view] || this.handlers["*"];
      if (msg.type === "hello") return App.hello(msg);
      if (msg.type === "refused" && !msg.view) { setConn(msg.message, "bad"); return; }
      if (h) h(msg);
    };
    // heartbeat: the server drops pages that stay silent (closed laptop lids, lost tabs)
    setInterval(() => this.send({ op: "ping", t: Date.now() }), 10000);
    window.addEventListener("pagehide", () => { try { this.ws.close(); } catch (e) { } });
  },
  send(msg) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(msg));
    else if (!this.ws || this.ws.readyState === 0) this.queue.push(msg);
  },
};
function setConn(text, cls) { const c = $("#conn"); c.textContent = text; c.className = "conn " + (cls || ""); }

async function getJSON(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

function csvCell(v) { const s = v === null || v === undefined ? "" : String(v); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; }

// ------------------------------------------------------------------ parameter widgets
function paramWidget(p, onChange) {
  const wrap = el("div", { class: "param", "data-param": p.name });
  const bounds = p.kind === "choice" ? "one of " + p.choices.join(", ")
    : p.kind === "bool" ? "true or false"
      : (p.low === null && p.high === null) ? "any" : `[${p.low ?? "-inf"}, ${p.high ?? "inf"}]`;
  const tip = `${p.doc}\nUnit: ${p.unit || "–"}\nAllowed: ${bounds}\nDefault: ${p.default}` +
    (p.citation ? `\nSource: ${p.citation}` : "") + (p.module ? `\nModule: ${p.module}` : "");
  const info = el("span", { class: "info", title: tip, text: "?" });
  info.addEventListener("click", () => wrap.classList.toggle("show-doc"));
  const name = el("span", { title: tip }, p.name, el("span", { class: "unit", text: p.unit ? `(${p.unit})` : "" }));
  wrap.append(el("div", { class: "pname" }, name, info));
  const pin = el("div", { class: "pin" });
  let get, set;
  const numeric = p.kind === "float" || p.kind === "int";
  const finite = v => v !== null && v !== undefined && typeof v === "number" && isFinite(v);
  if (p.kind === "bool") {
    const cb = el("input", { type: "checkbox", name: p.name });
    pin.append(cb);
    get = () => cb.checked; set = v => { cb.checked = !!v; };
    cb.addEventListener("change", () => onChange(p, get()));
  } else if (p.kind === "choice") {
    const sel = el("select", { name: p.name });
    for (const c of p.choices) sel.append(el("option", { value: c, text: c }));
    pin.append(sel);
    get = () => sel.value; set = v => { sel.value = v; };
    sel.addEventListener("change", () => onChange(p, get()));
  } else {
    const txt = el("input", { type: "text", name: p.name, class: "pvalue", spellcheck: "false" });
    let rng = null;
    if (numeric && finite(p.low) && finite(p.high) && p.high > p.low) {
      rng = el("input", { type: "range", min: p.low, max: p.high,
        step: p.kind === "int" ? 1 : (p.high - p.low) / 200 });
      pin.append(rng);
      rng.addEventListener("input", () => { txt.value = p.kind === "int" ? rng.value : (+rng.value).toPrecision(3).replace(/\.?0+$/, ""); });
      rng.addEventListener("change", () => onChange(p, txt.value));
    }
    pin.append(txt);
    get = () => txt.value;
    set = v => {
      txt.value = Array.isArray(v) ? v.join(", ") : (v === null || v === undefined ? "" : String(v));
      if (rng && finite(+v)) rng.value = v;
    };
    txt.addEventListener("change", () => {
      if (rng && txt.value.trim() !== "" && isFinite(+txt.value)) rng.value = txt.value;
      onChange(p, txt.value);
    });
  }
  wrap.append(pin, el("div", { class: "pdoc", text: p.doc + (p.citation ? ` — ${p.citation}` : "") }));
  return { wrap, get, set };
}

// value typed in a text box -> value sent to the server (the server validates and explains)
function parseValue(p, raw) {
  if (typeof raw !== "string") return raw;
  const s = raw.trim();
  if ((p.kind === "float" || p.kind === "int") && s !== "" && isFinite(+s)) return +s;
  if (p.kind === "list") return s;
  return s;
}

function sameValue(a, b) {
  if (Array.isArray(b)) b = b.join(", ");
  if (Array.isArray(a)) a = a.join(", ");
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
  return String(a) === String(b);
}

// ------------------------------------------------------------------ a view with runs
class RunPanel {
  constructor(view, opts) {
    this.view = view;
    this.opts = opts;
    this.root = $(`#view-${view}`);
    this.slots = {};          // slot -> {info, rows: {metric: [[step, ALL, r1...]]}, events, t}
    this.widgets = {};
    this.specs = {};
    this.overrides = {};
    this.playing = false;
    this.selectedRegion = null;
    Conn.handlers[view] = msg => this.onMessage(msg);
    const q = s => this.root.querySelector(s);
    this.ui = {
      scenario: q(".scenario"), desc: q(".desc"), seed: q(".seed"), steps: q(".steps"),
      setup: q(".setup"), step: q(".step"), play: q(".play"), reset: q(".reset"), speed: q(".speed"),
      status: q(".status"), error: q(".error"), params: q(".params"), download: q(".download"),
      eventlog: q(".eventlog"),
    };
    this.ui.scenario.addEventListener("change", () => this.loadScenario(this.ui.scenario.value));
    this.ui.setup.addEventListener("click", () => this.setup());
    this.ui.step.addEventListener("click", () => this.send({ op: "step", n: 1 }));
    this.ui.play.addEventListener("click", () => this.send({ op: this.playing ? "pause" : "play" }));
    this.ui.reset.addEventListener("click", () => { this.clearError(); this.send({ op: "reset" }); });
    this.ui.speed.addEventListener("change", () => this.send({ op: "speed", value: +this.ui.speed.value }));
    this.ui.download.addEventListener("click", () => this.downloadCSV());
    window.addEventListener("resize", () => this.redraw());
  }

  send(msg) { Conn.send({ ...msg, view: this.view }); }

  setSpeeds(speeds) {
    this.ui.speed.innerHTML = "";
    for (const s of speeds) this.ui.speed.append(el("option", { value: s, text: s === 0 ? "fastest" : `${s} steps/s` }));
    this.ui.speed.value = 10;
  }

  setScenarios(list) {
    const mine = list.filter(s => this.opts.accept(s));
    this.scenarioList = mine;
    this.ui.scenario.innerHTML = "";
    for (const s of mine) this.ui.scenario.append(el("option", { value: s.name, text: s.name + (s.error ? " (broken)" : "") }));
    const pick = this.opts.preferred.find(n => mine.some(s => s.name === n)) || (mine[0] && mine[0].name);
    if (pick) { this.ui.scenario.value = pick; this.loadScenario(pick); }
    else this.status("No built-in scenario for this view is installed yet.");
  }

  async loadScenario(name) {
    this.clearError();
    // a later choice wins: the answer to an earlier request that arrives late is dropped
    const token = (this._loading = (this._loading || 0) + 1);
    try {
      const sc = await getJSON(`/api/scenario?name=${encodeURIComponent(name)}`);
      if (token !== this._loading) return;
      this.scenario = sc;
      this.ui.desc.textContent = (sc.description || "").trim();
      this.ui.seed.value = sc.seed; this.ui.steps.value = sc.steps;
      this.overrides = {};
      this.buildWidgets(sc.params);
      this.ui.params.dataset.scenario = name;  // the scenario the widgets belong to
      if (this.onScenario) this.onScenario(sc);
    } catch (e) { if (token === this._loading) this.showError(String(e.message || e)); }
  }

  buildWidgets(params) {
    const box = this.ui.params;
    box.innerHTML = "";
    this.widgets = {}; this.specs = {};
    const first = this.opts.firstParams || [];
    const ordered = [...params].sort((a, b) => {
      const ia = first.indexOf(a.name), ib = first.indexOf(b.name);
      return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib);
    });
    let module = null;
    for (const p of ordered) {
      const group = first.includes(p.name) ? "main controls" : (p.module || "model");
      if (group !== module) { box.append(el("div", { class: "module", text: group })); module = group; }
      const w = paramWidget(p, (spec, raw) => this.paramChanged(spec, raw));
      w.set(p.value);
      box.append(w.wrap);
      this.widgets[p.name] = w; this.specs[p.name] = p;
    }
  }

  paramChanged(p, raw) {
    const v = parseValue(p, raw);
    const w = this.widgets[p.name];
    w.wrap.classList.remove("invalid");
    if (sameValue(v, p.value)) delete this.overrides[p.name]; else this.overrides[p.name] = v;
    w.wrap.classList.toggle("changed", p.name in this.overrides);
    const base = this.slots.base;
    // while a run exists, the change also applies to it from the next step, logged as an event
    if (base && base.t < base.info.n_steps) {
      this.clearError();
      this.send({ op: "inject", slot: "base", action: "set", params: { [p.name]: v }, label: `${p.name}=${raw}` });
    }
  }

  setup() {
    this.clearError();
    for (const w of Object.values(this.widgets)) w.wrap.classList.remove("invalid");
    this.send({ op: "setup", slot: "base", scenario: this.ui.scenario.value, params: this.overrides,
                seed: this.ui.seed.value.trim(), steps: this.ui.steps.value.trim() });
  }

  status(text) { this.ui.status.textContent = text; }
  showError(text, field, refused) {
    const e = this.ui.error;
    e.hidden = false; e.textContent = text; e.classList.toggle("refused", !!refused);
    if (field && this.widgets[field]) this.widgets[field].wrap.classList.add("invalid");
  }
  clearError() { this.ui.error.hidden = true; this.ui.error.textContent = ""; }

  onMessage(msg) {
    switch (msg.type) {
      case "busy": this.status(msg.message); this.setBusy(true); break;
      case "setup": {
        this.slots[msg.slot] = { info: msg.info, rows: {}, events: msg.info.events, t: 0 };
        if (msg.slot === "base") {
          for (const s of Object.keys(this.slots)) if (s !== "base") delete this.slots[s];
        }
        this.onSetup(msg.slot, msg.info);
        break;
      }
      case "frame": {
        const s = this.slots[msg.slot];
        if (!s) return;
        for (const [metric, rows] of Object.entries(msg.rows)) {
          const arr = s.rows[metric] || (s.rows[metric] = []);
          for (const r of rows) arr[r[0]] = r;
        }
        s.t = msg.t;
        if (msg.lattice) s.lattice = msg.lattice;
        this.scheduleRedraw();
        break;
      }
      case "events": {
        const s = this.slots[msg.slot];
        if (s) s.events = msg.events;
        if (msg.injected) this.status(`${msg.injected.label} scheduled for step ${msg.injected.step}` +
          (msg.injected.date ? ` (${msg.injected.date})` : "") + ` in the ${msg.slot === "alt" ? "counterfactual" : "baseline"}`);
        this.scheduleRedraw();
        break;
      }
      case "state": {
        this.playing = msg.playing;
        this.setBusy(false);
        const anyRun = Object.keys(msg.t).length > 0;
        this.ui.play.textContent = msg.playing ? "Pause" : this.opts.playLabel;
        this.ui.play.classList.toggle("playing", msg.playing);
        this.ui.step.disabled = !anyRun || msg.done;
        this.ui.play.disabled = !anyRun || (msg.done && !msg.playing);
        this.ui.reset.disabled = !anyRun;
        this.ui.download.disabled = !anyRun;
        if (String(msg.speed) !== this.ui.speed.value) this.ui.speed.value = msg.speed;
        if (anyRun) {
          const b = this.slots.base;
          const t = msg.t.base ?? 0, n = msg.n_steps.base ?? 0;
          const date = b && b.info.dates ? ` · ${b.info.dates[t]}` : "";
          this.status(`step ${t} of ${n}${date}${msg.playing ? " · playing" : msg.done ? " · finished" : ""}` +
            (b ? ` · ${b.info.n_agents.toLocaleString()} agents` + (b.info.scale !== 1 ? ` (1 per ${b.info.scale.toLocaleString()} citizens)` : "") : ""));
        }
        if (this.onState) this.onState(msg);
        break;
      }
      case "error": this.setBusy(false); this.showError(msg.message, msg.field); break;
      case "refused": this.setBusy(false); this.status("Refused."); this.showError(msg.message, null, true); break;
      case "dropped": delete this.slots[msg.slot]; this.onDropped(msg.slot); this.scheduleRedraw(); break;
    }
  }

  setBusy(b) { this.ui.setup.disabled = b; }

  onSetup(slot, info) { this.scheduleRedraw(); }
  onDropped(slot) { }

  scheduleRedraw() {
    if (this._raf) return;
    this._raf = requestAnimationFrame(() => { this._raf = null; this.redraw(); });
  }

  // points [[step, value]] of a metric (ALL column or one region) for a slot
  series(slot, metric, col = 0) {
    const s = this.slots[slot];
    if (!s || !s.rows[metric]) return [];
    const out = [];
    for (const r of s.rows[metric]) if (r) out.push([r[0], r[1 + col]]);
    return out;
  }

  eventMarkers(slot) {
    const s = this.slots[slot];
    if (!s) return [];
    return (s.events || []).filter(e => e.action !== "set" || e.id.startsWith("live:") || e.label)
      .map(e => ({ x: e.step, label: e.label || e.action, pending: e.step > s.t, color: slot === "alt" ? "#7b4bb7" : "#b07d00" }));
  }

  xfmt() {
    const b = this.slots.base;
    // tick labels carry the year ("5 Jan 2022"); hover and CSV keep the ISO date
    const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    if (b && b.info.dates) return x => {
      const d = b.info.dates[Math.round(x)];
      if (!d) return "";
      const [y, m, day] = d.split("-");
      return `${+day} ${months[+m - 1]} ${y}`;
    };
    return x => (Number.isInteger(x) ? String(x) : Charts.fmt(x));
  }

  renderEventLog() {
    const box = this.ui.eventlog;
    if (!box) return;
    box.innerHTML = "";
    for (const slot of Object.keys(this.slots)) {
      const s = this.slots[slot];
      for (const e of s.events || []) {
        const when = e.date ? `${e.date} (step ${e.step})` : `step ${e.step}`;
        const who = Object.keys(this.slots).length > 1 ? `[${slot === "alt" ? "counterfactual" : "baseline"}] ` : "";
        box.append(el("div", { class: e.step > s.t ? "pending" : "", text: `${who}${when}: ${e.label || e.action}` +
          (e.action !== "set" ? ` — ${e.action}` : "") }));
      }
    }
  }

  downloadCSV() {
    const lines = ["run,scenario,seed,step,date,region,metric,value"];
    for (const [slot, s] of Object.entries(this.slots)) {
      const regions = ["ALL", ...s.info.regions];
      for (const [metric, rows] of Object.entries(s.rows)) {
        const spec = s.info.metrics.find(m => m.name === metric);
        const cols = spec && spec.by_region ? regions.length : 1;
        for (const r of rows) {
          if (!r) continue;
          for (let j = 0; j < cols; j++) {
            if (r[1 + j] === null) continue;
            lines.push([slot, s.info.scenario, s.info.seed, r[0], s.info.dates ? s.info.dates[r[0]] : "", regions[j], metric, r[1 + j]].map(csvCell).join(","));
          }
        }
      }
    }
    const blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
    const a = el("a", { href: URL.createObjectURL(blob), download: `tolqyn-${this.view}.csv` });
    document.body.append(a); a.click(); a.remove();
  }
}

// ------------------------------------------------------------------ country view
class CountryPanel extends RunPanel {
  constructor() {
    super("country", {
      accept: s => s.model && s.model !== "epstein",
      preferred: ["kazakhstan-2022"],
      playLabel: "Play",
    });
    const q = s => this.root.querySelector(s);
    Object.assign(this.ui, {
      mapMetric: q(".map-metric"), day: q(".day"), dayLabel: q(".day-label"), follow: q(".follow"),
      legend: q(".legend"), attribution: q(".attribution"), injectAction: q(".inject-action"),
      injectParams: q(".inject-params"), injectTarget: q(".inject-target"), inject: q(".inject"),
      quick: q(".quick"), altScenario: q(".alt-scenario"), altParams: q(".alt-params"),
      compare: q(".compare"), dropAlt: q(".drop-alt"), altFig: q('.map-fig[data-slot="alt"]'),
    });
    this.maps = {
      base: new RegionMap.Map($("#country-map-base"), c => this.selectRegion(c)),
      alt: new RegionMap.Map($("#country-map-alt"), c => this.selectRegion(c)),
    };
    this.charts = { status: $("#country-chart-status"), metric: $("#country-chart-metric"), region: $("#country-chart-region") };
    this.ui.mapMetric.addEventListener("change", () => this.redraw());
    this.ui.day.addEventListener("input", () => { this.ui.follow.checked = false; this.redraw(); });
    this.ui.follow.addEventListener("change", () => this.redraw());
    this.ui.injectAction.addEventListener("change", () => {
      const a = (this.slots.base?.info.actions || []).find(x => x.action === this.ui.injectAction.value);
      this.ui.injectParams.value = JSON.stringify(a ? a.params : {});
    });
    this.ui.inject.addEventListener("click", () => {
      let params;
      try { params = JSON.parse(this.ui.injectParams.value || "{}"); }
      catch (e) { this.showError(`Event parameters are not valid JSON: ${e.message}`); return; }
      this.clearError();
      this.send({ op: "inject", slot: this.ui.injectTarget.value, action: this.ui.injectAction.value, params });
    });
    this.ui.compare.addEventListener("click", () => this.compare());
    this.ui.dropAlt.addEventListener("click", () => this.send({ op: "drop", slot: "alt" }));
  }

  setScenarios(list) {
    super.setScenarios(list);
    this.ui.altScenario.innerHTML = "";
  }

  onScenario(sc) {
    // counterfactuals: scenarios of the same model (the same family first)
    const fam = sc.name.split("/")[0];
    const same = this.scenarioList.filter(s => s.model === sc.model);
    same.sort((a, b) => (b.name.startsWith(fam) - a.name.startsWith(fam)) || a.name.localeCompare(b.name));
    this.ui.altScenario.innerHTML = "";
    for (const s of same) this.ui.altScenario.append(el("option", { value: s.name, text: s.name }));
    const firstOther = same.find(s => s.name !== sc.name);
    this.ui.altScenario.value = firstOther ? firstOther.name : sc.name;
  }

  compare() {
    this.clearError();
    const params = {};
    const lines = this.ui.altParams.value.split("\n").map(l => l.trim()).filter(l => l && !l.startsWith("#"));
    for (const line of lines) {
      const i = line.indexOf("=");
      if (i < 0) { this.showError(`'${line}' is not name = value`); return; }
      const k = line.slice(0, i).trim(), raw = line.slice(i + 1).trim();
      const p = this.specs[k];
      params[k] = p ? parseValue(p, raw.replace(/^"(.*)"$/, "$1")) : raw;
    }
    // the counterfactual starts from the baseline's own changes, then applies its own
    const altName = this.ui.altScenario.value;
    const base = altName === this.ui.scenario.value ? { ...this.overrides } : {};
    this.send({ op: "setup", slot: "alt", scenario: altName, params: { ...base, ...params } });
  }

  onSetup(slot, info) {
    if (slot === "base") {
      this.ui.altFig.hidden = true;
      this.ui.dropAlt.disabled = true;
      this.fillMetricChoices(info);
      this.fillActions(info);
      this.loadGeometry(info.regions);
      this.ui.follow.checked = true;
    } else {
      this.ui.altFig.hidden = false;
      this.ui.dropAlt.disabled = false;
      this.maps.alt.setRegions(info.regions, this.geo);
      this.status(`counterfactual ${info.scenario} set up beside the baseline`);
    }
    this.ui.compare.disabled = false;
    this.ui.inject.disabled = false;
    this.scheduleRedraw();
  }

  onDropped(slot) { if (slot === "alt") { this.ui.altFig.hidden = true; this.ui.dropAlt.disabled = true; } }

  fillMetricChoices(info) {
    const names = info.metrics.map(m => m.name);
    const byRegion = info.metrics.filter(m => m.by_region).map(m => m.name);
    const opts = [];
    if (byRegion.includes("active")) opts.push(["@active_share", "active share (of the population)"]);
    if (byRegion.includes("deaths_civilian") && byRegion.includes("deaths_security")) opts.push(["@deaths", "deaths (civilian + security)"]);
    const wanted = ["arrests", "detained_cumulative", "dead", "legitimacy_mean", "grievance_mean", "active", "jailed"];
    for (const w of wanted) if (byRegion.includes(w)) opts.push([w, w]);
    for (const m of byRegion) if (!wanted.includes(m)) opts.push([m, m]);
    if (!byRegion.length) for (const m of names) opts.push([m, m + " (national)"]);
    const prev = this.ui.mapMetric.value;
    this.ui.mapMetric.innerHTML = "";
    for (const [v, t] of opts) {
      const spec = info.metrics.find(m => m.name === v);
      this.ui.mapMetric.append(el("option", { value: v, text: t, title: spec ? spec.doc : "" }));
    }
    if (opts.some(o => o[0] === prev)) this.ui.mapMetric.value = prev;
  }

  fillActions(info) {
    this.ui.injectAction.innerHTML = "";
    for (const a of info.actions) this.ui.injectAction.append(el("option", { value: a.action, text: a.action }));
    const first = info.actions.find(a => a.action !== "set") || info.actions[0];
    if (first) { this.ui.injectAction.value = first.action; this.ui.injectParams.value = JSON.stringify(first.params); }
    // one-click buttons: repeat any of the scenario's own interventions now
    this.ui.quick.innerHTML = "";
    const seen = new Set();
    for (const e of info.events) {
      if (e.action === "ramp_step") continue;
      const key = e.action + JSON.stringify(e.params);
      if (seen.has(key)) continue;
      seen.add(key);
      const b = el("button", { title: `${e.action} ${JSON.stringify(e.params)} (scenario: step ${e.step})`,
        text: `${e.label || e.id || e.action} now` });
      b.addEventListener("click", () => {
        this.clearError();
        this.send({ op: "inject", slot: this.ui.injectTarget.value, action: e.action, params: e.params, label: `${e.label || e.action} (live)` });
      });
      this.ui.quick.append(b);
    }
  }

  async loadGeometry(regions) {
    this.geo = null;
    this.ui.attribution.textContent = "";
    if (regions.length) {
      try {
        this.geo = await getJSON(`/api/geo?regions=${encodeURIComponent(regions.join(","))}`);
        this.ui.attribution.textContent = this.geo.attribution;
      } catch (e) { this.geo = null; }
    }
    this.maps.base.setRegions(regions, this.geo);
    if (this.slots.alt) this.maps.alt.setRegions(this.slots.alt.info.regions, this.geo);
    if (!regions.length) this.maps.base.el.innerHTML = '<p class="hint">This model has no regions: only national series.</p>';
    if (regions.length && !this.selectedRegion) this.selectRegion(regions[0]);
    this.redraw();
  }

  selectRegion(code) {
    this.selectedRegion = code;
    for (const m of Object.values(this.maps)) {
      if (m.selected !== code) { m.selected = code; for (const [c, ps] of Object.entries(m.paths)) for (const p of ps) p.classList.toggle("selected", c === code); }
    }
    this.redraw();
  }

  // values of the map metric for a slot at a step: {region: value}, plus the national value
  metricAt(slot, key, step) {
    const s = this.slots[slot];
    if (!s) return { values: {}, all: null };
    const regions = s.info.regions;
    const row = m => (s.rows[m] || [])[step];
    const out = {};
    let all = null;
    const get = (m, j) => { const r = row(m); return r ? r[1 + j] : null; };
    const combine = (j) => {
      if (key === "@active_share") {
        let tot = 0, any = false;
        for (const st of STATUS) { const v = get(st, j); if (v !== null && v !== undefined) { tot += v; any = true; } }
        const a = get("active", j);
        return any && tot > 0 && a !== null ? a / tot : null;
      }
      if (key === "@deaths") {
        const a = get("deaths_civilian", j), b = get("deaths_security", j);
        return a === null || b === null ? null : a + b;
      }
      return get(key, j);
    };
    all = combine(0);
    regions.forEach((r, i) => { out[r] = combine(i + 1); });
    return { values: out, all };
  }

  metricSeries(slot, key, col) {
    const s = this.slots[slot];
    if (!s) return [];
    const pts = [];
    for (let t = 0; t <= s.t; t++) {
      const v = this.metricAt(slot, key, t);
      const val = col === 0 ? v.all : v.values[s.info.regions[col - 1]];
      if (val !== undefined) pts.push([t, val]);
    }
    return pts;
  }

  redraw() {
    const b = this.slots.base;
    this.renderEventLog();
    if (!b) return;
    const tmax = Math.max(...Object.values(this.slots).map(s => s.t));
    const day = this.ui.day;
    day.max = tmax;
    if (this.ui.follow.checked) day.value = tmax;
    const step = Math.min(+day.value, tmax);
    const date = b.info.dates ? b.info.dates[step] : null;
    this.ui.dayLabel.textContent = date ? `${date} (step ${step})` : `step ${step}`;
    const key = this.ui.mapMetric.value;
    const label = this.ui.mapMetric.selectedOptions[0]?.textContent || key;
    const share = key === "@active_share" || key.endsWith("_mean");
    const fmt = share ? (v => v === null || v === undefined ? "–" : (key === "@active_share" ? (100 * v).toPrecision(2) + "%" : v.toFixed(3))) : Charts.fmt;
    // one colour range over every step and both runs so that days and runs compare
    let lo = 0, hi = 0;
    const slots = Object.keys(this.slots);
    for (const slot of slots) for (let t = 0; t <= this.slots[slot].t; t++) {
      for (const v of Object.values(this.metricAt(slot, key, t).values)) {
        if (v !== null && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      }
    }
    if (key.endsWith("_mean") && lo >= 0) { lo = Math.min(...[lo, ...slots.flatMap(s => Object.values(this.metricAt(s, key, step).values).filter(v => v !== null))]); }
    for (const slot of slots) {
      if (!this.maps[slot]) continue;
      this.maps[slot].paint(this.metricAt(slot, key, Math.min(step, this.slots[slot].t)).values, lo, hi, fmt, label);
    }
    this.ui.legend.innerHTML = "";
    if (b.info.regions.length) this.ui.legend.append(el("span", { text: fmt(lo) }), el("span", { class: "bar", style: `background:${RegionMap.gradient(lo, hi)}` }),
      el("span", { text: fmt(hi) }), el("span", { class: "hint", text: ` ${label}, colour range over all days${slots.length > 1 ? " and both runs" : ""}` }));

    const xmax = b.info.n_steps, xfmt = this.xfmt();
    // counterfactual events are drawn only where they differ from the baseline's
    const baseEv = this.eventMarkers("base");
    const seen = new Set(baseEv.map(e => e.x + "|" + e.label));
    const events = baseEv.concat(slots.filter(s => s !== "base").flatMap(s => this.eventMarkers(s))
      .filter(e => !seen.has(e.x + "|" + e.label)).map(e => ({ ...e, label: "cf: " + e.label })));
    const runs = slots.map(s => ({ slot: s, dash: s === "alt", tag: slots.length > 1 ? (s === "alt" ? " (cf)" : " (base)") : "" }));
    // 1. national status counts
    const stMetrics = STATUS.filter(m => m !== "quiet" && b.info.metrics.some(x => x.name === m));
    const status = [];
    // 'dead' is a stock of agents (steps of the scale); the deaths counted in persons are map metrics
    const stLabel = m => (m === "dead" && (b.info.scale || 1) > 1 ? "dead (agents × scale)" : m);
    for (const r of runs) for (const m of stMetrics) status.push({ label: stLabel(m), color: STATUS_COLORS[m], dash: r.dash, noLegend: r.dash, points: this.series(r.slot, m) });
    Charts.line(this.charts.status, { title: "National: citizens by status" + (slots.length > 1 ? " (dashed: counterfactual)" : ""), series: status, events, xmin: 0, xmax, xfmt, dates: b.info.dates, cursor: step });
    // 2. national value of the map metric
    const nat = runs.map((r, i) => ({ label: label + r.tag, color: Charts.PALETTE[i], dash: r.dash, points: this.metricSeries(r.slot, key, 0) }));
    Charts.line(this.charts.metric, { title: `National: ${label}`, series: nat, events, xmin: 0, xmax, xfmt, dates: b.info.dates, cursor: step });
    // 3. the selected region
    const reg = this.selectedRegion;
    const col = reg ? b.info.regions.indexOf(reg) + 1 : 0;
    const rname = reg ? (this.maps.base.names[reg] || reg) : "";
    const regSeries = col > 0 ? runs.map((r, i) => ({ label: rname + r.tag, color: Charts.PALETTE[i], dash: r.dash, points: this.metricSeries(r.slot, key, col) })) : [];
    Charts.line(this.charts.region, { title: col > 0 ? `${rname}: ${label} (click a region on the map)` : "Region: click one on the map", series: regSeries, events, xmin: 0, xmax, xfmt, dates: b.info.dates, cursor: step });
  }
}

// ------------------------------------------------------------------ classic view
class ClassicPanel extends RunPanel {
  constructor() {
    super("classic", {
      accept: s => s.model === "epstein",
      preferred: ["netlogo-rebellion", "epstein-2002/run-2"],
      playLabel: "go",
      // NetLogo Rebellion's sliders and switch, in its order
      firstParams: ["cop_density", "citizen_density", "citizen_vision", "cop_vision", "legitimacy",
        "max_jail_term", "movement"],
    });
    this.canvas = $("#classic-lattice");
    this.charts = { status: $("#classic-chart-status"), metric: $("#classic-chart-metric") };
    this.metric2 = $("#classic-metric2");
    this.metric2.addEventListener("change", () => this.redraw());
    // lattice codes: low 4 bits 0 empty, 1 quiet, 2 active, 3 cop, 4 jailed; bit 4 = Model II group
    this.colors = { 0: [242, 242, 242], 1: [47, 111, 222], 2: [224, 50, 45], 3: [25, 195, 214], 4: [34, 34, 34],
                    17: [42, 157, 91], 18: [240, 140, 30], 20: [34, 34, 34] };
  }

  onSetup(slot, info) {
    const others = info.metrics.map(m => m.name).filter(m => !STATUS.includes(m));
    this.metric2.innerHTML = "";
    for (const m of others) this.metric2.append(el("option", { value: m, text: m }));
    const pref = ["tension", "legitimacy", "arrests"].find(m => others.includes(m));
    if (pref) this.metric2.value = pref;
    if (!info.lattice) this.showError("This scenario's model has no lattice to draw.");
    this.scheduleRedraw();
  }

  drawLattice() {
    const s = this.slots.base;
    if (!s || !s.lattice) return;
    const { width: w, height: h, cells } = s.lattice;
    const bin = atob(cells);
    const c = this.canvas;
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    const ctx = c.getContext("2d");
    const img = ctx.createImageData(w, h);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < w * h; i++) {
      const code = bin.charCodeAt(i);
      const col = this.colors[code] || [255, 0, 255];
      counts[code & 15] = (counts[code & 15] || 0) + 1;
      img.data[4 * i] = col[0]; img.data[4 * i + 1] = col[1]; img.data[4 * i + 2] = col[2]; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    c.dataset.counts = counts.join(",");
    c.dataset.t = String(s.t);
  }

  redraw() {
    this.renderEventLog();
    const b = this.slots.base;
    if (!b) return;
    this.drawLattice();
    const xmax = b.info.n_steps;
    const events = this.eventMarkers("base");
    const names = ["quiet", "active", "jailed"].filter(m => b.info.metrics.some(x => x.name === m));
    Charts.line(this.charts.status, { title: "Citizens: quiet, active, jailed", xmin: 0, xmax, events,
      series: names.map(m => ({ label: m, color: STATUS_COLORS[m], points: this.series("base", m) })) });
    const m2 = this.metric2.value;
    if (m2) Charts.line(this.charts.metric, { title: m2, xmin: 0, xmax, events, noZero: false,
      series: [{ label: m2, color: "#2a9d5b", points: this.series("base", m2) }] });
  }
}

// ------------------------------------------------------------------ experiments
const Experiments = {
  async refresh() {
    const box = $("#exp-list");
    box.innerHTML = "";
    try {
      const data = await getJSON("/api/experiments");
      if (!data.experiments.length) box.append(el("p", { class: "hint", text: `No stored experiments in ${data.root}. Run a sweep or a calibration first.` }));
      for (const e of data.experiments) {
        const row = el("div", { class: "exp", "data-id": e.id },
          el("div", { text: e.id }), el("div", { class: "kind", text: [e.kind, e.scenario, e.created].filter(Boolean).join(" · ") }));
        row.addEventListener("click", () => { for (const r of box.children) r.classList.remove("active"); row.classList.add("active"); this.show(e.id); });
        box.append(row);
      }
    } catch (e) { box.append(el("div", { class: "error", text: String(e.message || e) })); }
  },

  async show(id) {
    const d = $("#exp-detail");
    d.innerHTML = "";
    let x;
    try { x = await getJSON(`/api/experiment?id=${encodeURIComponent(id)}`); }
    catch (e) { d.append(el("div", { class: "error", text: String(e.message || e) })); return; }
    d.append(el("h3", { text: x.id }));
    const facts = el("table");
    for (const [k, v] of Object.entries(x.summary || {})) facts.append(el("tr", {}, el("th", { text: k }), el("td", { text: typeof v === "object" ? JSON.stringify(v) : String(v) })));
    d.append(facts);
    const files = el("table");
    files.append(el("tr", {}, el("th", { text: "file" }), el("th", { text: "rows" }), el("th", { text: "download" })));
    for (const f of x.files) {
      const links = el("td");
      for (const fmt of f.formats) {
        links.append(el("a", { href: `/api/experiment/download?id=${encodeURIComponent(id)}&file=${encodeURIComponent(f.name)}&format=${fmt}`, text: fmt, class: "dl" }), " ");
      }
      files.append(el("tr", {}, el("td", { text: f.name }), el("td", { text: f.rows ?? "" }), links));
    }
    d.append(el("h4", { text: "Files" }), files);
    const charts = el("div", { class: "charts" });
    d.append(charts);
    for (const p of x.plots || []) {
      const c = el("canvas", { class: "chart" });
      charts.append(c);
      if (p.type === "histogram") Charts.histogram(c, p.values, { title: p.title, low: p.low, high: p.high });
      else if (p.type === "bars") Charts.bars(c, { title: p.title, bars: p.bars, legend: p.legend, groups: p.groups });
      else if (p.type === "line") Charts.line(c, { title: p.title, series: p.series });
    }
    if (!(x.plots || []).length) d.append(el("p", { class: "hint", text: "Nothing to plot in this experiment's tables." }));
  },
};

// ------------------------------------------------------------------ app
const App = {
  panels: {},
  async start() {
    for (const b of document.querySelectorAll("#tabs .tab")) b.addEventListener("click", () => this.tab(b.dataset.tab));
    this.panels.country = new CountryPanel();
    this.panels.classic = new ClassicPanel();
    Conn.handlers["*"] = msg => { if (msg.type === "error") setConn(msg.message, "bad"); };
    Conn.open();
    $("#exp-refresh").addEventListener("click", () => Experiments.refresh());
    try {
      const data = await getJSON("/api/scenarios");
      for (const p of Object.values(this.panels)) p.setScenarios(data.scenarios);
    } catch (e) { setConn(`cannot list scenarios: ${e.message}`, "bad"); }
    const h = location.hash.replace("#", "");
    if (h) this.tab(h);
  },
  hello(msg) { for (const p of Object.values(this.panels)) p.setSpeeds(msg.speeds); },
  tab(name) {
    if (!$(`#view-${name}`)) return;
    for (const b of document.querySelectorAll("#tabs .tab")) b.classList.toggle("active", b.dataset.tab === name);
    for (const v of document.querySelectorAll(".view")) v.classList.toggle("active", v.dataset.view === name);
    if (name === "experiments") Experiments.refresh();
    if (this.panels[name]) this.panels[name].redraw();
    history.replaceState(null, "", "#" + name);
  },
};

window.App = App;   // for tests and the console
document.addEventListener("DOMContentLoaded", () => App.start());
