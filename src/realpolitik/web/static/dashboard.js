// realpolitik dashboard: sliders over a scenario's parameters, re-solved live
// through the JSON API (POST /api/scenarios/{id}/forecast). No external
// resources: plain DOM and fetch.
"use strict";

const state = { scenario: null, values: {}, request: 0, timer: null, concepts: [] };

const $ = (id) => document.getElementById(id);
const pct = (p) => (100 * p).toFixed(1) + "%";
const num = (x) => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : Number(x.toPrecision(4)).toString());

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function setStatus(text, error = false) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", error);
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok) {
    const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
    throw new Error(detail);
  }
  return data;
}

function drawParameters(scenario) {
  const box = $("parameters");
  box.replaceChildren();
  for (const p of scenario.parameters) {
    if (p.fixed) continue;
    const sources = p.sources.map((s) => (s.date ? `[${s.date}] ` : "[undated] ") + s.cite).join("\n");
    const judged = p.judgement ? `\n\nJudgement: ${p.judgement}` : "";
    const value = el("span", { class: "value", id: `value-${p.id}`, text: num(p.central) + (p.unit ? " " + p.unit : "") });
    const name = el("div", { class: "name" },
      el("span", { class: "id", title: `${p.description}\n${p.distribution}\n\nSources:\n${sources}${judged}`, text: p.id }),
      p.judgement ? el("span", { class: "judged", title: `Judgement: ${p.judgement}`, text: "judgement" }) : "",
      value);
    const slider = el("input", {
      type: "range", id: `slider-${p.id}`, "data-parameter": p.id, "aria-label": p.id,
      min: p.slider.min, max: p.slider.max, step: p.slider.step, value: p.central,
      list: `ticks-${p.id}`,
    });
    const ticks = el("datalist", { id: `ticks-${p.id}` }, el("option", { value: p.central }));
    const range = el("div", { class: "range" },
      el("span", { text: num(p.slider.min) }), el("span", { text: p.distribution }), el("span", { text: num(p.slider.max) }));
    const row = el("div", { class: "param", id: `param-${p.id}` }, name, slider, ticks, range);
    slider.addEventListener("input", () => {
      const x = Number(slider.value);
      value.textContent = num(x) + (p.unit ? " " + p.unit : "");
      if (Math.abs(x - p.central) <= p.slider.step / 2) delete state.values[p.id];
      else state.values[p.id] = x;
      row.classList.toggle("changed", p.id in state.values);
      schedule();
    });
    box.append(row);
  }
}

function drawActions(forecast) {
  const box = $("actions");
  box.replaceChildren();
  const actors = new Map(state.scenario.actors.map((a) => [a.id, a.name]));
  const groups = new Map();
  for (const row of forecast.action_detail) {
    const key = `${row.actor}/${row.move}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(row);
  }
  // a compound move has one joint action per combination of levels (dozens):
  // the most likely come first, the rest fold away (all stay in the page)
  const compound = compoundMoves(forecast);
  for (const [key, all] of groups) {
    const [actor, move] = key.split("/");
    const joint = compound.has(key);
    const rows = joint ? [...all].sort((a, b) => b.probability - a.probability) : all;
    const folded = el("details", { class: "more-joint" },
      el("summary", { text: `${rows.length - TOP_JOINT} less likely joint actions` }));
    // bars show marginal probabilities (the action is taken); a move that is
    // not always reached also shows its reach and each action's conditional
    // probability (given the move is reached)
    const reach = rows[0].reach;
    const reached = reach < 0.9995 ? ` (reached ${pct(reach)}; bars: marginal, then given reached)` : "";
    const group = el("div", { class: "actor", id: `actions-${actor}-${move}` },
      el("h3", { text: `${actors.get(actor) || actor}: ${move}${reached}` }));
    for (const r of rows) {
      const fill = el("div", { class: "fill" });
      fill.style.width = pct(r.probability);
      const track = el("div", { class: "track" }, fill);
      const value = el("span", { class: "pct", text: pct(r.probability) });
      if (reach < 0.9995 && r.conditional !== null) {
        value.append(el("small", { class: "conditional", text: ` ${pct(r.conditional)} if reached` }));
      }
      if (forecast.draws > 0) {
        // the 90% interval of the probability across draws, and how often
        // this action is the actor's most likely one
        const band = el("div", { class: "band", title: `90% of draws: ${pct(r.p05)} to ${pct(r.p95)}` });
        band.style.left = pct(r.p05);
        band.style.width = pct(Math.max(r.p95 - r.p05, 0.002));
        track.append(band);
        value.append(el("small", { class: "interval", text: `${pct(r.p05)}–${pct(r.p95)}` }));
      }
      // what the number rests on: the share of its swing from judged numbers,
      // and the same draws under best responses (no noise)
      const name = `${r.actor}:${r.move}:${r.action}`;
      const judged = (forecast.judgement?.outputs || []).find((o) => o.name === name);
      const noise = (forecast.noise?.actions || []).find((o) => o.name === name);
      const notes = [];
      if (noise && noise.best_response !== null) {
        const by = forecast.noise.best_response_concept === "logit-limit" ? " (logit limit)" : "";
        notes.push(`best response${by} ${pct(noise.best_response)}`);
      }
      if (noise && noise.lambda_s1 !== null) notes.push(`${pct(noise.lambda_s1)} of its variance from λ`);
      if (judged && judged.judgement_share !== null) notes.push(`${pct(judged.judgement_share)} of its swing from judgement`);
      const into = joint && rows.indexOf(r) >= TOP_JOINT ? folded : group;
      into.append(el("div", { class: "bar", "data-actor": r.actor, "data-action": r.action, "data-move": r.move },
        el("span", { text: r.label || r.action, title: r.action }), track, value));
      if (notes.length) into.append(el("div", { class: "assumptions", "data-action": r.action, text: notes.join("; ") }));
    }
    if (joint && rows.length > TOP_JOINT) group.append(folded);
    box.append(group);
  }
}

function drawPathways(forecast) {
  const names = state.scenario.metrics.map((m) => m.id).slice(0, 3);
  const head = $("pathways").tHead;
  head.replaceChildren(el("tr", {}, el("th", { text: "pathway" }), el("th", { class: "num", text: "probability" }),
    ...names.map((n) => el("th", { class: "num", text: n }))));
  const body = $("pathways").tBodies[0];
  body.replaceChildren();
  for (const p of forecast.pathways.slice(0, 8)) {
    body.append(el("tr", {},
      el("td", { text: p.path.map(([a, b]) => `${a}: ${b}`).join(" → ") }),
      el("td", { class: "num", text: pct(p.probability) }),
      ...names.map((n) => el("td", { class: "num", text: num(p.metrics[n]) }))));
  }
}

function drawMetrics(forecast) {
  const body = $("metrics").tBodies[0];
  body.replaceChildren();
  for (const m of state.scenario.metrics) {
    body.append(el("tr", { id: `metric-${m.id}` },
      el("td", { text: m.id, title: m.description }),
      el("td", { class: "num", text: num(forecast.metrics[m.id]) }),
      el("td", { text: m.unit })));
  }
}

function drawExplanation(explanation) {
  const list = $("explanation");
  list.replaceChildren();
  for (const d of explanation.decisions) list.append(el("li", { text: d.text }));
}

const COLOURS = ["#3b6ea8", "#c0392b", "#2e8b57", "#b8860b", "#6a5acd", "#8b4513", "#008b8b", "#708090"];

function svg(tag, attrs = {}, text = "") {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function drawTrajectories(run, issue) {
  // positions per turn, one line per actor; the forecast dashed
  const chart = $("bargain-chart");
  chart.replaceChildren();
  const W = 640, H = 260, L = 40, R = 110, T = 10, B = 30;
  chart.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const [lo, hi] = issue.scale;
  const turns = run.turns.length - 1;
  const x = (t) => L + (W - L - R) * (turns ? t / turns : 0);
  const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  chart.append(svg("line", { x1: L, y1: y(lo), x2: W - R, y2: y(lo), stroke: "#aab3bd" }));
  chart.append(svg("line", { x1: L, y1: y(lo), x2: L, y2: y(hi), stroke: "#aab3bd" }));
  for (const v of [lo, (lo + hi) / 2, hi]) chart.append(svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", fill: "#45505c" }, num(v)));
  chart.append(svg("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", fill: "#45505c" }, `turn (0 to ${turns})`));
  const actors = Object.keys(run.turns[0].positions);
  actors.forEach((a, k) => {
    const points = run.turns.map((turn, t) => `${x(t)},${y(turn.positions[a][0])}`).join(" ");
    const colour = COLOURS[k % COLOURS.length];
    chart.append(svg("polyline", { points, fill: "none", stroke: colour, "stroke-width": 2, "data-actor": a }));
  });
  // labels at the final positions, pushed apart where actors end together
  const f = run.forecast[0];
  const labels = actors.map((a, k) => ({ text: a, colour: COLOURS[k % COLOURS.length], y: y(run.turns[turns].positions[a][0]) + 4 }));
  labels.push({ text: "forecast", colour: "#1d2733", y: y(f) + 4 });
  labels.sort((p, q) => p.y - q.y);
  for (let k = 1; k < labels.length; k++) labels[k].y = Math.max(labels[k].y, labels[k - 1].y + 12);
  for (const l of labels) chart.append(svg("text", { x: W - R + 6, y: l.y, fill: l.colour }, l.text));
  chart.append(svg("line", { x1: L, y1: y(f), x2: W - R, y2: y(f), stroke: "#1d2733", "stroke-dasharray": "5 4" }));
}

async function bargain(id, values, draws) {
  const issue = state.scenario.issues[0];
  if (!issue) return;
  const model = $("bargain-model").value;
  const body = { issue: issue.id, model, values };
  if (draws) { body.draws = draws; body.seed = 1; }
  const data = await api(`/api/scenarios/${state.scenario.id}/bargain`, body);
  if (id !== state.request) return;
  const summary = $("bargain-summary");
  if (data.draws) {
    const s = data.draws;
    const line = (name, d) => `${name} ${num(d.mean)} (90% of draws ${num(d.p05)} to ${num(d.p95)})`;
    summary.textContent = [line("forecast", s.forecast),
      ...Object.entries(s.baselines).map(([k, d]) => line(k.replace("_", " "), d))].join("; ");
    $("bargain-chart").replaceChildren();
    $("bargain-chart").style.display = "none"; // trajectories are per draw: none to show
  } else {
    const run = data.run;
    summary.textContent = `forecast ${num(run.forecast[0])} after ${run.turns.length - 1} turns; ` +
      `weighted mean ${num(run.baselines.weighted_mean[0])}, weighted median ${num(run.baselines.weighted_median[0])}`;
    $("bargain-chart").style.display = "";
    drawTrajectories(run, issue);
  }
  summary.dataset.model = model;
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(solve, 120);
}

async function solve() {
  const id = ++state.request;
  const concept = $("concept").value;
  const body = { values: state.values, concept };
  if (hasLambda(concept) && $("lambda").value !== "") body.lambda = Number($("lambda").value);
  if ($("uncertain").checked) {
    body.draws = Number($("draws").value);
    body.seed = 1; // the same draws for every what-if: differences come from the sliders
  }
  setStatus("solving…");
  const t0 = performance.now();
  try {
    const data = await api(`/api/scenarios/${state.scenario.id}/forecast`, body);
    if (id !== state.request) return; // a newer request is on its way
    drawActions(data.forecast);
    drawPathways(data.forecast);
    drawMetrics(data.forecast);
    drawExplanation(data.explanation);
    drawInformation(data.forecast);
    await bargain(id, state.values, body.draws || 0);
    const changed = Object.entries(state.values).map(([k, v]) => `${k} = ${num(v)}`);
    const over = data.forecast.draws > 0 ? `over ${data.forecast.draws} draws of the other parameters` : "at the central values";
    $("whatif").textContent = changed.length ? `What if: ${changed.join(", ")} (${over})` : (data.forecast.draws > 0 ? `Over ${data.forecast.draws} parameter draws; bars show the mean, the dark band 90% of draws` : "");
    setStatus(`solved in ${Math.round(performance.now() - t0)} ms`);
    document.body.dataset.solved = String(id);
  } catch (error) {
    if (id === state.request) setStatus(error.message, true);
  }
}

function drawViews(scenario) {
  // the scenario's named views; compared on request (common draws, Shapley)
  $("views").hidden = !scenario.views.length;
  $("views-list").textContent = scenario.views.map((v) => `${v.id}: ${v.description}`).join(" · ");
  setViewsStatus("");
  $("views-table").tHead.replaceChildren();
  $("views-table").tBodies[0].replaceChildren();
  $("views-drivers").replaceChildren();
}

// the comparison reports in its own line (and body[data-compared]): a
// forecast started meanwhile by a slider or the draws field writes the page's
// status line, and must not hide whether the comparison answered
function setViewsStatus(text, error = false) {
  const line = $("views-status");
  line.textContent = text;
  line.classList.toggle("error", error);
}

async function compareViews() {
  const draws = Number($("draws").value) || 500;
  delete document.body.dataset.compared;
  setViewsStatus("comparing views…");
  let data;
  try {
    data = await api(`/api/scenarios/${state.scenario.id}/compare`, { draws, seed: 1 });
  } catch (error) {
    setViewsStatus(error.message, true);
    document.body.dataset.compared = "error";
    throw error;
  }
  const head = $("views-table").tHead;
  head.replaceChildren(el("tr", {}, el("th", { text: "action or metric" }),
    ...data.views.map((v) => el("th", { class: "num", text: v }))));
  const body = $("views-table").tBodies[0];
  body.replaceChildren();
  const names = Object.keys(data.forecasts[data.reference]);
  for (const name of names) {
    body.append(el("tr", {}, el("td", { text: name }),
      ...data.views.map((v) => el("td", { class: "num", text: num(data.forecasts[v][name].mean) }))));
  }
  const box = $("views-drivers");
  box.replaceChildren();
  for (const [view, d] of Object.entries(data.decompositions)) {
    const top = data.tells_apart[view].slice(0, 3);
    const lines = top.map((t) => {
      const parts = d.elements.map((e) => `${e} ${d.contributions[e][t.action] >= 0 ? "+" : ""}${num(d.contributions[e][t.action])}`);
      return `${t.action}: ${num(t.reference)} → ${num(t.view)} (${parts.join(", ")})`;
    });
    box.append(el("h3", { text: `${view} against ${data.reference} (${d.method})` }),
      el("ul", {}, ...lines.map((l) => el("li", { text: l }))));
  }
  setViewsStatus(`views compared on ${data.draws} draws`);
  document.body.dataset.compared = String(data.draws);
}

async function loadScenario(id) {
  state.scenario = await api(`/api/scenarios/${id}`);
  state.values = {};
  $("title").textContent = `${state.scenario.title} (as of ${state.scenario.as_of})`;
  // a declared mixture of concepts is the scenario's own choice: offer it
  const mixture = Object.entries(state.scenario.solve.mixture || {});
  $("concept").querySelector('option[value="mixture"]')?.remove();
  if (mixture.length) {
    $("concept").append(el("option", { value: "mixture", text: "MIXTURE",
      title: mixture.map(([c, w]) => `${c} ${w}`).join(" + ") }));
  }
  $("concept").value = state.scenario.solve.concept;
  // a drawn lambda stays drawn unless the user types one
  $("lambda").value = state.scenario.solve.lambda_drawn ? "" : (state.scenario.solve.lambda ?? "");
  $("lambda").placeholder = state.scenario.solve.lambda_drawn ? "drawn" : "";
  drawViews(state.scenario);
  $("lambda-label").hidden = !hasLambda($("concept").value);
  drawParameters(state.scenario);
  const issue = state.scenario.issues[0];
  $("bargaining").hidden = !issue;
  if (issue) {
    $("issue-title").textContent = issue.id;
    $("issue-description").textContent = `${issue.description} (actors: ${issue.actors.join(", ")})`;
  }
  await solve();
}

// The solution concepts and bargaining models come from the API's registries
// (GET /api/concepts, /api/bargaining-models), never from a list in this file.
function hasLambda(name) {
  if (name === "mixture") return Object.keys(state.scenario?.solve.mixture || {}).some(hasLambda);
  const concept = state.concepts.find((c) => c.name === name);
  return Boolean(concept && concept.parameters.some((p) => p.name === "lambda"));
}

async function loadChoices() {
  state.concepts = (await api("/api/concepts")).filter((c) => c.forecasts);
  for (const c of state.concepts) $("concept").append(el("option", { value: c.name, text: c.name.toUpperCase(), title: c.description }));
  const models = await api("/api/bargaining-models");
  for (const m of models) $("bargain-model").append(el("option", { value: m.name, text: m.title, title: m.description }));
  if (models.some((m) => m.name === "smp")) $("bargain-model").value = "smp";
}

// a crisis scenario (sliders, forecast) or an alignment scenario (every UN member)
async function openView(value) {
  const isAlignment = value.startsWith("alignment:");
  $("crisis-view").hidden = isAlignment;
  $("crisis-controls").hidden = isAlignment;
  $("alignment-view").hidden = !isAlignment;
  $("align-controls").hidden = !isAlignment;
  if (isAlignment) await loadAlignment(value.slice("alignment:".length));
  else await loadScenario(value);
}

async function main() {
  try {
    await loadChoices();
    const scenarios = await api("/api/scenarios");
    const alignments = await api("/api/alignments");
    const select = $("scenario");
    // crisis scenarios by id; alignment scenarios (all UN members) as "alignment:ID"
    const crises = el("optgroup", { label: "Crises" }, ...scenarios.map((s) => el("option", { value: s.id, text: s.title })));
    const members = el("optgroup", { label: "All UN members" },
      ...alignments.map((s) => el("option", { value: `alignment:${s.id}`, text: s.title })));
    if (scenarios.length) select.append(crises);
    if (alignments.length) select.append(members);
    const wanted = new URLSearchParams(location.search).get("scenario");
    if (wanted && scenarios.some((s) => s.id === wanted)) select.value = wanted;
    else if (wanted && alignments.some((s) => s.id === wanted)) select.value = `alignment:${wanted}`;
    select.addEventListener("change", () => openView(select.value).catch((e) => setStatus(e.message, true)));
    $("concept").addEventListener("change", () => {
      $("lambda-label").hidden = !hasLambda($("concept").value);
      schedule();
    });
    $("lambda").addEventListener("input", schedule);
    $("compare").addEventListener("click", () => compareViews().catch((e) => setStatus(e.message, true)));
    $("uncertain").addEventListener("change", schedule);
    $("bargain-model").addEventListener("change", schedule);
    $("draws").addEventListener("change", schedule);
    $("reset").addEventListener("click", () => loadScenario(select.value));
    initAlignment();
    await openView(select.value);
  } catch (error) {
    setStatus(error.message, true);
  }
}

// after every script of the page has run (information.js, alignment.js)
document.addEventListener("DOMContentLoaded", main);
