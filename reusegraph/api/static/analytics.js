// The analyst page: every plot is one query of analytics_queries/ sent to /graphql with
// the page's session cookie, so the same login and visibility as GraphiQL apply.
(function () {
  "use strict";
  const queries = JSON.parse(document.getElementById("page-data").textContent).queries;
  const $ = (id) => document.getElementById(id);
  const KIND_COLOURS = {
    WHOLE_SOLUTION: "#1b6ac9",
    BUILDING_BLOCKS: "#2e9e5b",
    ANALYSIS: "#d9822b",
    INSPIRATION: "#8e5bc9",
    MIXED: "#777777",
  };
  const charts = {};
  const BENEFIT_CHUNK = 10;

  async function run(name, variables) {
    const response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query: queries[name], variables }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) throw new Error(body.errors.map((e) => e.message).join("; "));
    return body.data;
  }

  function element(tag, text, attributes) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    return node;
  }

  const number = (value, digits) =>
    value === null || value === undefined ? "unknown" : Number(value).toLocaleString("en-GB", { maximumFractionDigits: digits === undefined ? 1 : digits });

  function csvText(header, rows) {
    const cell = (v) => {
      const text = v === null || v === undefined ? "" : String(v);
      return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    };
    return [header, ...rows].map((row) => row.map(cell).join(",")).join("\n") + "\n";
  }

  // "Show the query" and "download CSV", and the table of the plotted data below it.
  function present(id, name, variables, header, rows) {
    const section = $(id);
    const tools = section.querySelector(".tools");
    tools.replaceChildren();
    const hash = new URLSearchParams({ query: queries[name], variables: JSON.stringify(variables, null, 2) });
    tools.append(element("a", "Show the query", { href: "/graphql#" + hash.toString(), class: "show-query", target: "_blank", rel: "noopener" }));
    const blob = new Blob([csvText(header, rows)], { type: "text/csv" });
    tools.append(element("a", "Download CSV", { href: URL.createObjectURL(blob), download: id + ".csv", class: "download-csv" }));
    const table = element("table");
    const head = element("tr");
    header.forEach((h) => head.append(element("th", h)));
    table.append(head);
    for (const row of rows) {
      const tr = element("tr");
      row.forEach((v) => tr.append(element("td", typeof v === "number" ? number(v) : v === null ? "unknown" : v, typeof v === "number" ? { class: "n" } : {})));
      table.append(tr);
    }
    section.querySelector(".table").replaceChildren(table);
    section.dataset.rows = String(rows.length);
  }

  function draw(id, option) {
    const box = $(id).querySelector(".chart");
    if (!charts[id]) charts[id] = echarts.init(box, null, { renderer: "svg" });
    charts[id].setOption(option, true);
    return charts[id];
  }

  function failed(id, error) {
    $(id).querySelector(".table").replaceChildren(element("p", "Could not load: " + error.message, { class: "error" }));
  }

  function picked() {
    const from = $("from").value, to = $("to").value;
    const codes = Array.from($("municipalities").selectedOptions).map((o) => o.value);
    const last = new Date(Date.UTC(Number(to.slice(0, 4)), Number(to.slice(5, 7)), 0));
    return {
      from, to,
      fromDay: from + "-01",
      toDay: last.toISOString().slice(0, 10),
      groupBy: $("groupBy").value,
      municipalities: codes.length ? codes : null,
      currency: $("currency").value,
    };
  }

  const groupName = (key) => (key.municipality ? key.municipality.name : key.country);

  async function benefits(p) {
    const variables = { groupBy: [p.groupBy], from: p.from, to: p.to, municipalities: p.municipalities, currency: p.currency };
    // Per municipality, a group's monthly series is priced by the cost limit for every
    // municipality the filter admits, so the page asks for ten municipalities at a time.
    let groups;
    if (p.groupBy === "MUNICIPALITY") {
      const codes = p.municipalities || Array.from($("municipalities").options).map((o) => o.value);
      const chunks = [];
      for (let i = 0; i < codes.length; i += BENEFIT_CHUNK) chunks.push(codes.slice(i, i + BENEFIT_CHUNK));
      const answers = await Promise.all(chunks.map((chunk) => run("benefits", { ...variables, municipalities: chunk })));
      groups = answers.flatMap((a) => a.benefitSummary);
    } else {
      groups = (await run("benefits", variables)).benefitSummary;
    }
    const months = groups.length ? groups[0].realised.series.map((m) => m.month) : [];
    const series = [];
    for (const g of groups) {
      const name = groupName(g.key);
      series.push({ name: name + " realised", type: "line", showSymbol: false, data: g.realised.series.map((m) => m.hoursSaved) });
      series.push({ name: name + " estimated", type: "line", showSymbol: false, lineStyle: { type: "dashed" }, data: g.estimated.series.map((m) => m.hoursSaved) });
    }
    draw("benefits", {
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { top: 40, left: 60, right: 20, bottom: 30 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", name: "hours" },
      series,
    });
    const rows = groups.map((g) => {
      const converted = {};
      for (const m of g.realised.series) {
        for (const c of m.moneyIn) {
          if (c.amount === null) continue;
          converted[c.original.currency] = (converted[c.original.currency] || 0) + c.amount;
        }
      }
      const own = g.realised.money.map((m) => number(m.amount, 0) + " " + m.currency).join("; ");
      const beside = Object.entries(converted).map(([from, amount]) => "from " + from + ": " + number(amount, 0) + " " + p.currency).join("; ");
      return [groupName(g.key), g.realised.hoursSaved, g.estimated.hoursSaved, g.realisationRate, g.realised.fte, own, beside];
    });
    present("benefits", "benefits", variables, ["group", "realised hours", "estimated hours", "realised share", "FTE (realised)", "money saved (own currency)", "money in " + p.currency + " (monthly ECB rates)"], rows);
    const source = groups.flatMap((g) => g.realised.series).flatMap((m) => m.moneyIn).find((c) => c.rateSource);
    if (source) $("benefits").querySelector(".table").append(element("p", "Rates: " + source.rateSource, { class: "rate-source" }));
  }

  async function dividend(p) {
    const variables = { municipalities: p.municipalities, from: p.fromDay, to: p.toDay };
    const rows = (await run("reuse_dividend", variables)).reuseDividend;
    const years = [...new Set(rows.map((r) => r.year))].sort();
    const names = [...new Set(rows.map((r) => r.municipality.name))];
    draw("dividend", {
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { top: 40, left: 60, right: 20, bottom: 30 },
      xAxis: { type: "category", data: years.map(String) },
      yAxis: { type: "value", name: "hours avoided" },
      series: names.map((name) => ({
        name, type: "bar",
        data: years.map((y) => {
          const r = rows.find((x) => x.year === y && x.municipality.name === name);
          return r ? r.developmentHoursAvoided : null;
        }),
      })),
    });
    present("dividend", "reuse_dividend", variables, ["year", "municipality", "development hours avoided", "links", "links with both hours known"],
      rows.map((r) => [String(r.year), r.municipality.name, r.developmentHoursAvoided, r.links, r.linksWithHours]));
  }

  function showEdge(graph, origin, derived) {
    const links = graph.links.filter((l) => l.origin.municipality.code === origin && l.derived.municipality.code === derived);
    const box = $("edge-detail");
    box.replaceChildren();
    if (!links.length) return;
    box.append(element("h3", links[0].origin.municipality.name + " → " + links[0].derived.municipality.name));
    const list = element("ul");
    for (const l of links) {
      const avoided = l.developmentHoursAvoided === null ? "unknown" : number(l.developmentHoursAvoided);
      list.append(element("li", l.origin.title + " → " + l.derived.title + " (" + l.kind + ", " + (l.reusedOn || "no date") + "; development hours avoided: " + avoided + ")"));
    }
    box.append(list);
  }

  async function network(p) {
    const variables = { municipalities: p.municipalities, from: p.fromDay, to: p.toDay };
    const graph = (await run("network", variables)).reuseGraph;
    const edges = graph.municipalityLinks;
    const nodes = new Map();
    for (const e of edges) {
      for (const end of [e.origin, e.derived]) {
        const node = nodes.get(end.code) || { id: end.code, name: end.name, value: 0 };
        node.value += e.links;
        nodes.set(end.code, node);
      }
    }
    const kindOf = (e) => (e.kinds.length === 1 ? e.kinds[0] : "MIXED");
    const chart = draw("network", {
      tooltip: { formatter: (x) => (x.dataType === "edge" ? x.data.label : x.data.name + ": " + x.data.value + " links") },
      series: [{
        type: "graph",
        layout: "circular",
        circular: { rotateLabel: true },
        roam: true,
        label: { show: true, position: "right" },
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 8,
        data: [...nodes.values()].map((n) => ({ ...n, symbolSize: 8 + 4 * Math.sqrt(n.value) })),
        links: edges.map((e) => ({
          source: e.origin.code, target: e.derived.code,
          label: e.origin.name + " → " + e.derived.name + ": " + e.links + " (" + e.kinds.join(", ") + ")",
          lineStyle: { width: 1 + 2 * Math.sqrt(e.links), color: KIND_COLOURS[kindOf(e)], curveness: 0.15, opacity: 0.8 },
        })),
      }],
    });
    chart.off("click");
    chart.on("click", (x) => { if (x.dataType === "edge") showEdge(graph, x.data.source, x.data.target); });
    present("network", "network", variables, ["from (origin)", "to (reuser)", "links", "kinds of reuse"],
      edges.map((e) => [e.origin.name, e.derived.name, e.links, e.kinds.join(" ")]));
    const table = $("network").querySelector("table");
    Array.from(table.rows).slice(1).forEach((tr, i) => {
      tr.classList.add("edge");
      tr.addEventListener("click", () => showEdge(graph, edges[i].origin.code, edges[i].derived.code));
    });
    const legend = element("p", "Edge colours: ", { class: "legend" });
    for (const [kind, colour] of Object.entries(KIND_COLOURS)) legend.append(element("span", "■ " + kind.toLowerCase().replace("_", " ") + "  ", { "data-colour": colour }));
    $("network").querySelector(".table").prepend(legend);
    legend.querySelectorAll("span").forEach((s) => { s.style.color = s.dataset.colour; });
    if (graph.truncated) $("network").querySelector(".table").append(element("p", "Showing the first 500 links; narrow the period or municipalities for the rest."));
  }

  function ranked(id, labels, values, axisName) {
    draw(id, {
      tooltip: {},
      grid: { top: 10, left: 260, right: 30, bottom: 30 },
      xAxis: { type: "value", name: axisName },
      yAxis: { type: "category", data: labels.slice().reverse(), axisLabel: { width: 250, overflow: "truncate" } },
      series: [{ type: "bar", data: values.slice().reverse(), label: { show: true, position: "right" } }],
    });
  }

  async function mostReused(p) {
    const variables = { from: p.fromDay, to: p.toDay };
    const rows = (await run("most_reused", variables)).reuseLeaderboard;
    const labels = rows.map((r) => r.process.title + " (" + r.process.municipality.name + ")");
    ranked("most_reused", labels, rows.map((r) => r.municipalityCount), "municipalities that reused it");
    present("most_reused", "most_reused", variables, ["process", "municipality", "municipalities reusing", "links"],
      rows.map((r) => [r.process.title, r.process.municipality.name, r.municipalityCount, r.linkCount]));
  }

  async function vendors(p) {
    const variables = { activeOn: p.toDay };
    const nodes = (await run("vendors", variables)).vendors.nodes
      .slice().sort((a, b) => b.processesDelivered.totalCount - a.processesDelivered.totalCount || a.name.localeCompare(b.name));
    ranked("vendors", nodes.map((v) => v.name + " (" + v.country + ")"), nodes.map((v) => v.processesDelivered.totalCount), "processes delivered");
    present("vendors", "vendors", variables, ["vendor", "country", "processes delivered", "realised hours saved by them"],
      nodes.map((v) => [v.name, v.country, v.processesDelivered.totalCount, v.processesDelivered.realisedHoursSaved]));
  }

  async function refresh(event) {
    if (event) event.preventDefault();
    const p = picked();
    if (p.from > p.to) { $("status").textContent = "From is after To."; return; }
    $("status").textContent = "Loading…";
    document.body.dataset.ready = "false";
    const plots = { benefits, dividend, network, most_reused: mostReused, vendors };
    await Promise.all(Object.entries(plots).map(([id, plot]) => plot(p).catch((e) => failed(id, e))));
    $("status").textContent = "";
    document.body.dataset.ready = "true";
  }

  async function start() {
    try {
      const list = (await run("municipalities", {})).municipalities.nodes;
      for (const m of list) $("municipalities").append(element("option", m.name + " (" + m.code + ")", { value: m.code }));
    } catch (e) {
      $("status").textContent = "Could not load municipalities: " + e.message;
    }
    $("pickers").addEventListener("submit", refresh);
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
    await refresh();
  }

  window.reusegraphLogin($("login"), start);
})();
