// Sluice web console: polls the node's /api/* JSON every second (tools/sluiced/console_api.hpp)
// and draws the node's topics, partitions, consumer groups and a live throughput chart. No
// libraries: everything is served by sluiced itself.
"use strict";

const pollMs = 1000;
const historyPoints = 120;
const palette = ["#1f6feb", "#d1242f", "#1a7f37", "#bf8700", "#8250df", "#0a7ea4", "#cf222e", "#57606a"];

const state = {
  last: null,      // previous /api/topics answer, for rates
  history: [],     // [{t, total, perTopic: {name: rate}}]
  rates: {},       // "topic-partition" -> records/s
};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function numCell(v) { return el("td", { class: "num" }, v < 0 ? "-" : v.toLocaleString("en")); }

async function getJson(path) {
  const res = await fetch(path, { cache: "no-store" });
  if (!res.ok) throw new Error(path + ": " + res.status + " " + (await res.text()).trim());
  return res.json();
}

function renderCluster(c) {
  document.getElementById("node").textContent = "node " + c.node;
  const dl = document.getElementById("cluster");
  dl.replaceChildren();
  const produce = c.requests.find(r => r.kind === "produce") || { count: 0 };
  const fetches = c.requests.find(r => r.kind === "fetch") || { count: 0 };
  const items = [
    ["mode", c.controllers.length ? "cluster of " + c.controllers.length + " controllers" : "single node"],
    ["actors", c.actors], ["queued messages", c.queued], ["scheduler threads", c.scheduler_threads],
    ["produce requests", produce.count], ["fetch requests", fetches.count],
  ];
  for (const [k, v] of items) dl.append(el("div", {}, el("dt", {}, k), el("dd", {}, v)));
}

// Rates from the change of each partition's log end between two answers.
function updateRates(topics) {
  const now = topics.taken_unix_ms;
  const ends = {};
  for (const t of topics.topics)
    for (const p of t.partitions) ends[t.name + "-" + p.partition] = { topic: t.name, end: p.log_end };
  const point = { t: now, total: 0, perTopic: {} };
  if (state.last && now > state.last.t) {
    const dt = (now - state.last.t) / 1000;
    for (const [key, v] of Object.entries(ends)) {
      const before = state.last.ends[key];
      const rate = before && v.end >= before.end ? (v.end - before.end) / dt : 0;
      state.rates[key] = rate;
      if (v.topic.startsWith("__")) continue;
      point.total += rate;
      point.perTopic[v.topic] = (point.perTopic[v.topic] || 0) + rate;
    }
  }
  state.last = { t: now, ends };
  state.history.push(point);
  if (state.history.length > historyPoints) state.history.shift();
}

function renderTopics(topics) {
  const showInternal = document.getElementById("show-internal").checked;
  const body = document.querySelector("#topics tbody");
  body.replaceChildren();
  for (const t of topics.topics) {
    if (t.internal && !showInternal) continue;
    for (const p of t.partitions) {
      const rate = state.rates[t.name + "-" + p.partition] || 0;
      body.append(el("tr", {},
        el("td", {}, t.name), numCell(p.partition), el("td", {}, p.error ? "error: " + p.error : p.role),
        numCell(p.leader), numCell(p.epoch), el("td", {}, p.replicas.join(",")),
        el("td", p.under_replicated ? { class: "under" } : {}, p.isr.join(",")),
        numCell(p.log_start), numCell(p.log_end), numCell(p.high_watermark), numCell(Math.round(rate))));
    }
  }
  if (!body.children.length)
    body.append(el("tr", {}, el("td", { colspan: 11 }, "no topics")));
}

function renderGroups(groups) {
  const body = document.querySelector("#groups tbody");
  body.replaceChildren();
  for (const g of groups.groups) {
    const rows = g.offsets.length ? g.offsets : [null];
    rows.forEach((o, i) => {
      const tr = el("tr", {});
      if (i === 0) {
        const span = { rowspan: rows.length };
        tr.append(el("td", span, g.group), el("td", span, g.error ? "error: " + g.error : g.state),
          el("td", span, g.generation), el("td", span, g.protocol || "-"), el("td", span, g.members.length));
      }
      if (o) {
        const lagClass = o.lag === 0 ? "lag zero" : "lag";
        tr.append(el("td", {}, o.topic + "-" + o.partition), numCell(o.committed), numCell(o.high_watermark),
          el("td", { class: "num " + lagClass }, o.lag < 0 ? "?" : o.lag.toLocaleString("en")));
      } else {
        tr.append(el("td", { colspan: 4 }, "no committed offsets"));
      }
      body.append(tr);
    });
  }
  if (!body.children.length)
    body.append(el("tr", {}, el("td", { colspan: 9 }, "no consumer groups on this node")));
}

function drawChart() {
  const canvas = document.getElementById("chart");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, left = 70, bottom = 24, top = 10;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#fbfcfe";
  ctx.fillRect(left, top, w - left - 10, h - top - bottom);
  const topicsSeen = new Set();
  for (const p of state.history) for (const t of Object.keys(p.perTopic)) topicsSeen.add(t);
  const names = [...topicsSeen].sort();
  let max = 1;
  for (const p of state.history) max = Math.max(max, p.total);
  max = niceCeil(max);
  // Grid and labels.
  ctx.strokeStyle = "#d8dee6";
  ctx.fillStyle = "#6b7785";
  ctx.font = "12px sans-serif";
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + (h - top - bottom) * (1 - i / 4);
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w - 10, y); ctx.stroke();
    const v = max * i / 4;
    ctx.fillText(max < 10 ? v.toFixed(2) : Math.round(v).toLocaleString("en"), 4, y + 4);
  }
  ctx.fillText("-" + Math.round(historyPoints * pollMs / 1000) + " s", left, h - 6);
  ctx.fillText("now", w - 40, h - 6);
  const x = i => left + (w - left - 10) * (i + historyPoints - state.history.length) / (historyPoints - 1);
  const y = v => top + (h - top - bottom) * (1 - v / max);
  const line = (color, value, width) => {
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.beginPath();
    state.history.forEach((p, i) => (i ? ctx.lineTo(x(i), y(value(p))) : ctx.moveTo(x(i), y(value(p)))));
    ctx.stroke();
  };
  // The total as a filled area, then one line per topic.
  if (state.history.length > 1) {
    ctx.fillStyle = "rgba(31, 111, 235, 0.12)";
    ctx.beginPath(); ctx.moveTo(x(0), y(0));
    state.history.forEach((p, i) => ctx.lineTo(x(i), y(p.total)));
    ctx.lineTo(x(state.history.length - 1), y(0)); ctx.closePath(); ctx.fill();
    line("#0b3d91", p => p.total, 2.5);
    names.forEach((n, i) => line(palette[(i + 1) % palette.length], p => p.perTopic[n] || 0, 1.5));
  }
  const legend = document.getElementById("legend");
  legend.replaceChildren(el("span", { style: "--c: #0b3d91" }, "all topics"));
  names.forEach((n, i) => legend.append(el("span", { style: "--c: " + palette[(i + 1) % palette.length] }, n)));
}

function niceCeil(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

async function poll() {
  const status = document.getElementById("status");
  try {
    const [cluster, topics, groups] = await Promise.all(
      ["/api/cluster", "/api/topics", "/api/groups"].map(getJson));
    renderCluster(cluster);
    updateRates(topics);
    renderTopics(topics);
    renderGroups(groups);
    status.textContent = "updated " + new Date(topics.taken_unix_ms).toLocaleTimeString("en-GB");
    status.classList.remove("down");
  } catch (e) {
    status.textContent = "node unreachable: " + e.message;
    status.classList.add("down");
  }
  drawChart();
}

document.getElementById("show-internal").addEventListener("change", () => state.last && poll());
drawChart();
poll();
setInterval(poll, pollMs);
