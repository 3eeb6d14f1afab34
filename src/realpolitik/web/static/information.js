// realpolitik dashboard: what a forecast computes beyond who does what, drawn
// when the scenario has it (the forecast JSON's optional parts):
//   dimension_detail  compound moves: each dimension's level marginals, beside
//                     the move's most likely joint actions
//   type_conditional  each actor's action probabilities given each private type
//   beliefs           at information sets that hide part of the path: what the
//                     mover observed, how likely it is reached, its posterior
//   rounds            per-round probabilities (in the round, by the round)
//   judgement, noise  provenance: which results rest on judgement alone, how
//                     much of each probability λ's noise explains
// Helpers ($, el, svg, pct, num, COLOURS, state) come from dashboard.js.
"use strict";

// joint actions listed per compound move before the rest fold away
const TOP_JOINT = 5;
// information sets listed before the rest fold away
const TOP_BELIEFS = 8;

function groupBy(rows, key) {
  const groups = new Map();
  for (const row of rows) {
    const k = key(row);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(row);
  }
  return groups;
}

function actorName(id) {
  const actor = (state.scenario?.actors || []).find((a) => a.id === id);
  return actor ? actor.name : id;
}

// a probability bar: label, track with fill (and the 90% band across draws
// when given), value
function probabilityBar(label, p, attrs, band) {
  const fill = el("div", { class: "fill" });
  fill.style.width = pct(p ?? 0);
  const track = el("div", { class: "track" }, fill);
  const value = el("span", { class: "pct", text: p === null || p === undefined ? "–" : pct(p) });
  if (band && band.p05 !== null && band.p95 !== null) {
    const b = el("div", { class: "band", title: `90% of draws: ${pct(band.p05)} to ${pct(band.p95)}` });
    b.style.left = pct(band.p05);
    b.style.width = pct(Math.max(band.p95 - band.p05, 0.002));
    track.append(b);
    value.append(el("small", { class: "interval", text: `${pct(band.p05)}–${pct(band.p95)}` }));
  }
  return el("div", { class: "bar", ...attrs }, el("span", { text: label, title: label }), track, value);
}

// moves of compound actions: those with dimension rows
function compoundMoves(forecast) {
  return new Set((forecast.dimension_detail || []).map((d) => `${d.actor}/${d.move}`));
}

function drawDimensions(forecast) {
  const rows = forecast.dimension_detail || [];
  $("dimensions-panel").hidden = !rows.length;
  const box = $("dimensions");
  box.replaceChildren();
  const draws = forecast.draws > 0;
  for (const [key, levels] of groupBy(rows, (r) => `${r.actor}/${r.move}`)) {
    const [actor, move] = key.split("/");
    const dims = el("div", { class: "dims" });
    for (const [dimension, group] of groupBy(levels, (r) => r.dimension)) {
      dims.append(el("h4", { text: dimension }));
      for (const r of group) {
        dims.append(probabilityBar(r.label || r.level, r.probability,
          { "data-actor": actor, "data-move": move, "data-dimension": dimension, "data-level": r.level },
          draws ? r : null));
        // what the level rests on: the share of its own swing from judged numbers
        const judged = (forecast.judgement?.outputs || [])
          .find((o) => o.name === `${actor}:${move}:${dimension}=${r.level}`);
        if (judged && judged.judgement_share !== null) {
          dims.append(el("div", { class: "assumptions", "data-dimension": dimension, "data-level": r.level,
            text: `${pct(judged.judgement_share)} of its swing from judgement` }));
        }
      }
    }
    // the move's joint actions, most likely first
    const joint = forecast.action_detail
      .filter((r) => r.actor === actor && r.move === move)
      .sort((a, b) => b.probability - a.probability);
    const table = el("table", { class: "joint" },
      el("thead", {}, el("tr", {}, el("th", { text: "joint action" }), el("th", { class: "num", text: "probability" }))));
    const body = el("tbody");
    joint.slice(0, TOP_JOINT).forEach((r, k) => body.append(el("tr", { "data-action": r.action, "data-rank": String(k + 1) },
      el("td", { text: r.action, title: r.label }), el("td", { class: "num", text: pct(r.probability) }))));
    table.append(body);
    const rest = joint.length - Math.min(TOP_JOINT, joint.length);
    const side = el("div", { class: "joint-side" },
      el("h4", { text: `Most likely joint actions (${Math.min(TOP_JOINT, joint.length)} of ${joint.length})` }), table);
    if (rest > 0) {
      const left = 1 - joint.slice(0, TOP_JOINT).reduce((s, r) => s + r.probability, 0);
      side.append(el("p", { class: "hint", text: `${rest} more joint actions share ${pct(Math.max(left, 0))}` }));
    }
    box.append(el("div", { class: "compound", id: `dimensions-${actor}-${move}` },
      el("h3", { text: `${actorName(actor)}: ${move}` }), dims, side));
  }
}

function drawTypes(forecast) {
  const typed = forecast.type_conditional || {};
  const keys = Object.keys(typed);
  $("types-panel").hidden = !keys.length;
  const box = $("types");
  box.replaceChildren();
  for (const subject of keys) {
    const types = Object.keys(typed[subject]);
    const head = el("tr", {}, el("th", { text: "actor" }), el("th", { text: "move: action" }),
      ...types.map((t) => el("th", { class: "num", text: `given ${t}` })));
    const body = el("tbody");
    const first = typed[subject][types[0]];
    for (const actor of Object.keys(first)) {
      for (const action of Object.keys(first[actor])) {
        const cells = types.map((t) => {
          const p = typed[subject][t][actor]?.[action];
          const cell = el("td", { class: "num typed", "data-type": t, text: p === null || p === undefined ? "–" : pct(p) });
          if (p !== null && p !== undefined) cell.style.setProperty("--p", pct(p));
          return cell;
        });
        body.append(el("tr", { "data-actor": actor, "data-action": action },
          el("td", { text: actorName(actor) }), el("td", { text: action }), ...cells));
      }
    }
    box.append(el("h3", { text: `${actorName(subject.replace(/\.type$/, ""))}'s private type (${subject})` }),
      el("table", { class: "types", "data-subject": subject }, el("thead", {}, head), body));
  }
}

const observedText = (observed) => observed.length
  ? observed.map(([subject, level]) => `${subject} = ${level}`).join(", ")
  : "nothing yet";

function drawBeliefs(forecast) {
  const sets = (forecast.beliefs || []).filter((b) => b.reach_probability !== null && b.reach_probability > 0);
  $("beliefs-panel").hidden = !(forecast.beliefs || []).length;
  const box = $("beliefs");
  box.replaceChildren();
  sets.sort((a, b) => b.reach_probability - a.reach_probability);
  const never = (forecast.beliefs || []).length - sets.length;
  $("beliefs-note").textContent = `${sets.length} information sets reached` +
    (never ? ` (${never} never reached at these values, not shown)` : "") +
    "; most likely first. Bars: the mover's posterior over what it cannot see (Bayes' rule on the path).";
  const shown = el("div", { class: "belief-grid" });
  const folded = el("details", {}, el("summary", { text: `${Math.max(sets.length - TOP_BELIEFS, 0)} less likely information sets` }),
    el("div", { class: "belief-grid" }));
  sets.forEach((b, k) => {
    const card = el("div", { class: "belief", "data-actor": b.actor, "data-move": b.move,
      "data-observed": observedText(b.observed) },
      el("h4", { text: `${actorName(b.actor)} at ${b.move}, having seen ${observedText(b.observed)}` }),
      el("p", { class: "hint reach", text: `reached with probability ${pct(b.reach_probability)}` }));
    for (const [subject, levels] of Object.entries(b.beliefs)) {
      card.append(el("div", { class: "subject", text: `belief about ${subject}` }));
      for (const [level, p] of Object.entries(levels)) {
        card.append(probabilityBar(level, p, { "data-subject": subject, "data-level": level }, null));
      }
    }
    (k < TOP_BELIEFS ? shown : folded.lastChild).append(card);
  });
  box.append(shown);
  if (sets.length > TOP_BELIEFS) box.append(folded);
}

// a small line chart of per-round probabilities: one colour per series,
// solid "in round", dashed "by round"
function roundsChart(series, rounds) {
  const W = 300, H = 150, L = 34, R = 26, T = 8, B = 22;
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "rounds-chart" });
  const x = (r) => L + (W - L - R) * (rounds > 1 ? (r - 1) / (rounds - 1) : 0.5);
  const y = (p) => T + (H - T - B) * (1 - p);
  chart.append(svg("line", { x1: L, y1: y(0), x2: W - R, y2: y(0), stroke: "#aab3bd" }));
  chart.append(svg("line", { x1: L, y1: y(0), x2: L, y2: y(1), stroke: "#aab3bd" }));
  for (const p of [0, 0.5, 1]) chart.append(svg("text", { x: L - 4, y: y(p) + 4, "text-anchor": "end", fill: "#45505c" }, pct(p).replace(".0", "")));
  for (let r = 1; r <= rounds; r++) chart.append(svg("text", { x: x(r), y: H - 6, "text-anchor": "middle", fill: "#45505c" }, `round ${r}`));
  series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length];
    for (const [values, dash] of [[s.in_round, ""], [s.by_round, "5 3"]]) {
      if (!values) continue;
      const points = values.map((p, r) => (p === null ? null : `${x(r + 1)},${y(p)}`)).filter(Boolean).join(" ");
      chart.append(svg("polyline", { points, fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": dash, "data-series": s.name }));
    }
  });
  return chart;
}

function roundsTable(series, rounds) {
  const head = el("tr", {}, el("th", { text: "" }),
    ...Array.from({ length: rounds }, (_, r) => el("th", { class: "num", text: `round ${r + 1}` })));
  const body = el("tbody");
  series.forEach((s, k) => {
    for (const [kind, values] of [["in_round", s.in_round], ["by_round", s.by_round]]) {
      if (!values) continue;
      const swatch = el("span", { class: `swatch ${kind}` });
      swatch.style.borderColor = COLOURS[k % COLOURS.length];
      body.append(el("tr", { "data-series": s.name, "data-kind": kind },
        el("td", {}, swatch, `${s.name} ${kind === "in_round" ? "in round" : "by round"}`),
        ...values.map((p) => el("td", { class: "num", text: p === null ? "–" : pct(p) }))));
    }
  });
  return el("table", { class: "rounds" }, el("thead", {}, head), body);
}

function drawRounds(forecast) {
  const box = $("rounds");
  box.replaceChildren();
  const blocks = [];
  for (const [actor, moves] of Object.entries(forecast.rounds || {})) {
    for (const [move, actions] of Object.entries(moves)) {
      const series = Object.entries(actions).map(([name, v]) => ({ name, in_round: v.in_round, by_round: v.by_round }));
      blocks.push({ actor, move, series, note: "solid: in the round; dashed: at least once by the round" });
    }
  }
  // compound moves in rounds: each level's probability in each round, from
  // the dimension marginals of move@1, move@2, ...
  const staged = (forecast.dimension_detail || []).filter((d) => /@\d+$/.test(d.move));
  for (const [key, rows] of groupBy(staged, (d) => `${d.actor}/${d.move.replace(/@\d+$/, "")}`)) {
    const [actor, move] = key.split("/");
    const rounds = Math.max(...rows.map((d) => Number(d.move.split("@").pop())));
    const series = [...groupBy(rows, (d) => `${d.dimension}: ${d.level}`)].map(([name, group]) => {
      const values = Array(rounds).fill(null);
      for (const d of group) values[Number(d.move.split("@").pop()) - 1] = d.probability;
      return { name, in_round: values, by_round: null };
    });
    blocks.push({ actor, move, series, note: "each dimension's levels in each round" });
  }
  $("rounds-panel").hidden = !blocks.length;
  for (const b of blocks) {
    const rounds = Math.max(...b.series.map((s) => (s.in_round || s.by_round).length));
    box.append(el("div", { class: "round-block", id: `rounds-${b.actor}-${b.move}` },
      el("h3", { text: `${actorName(b.actor)}: ${b.move}` }),
      el("p", { class: "hint", text: b.note }),
      el("div", { class: "round-body" }, roundsChart(b.series, rounds), roundsTable(b.series, rounds))));
  }
}

// what the forecast rests on: the results whose swing comes (almost) wholly
// from numbers marked as judgement, each marked on its bar; and the noise:
// the largest gap from best responses, λ's share of the variance across draws
function drawProvenance(forecast) {
  const box = $("provenance");
  box.replaceChildren();
  const judgement = forecast.judgement;
  const noise = forecast.noise;
  const lines = [];
  if (judgement) {
    const alone = new Set(judgement.resting_on_judgement_alone);
    const total = judgement.outputs.length;
    lines.push(el("p", { id: "judgement-alone", "data-count": String(alone.size) },
      `${alone.size} of ${total} results rest on judgement alone (at least ${pct(judgement.threshold)} of their swing ` +
      `from the ${judgement.judgement_parameters.length} parameters marked as judgement)` +
      (alone.size ? "; marked “judgement alone” below." : ".")));
    for (const bar of document.querySelectorAll("#actions .bar")) {
      const name = `${bar.dataset.actor}:${bar.dataset.move}:${bar.dataset.action}`;
      if (alone.has(name)) {
        bar.firstChild.append(el("span", { class: "judged alone", title: "its swing comes from judgement parameters alone", text: "judgement alone" }));
      }
    }
  }
  if (noise) {
    const parts = [];
    const gaps = noise.actions.filter((a) => a.gap !== null);
    if (gaps.length) {
      const widest = gaps.reduce((a, b) => (Math.abs(b.gap) > Math.abs(a.gap) ? b : a));
      const by = noise.best_response_concept === "logit-limit" ? "the logit limit" : "the SPE";
      parts.push(`the largest gap from best responses (${by}): ${(100 * widest.gap).toFixed(1)} points (${widest.name})`);
    }
    const shares = noise.actions.filter((a) => a.lambda_s1 !== null);
    if (shares.length) {
      const most = shares.reduce((a, b) => (b.lambda_s1 > a.lambda_s1 ? b : a));
      parts.push(`λ explains up to ${pct(most.lambda_s1)} of a probability's variance across draws (${most.name})`);
    } else if (!noise.lambda_drawn) {
      parts.push("λ is not drawn, so none of the spread across draws is λ's");
    }
    if (noise.note) parts.push(noise.note);
    lines.push(el("p", { id: "noise-summary" }, `Noise (${noise.concept.toUpperCase()}): ${parts.join("; ")}.`));
  }
  box.hidden = !lines.length;
  box.append(...lines);
}

function drawInformation(forecast) {
  drawProvenance(forecast);
  drawDimensions(forecast);
  drawTypes(forecast);
  drawBeliefs(forecast);
  drawRounds(forecast);
}
