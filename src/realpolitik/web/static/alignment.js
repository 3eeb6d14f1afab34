// realpolitik dashboard: the alignment view (all UN members choosing how to
// vote; POST /api/alignments/{id}/forecast). Members ranked by P(yes) - P(no)
// as stacked columns (a map needs country shapes the page does not ship), the
// expected tally with the distribution of simulated roll calls, a searchable
// table, and for the chosen member the terms behind its most likely vote.
// Helpers ($, el, svg, pct, num, api, setStatus) come from dashboard.js.
"use strict";

const VOTE_COLOURS = { yes: "#2b8cbe", abstain: "#bdbdbd", absent: "#e6e6e6", no: "#d7301f" };
const VOTE_STACK = ["yes", "abstain", "absent", "no"];
const REGION_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"];

const alignment = { id: null, detail: null, data: null, members: [], selected: null, request: 0 };

async function loadAlignment(id) {
  alignment.id = id;
  alignment.selected = null;
  alignment.detail = await api(`/api/alignments/${id}`);
  const d = alignment.detail;
  $("title").textContent = d.title.includes(d.as_of) ? d.title : `${d.title} (as of ${d.as_of})`;
  $("align-question").textContent = d.question;
  $("align-crisis").replaceChildren(...d.crisis.map((p) => el("li", {},
    el("strong", { text: p.name }), `: ${p.description} `,
    el("span", { class: "hint", text: `(${p.distribution.type} ${Object.entries(p.distribution).filter(([k]) => k !== "type").map(([k, v]) => `${k} ${num(v)}`).join(", ")}; ` +
      (p.source ? `source: ${p.source.cite || p.source.id}${p.source.date ? " [" + p.source.date + "]" : ""}` : "") +
      (p.judgement ? `${p.source ? "; " : ""}judgement: ${p.judgement}` : "") + ")" }))));
  $("align-model").textContent = `Covariates: ${d.covariates.join(", ")}; peers: members of the same UN ${d.peer_groups}; ` +
    `coefficients fitted on ${d.fitted_on}.`;
  await solveAlignment();
}

async function solveAlignment() {
  const id = ++alignment.request;
  const draws = Math.max(1, Math.min(20000, Number($("align-draws").value) || 1));
  setStatus("solving every member's vote…");
  const t0 = performance.now();
  try {
    const data = await api(`/api/alignments/${alignment.id}/forecast`, { draws, seed: 0 });
    if (id !== alignment.request) return;
    alignment.data = data.forecast;
    alignment.members = data.members.map((m) => ({ ...m, p: data.forecast.countries[m.iso3] }));
    drawTally(data.forecast);
    drawRanked();
    drawMemberTable();
    drawMember(alignment.selected || mostUncertain());
    setStatus(`solved ${alignment.members.length} members over ${data.forecast.draws} draws in ${Math.round(performance.now() - t0)} ms`);
    document.body.dataset.aligned = String(id);
  } catch (error) {
    if (id === alignment.request) setStatus(error.message, true);
  }
}

// the member nearest an even split between condemning and not: the one a
// reader most likely wants to look at first
function mostUncertain() {
  const sorted = [...alignment.members].sort((a, b) => Math.abs(a.p.yes - 0.5) - Math.abs(b.p.yes - 0.5));
  return sorted[0]?.iso3 || null;
}

function drawTally(forecast) {
  const t = forecast.tally;
  const body = $("align-tally").tBodies[0];
  body.replaceChildren();
  for (const c of alignment.detail.choices) {
    body.append(el("tr", { "data-choice": c },
      el("td", { text: c }), el("td", { class: "num expected", text: t.expected[c].toFixed(1) }),
      el("td", { class: "num", text: String(t.p50[c]) }),
      el("td", { class: "num range", text: `${t.p05[c]}–${t.p95[c]}` })));
  }
  // the distribution of each count over simulated roll calls
  const box = $("align-histograms");
  box.replaceChildren();
  for (const c of alignment.detail.choices) {
    const counts = t.distribution[c];
    const nonzero = counts.map((n, k) => (n ? k : -1)).filter((k) => k >= 0);
    const lo = Math.max(0, nonzero[0] - 1), hi = Math.min(counts.length - 1, nonzero[nonzero.length - 1] + 1);
    const W = 200, H = 90, B = 18, top = Math.max(...counts);
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "data-choice": c,
      "aria-label": `distribution of the ${c} count` });
    const bw = W / (hi - lo + 1);
    for (let k = lo; k <= hi; k++) {
      const h = (H - B - 12) * (counts[k] / top);
      chart.append(svg("rect", { x: (k - lo) * bw, y: H - B - h, width: Math.max(bw - 0.5, 0.5), height: h, fill: VOTE_COLOURS[c], stroke: "#8a96a3", "stroke-width": 0.2 }));
    }
    const ex = (t.expected[c] - lo + 0.5) * bw;
    chart.append(svg("line", { x1: ex, x2: ex, y1: 10, y2: H - B, stroke: "#1d2733" }));
    chart.append(svg("text", { x: 2, y: H - 4, fill: "#45505c" }, String(lo)));
    chart.append(svg("text", { x: W - 2, y: H - 4, fill: "#45505c", "text-anchor": "end" }, String(hi)));
    chart.append(svg("text", { x: W / 2, y: 9, fill: "#1d2733", "text-anchor": "middle" }, `${c}: expected ${t.expected[c].toFixed(1)}`));
    box.append(chart);
  }
}

function ranked() {
  return [...alignment.members].sort((a, b) => (b.p.yes - b.p.no) - (a.p.yes - a.p.no) || b.p.yes - a.p.yes);
}

function matches(member, query) {
  if (!query) return true;
  const q = query.trim().toLowerCase();
  return member.iso3.toLowerCase() === q || member.name.toLowerCase().includes(q);
}

function drawRanked() {
  const chart = $("align-chart");
  chart.replaceChildren();
  const members = ranked();
  const n = members.length, bw = 5, L = 30, T = 6, H = 220, strip = 10, W = L + n * bw + 4;
  chart.setAttribute("viewBox", `0 0 ${W} ${T + H + strip + 18}`);
  const y = (p) => T + H * (1 - p);
  for (const p of [0, 0.5, 1]) {
    chart.append(svg("text", { x: L - 4, y: y(p) + 4, "text-anchor": "end", fill: "#45505c" }, `${100 * p}%`));
  }
  const regions = [...new Set(members.map((m) => m.region))].sort();
  members.forEach((m, k) => {
    const g = svg("g", { class: "member", "data-iso3": m.iso3 });
    let bottom = 0;
    for (const c of VOTE_STACK) {
      const p = m.p[c];
      g.append(svg("rect", { x: L + k * bw, y: y(bottom + p), width: bw, height: H * p, fill: VOTE_COLOURS[c] }));
      bottom += p;
    }
    // the 90% interval of P(yes) over draws (no length at the central values)
    const [lo, hi] = alignment.data.intervals[m.iso3].yes;
    g.append(svg("line", { class: "yes-interval", x1: L + (k + 0.5) * bw, x2: L + (k + 0.5) * bw, y1: y(lo), y2: y(hi),
      stroke: "#08306b", "stroke-width": 0.6 }));
    g.append(svg("rect", { x: L + k * bw, y: T + H + 2, width: bw, height: strip, fill: REGION_COLOURS[regions.indexOf(m.region) % REGION_COLOURS.length] }));
    g.append(svg("title", {}, `${m.name} (${m.iso3}, ${m.region}): ` + VOTE_STACK.map((c) => `${c} ${pct(m.p[c])}`).join(", ") +
      `; yes in 90% of draws: ${pct(lo)} to ${pct(hi)}`));
    g.addEventListener("click", () => drawMember(m.iso3));
    chart.append(g);
  });
  const legend = $("align-legend");
  legend.replaceChildren(
    ...VOTE_STACK.map((c) => el("span", { class: "key" }, swatchOf(VOTE_COLOURS[c]), c)),
    el("span", { class: "key" }, "│ yes, 90% of draws"),
    el("span", { class: "sep", text: "regions:" }),
    ...regions.map((r, k) => el("span", { class: "key" }, swatchOf(REGION_COLOURS[k % REGION_COLOURS.length]), r)));
  highlight();
}

function swatchOf(colour) {
  const s = el("span", { class: "swatch" });
  s.style.background = colour;
  return s;
}

function highlight() {
  const query = $("align-search").value;
  for (const g of $("align-chart").querySelectorAll("g.member")) {
    const m = alignment.members.find((x) => x.iso3 === g.dataset.iso3);
    g.classList.toggle("dim", Boolean(query) && !matches(m, query));
    g.classList.toggle("chosen", g.dataset.iso3 === alignment.selected);
  }
}

function drawMemberTable() {
  const query = $("align-search").value;
  const body = $("align-members").tBodies[0];
  body.replaceChildren();
  const shown = ranked().filter((m) => matches(m, query));
  const intervals = alignment.data.intervals;
  for (const m of shown) {
    const most = VOTE_STACK.reduce((best, c) => (m.p[c] > m.p[best] ? c : best), "yes");
    const [lo, hi] = intervals[m.iso3].yes;
    const row = el("tr", { "data-iso3": m.iso3 },
      el("td", { text: m.iso3 }), el("td", { text: m.name }), el("td", { text: m.region }),
      ...alignment.detail.choices.map((c) => el("td", { class: "num", "data-choice": c, text: pct(m.p[c]) })),
      el("td", { class: "num", text: `${pct(lo)}–${pct(hi)}` }),
      el("td", { text: most }));
    row.addEventListener("click", () => drawMember(m.iso3));
    body.append(row);
  }
  $("align-count").textContent = `${shown.length} of ${alignment.members.length} members` + (query ? ` match “${query}”` : "");
  highlight();
}

function drawMember(iso3) {
  const box = $("align-member");
  box.replaceChildren();
  alignment.selected = iso3;
  highlight();
  const m = alignment.members.find((x) => x.iso3 === iso3);
  const why = alignment.data?.reasons[iso3];
  if (!m || !why) return;
  box.dataset.iso3 = iso3;
  box.append(el("h3", { text: `${m.name} (${m.iso3}, ${m.region})` }),
    el("p", { class: "why", text: `Most likely ${why.choice} rather than ${why.versus}, by ${num(why.margin)} (logit payoff units, at the central values). ` +
      "Each term: how much it favours the most likely vote over the runner-up (negative: the other way)." }));
  const terms = Object.entries(why.terms);
  const scale = Math.max(...terms.map(([, v]) => Math.abs(v)), 1e-9);
  for (const [term, value] of terms) {
    const track = el("div", { class: "diverging" });
    const bar = el("div", { class: value >= 0 ? "pos" : "neg" });
    bar.style.width = pct(Math.abs(value) / scale / 2);
    if (value < 0) bar.style.right = "50%"; else bar.style.left = "50%";
    track.append(bar);
    box.append(el("div", { class: "term", "data-term": term },
      el("span", { text: term }), track, el("span", { class: "num value", text: (value >= 0 ? "+" : "") + num(value) })));
  }
}

function initAlignment() {
  $("align-search").addEventListener("input", drawMemberTable);
  $("align-draws").addEventListener("change", () => solveAlignment());
}
