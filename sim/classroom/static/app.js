// The classroom game's pages: student (join, decide, results), teacher (rounds, timer, leaderboard,
// stage chart) and debrief. Texts come from the server (window.T, in the page's language); the game's
// state from /api/state, polled as soon as the previous answer arrives (the server answers when
// something changed). Nothing is loaded from anywhere but this server.
"use strict";
const U = T.ui;
const page = document.body.dataset.page;
const params = new URLSearchParams(location.search);
const main = document.getElementById("main");
const COLORS = {awareness: "#b0b0b0", exploration: "#4c9be8", expansion: "#f28e2b", commitment: "#2ca02c"};

function t(key, values = {}) {
  return U[key].replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : `{${k}}`));
}
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) e.append(c.nodeType ? c : String(c));
  return e;
}
const num = (x, d = 0) => (x == null ? U.none : Number(x).toLocaleString(T.lang, {maximumFractionDigits: d, minimumFractionDigits: d}));
const pct = (x) => (x == null ? U.none : `${Math.round(x * 100)} %`);
const policyName = (p) => (T.policies[p] || [p])[0];

function header(title) {
  document.getElementById("title").textContent = title;
  document.title = title;
  const nav = document.getElementById("langs");
  nav.replaceChildren();
  for (const [lang, name] of [["en", "English"], ["ko", "한국어"]]) {
    const q = new URLSearchParams(location.search);
    q.set("lang", lang);
    nav.append(el("a", {href: `?${q}`, class: lang === T.lang ? "current" : null,
                        onclick: () => localStorage.setItem("relsim-lang", lang)}, name));
  }
}

async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"},
                                                        body: JSON.stringify(body)});
  const data = await r.json().catch(() => ({error: `HTTP ${r.status}`}));
  if (!r.ok) throw Object.assign(new Error(data.error || `HTTP ${r.status}`), {status: r.status});
  return data;
}

// Long poll: ask for the state newer than the last one seen; render; again. Retries after an error.
async function follow(query, render, onRefused) {
  let version = -1;
  for (;;) {
    try {
      const s = await api(`/api/state?since=${version}&${query()}`);
      version = s.version;
      render(s);
    } catch (e) {
      if (e.status === 400 || e.status === 403) { onRefused(e); return; }
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }
}

function stageChart(stages, width = 560, height = 240) {
  const svg = (tag, attrs) => { const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };
  const box = svg("svg", {viewBox: `0 0 ${width} ${height}`, width: "100%", class: "stage-chart", role: "img"});
  const L = 44, R = 10, top = 28, B = 26, ticks = stages.tick;
  const names = ["awareness", "exploration", "expansion", "commitment"];
  const ymax = Math.max(1, ...names.flatMap((s) => stages[s]));
  const xmax = Math.max(1, ...ticks);
  const x = (v) => L + (v / xmax) * (width - L - R), y = (v) => height - B - (v / ymax) * (height - top - B);
  box.append(svg("line", {x1: L, y1: height - B, x2: width - R, y2: height - B, stroke: "#999"}));
  box.append(svg("line", {x1: L, y1: top, x2: L, y2: height - B, stroke: "#999"}));
  for (const v of [0, ymax / 2, ymax]) {
    const label = svg("text", {x: L - 4, y: y(v) + 4, "text-anchor": "end"}); label.textContent = Math.round(v); box.append(label);
  }
  const xl = svg("text", {x: (L + width) / 2, y: height - 6, "text-anchor": "middle"}); xl.textContent = U.tick_axis; box.append(xl);
  names.forEach((s, i) => {
    if (ticks.length) box.append(svg("polyline", {fill: "none", stroke: COLORS[s], "stroke-width": 2,
      "stroke-dasharray": s === "awareness" ? "5 4" : "none", points: ticks.map((tk, k) => `${x(tk)},${y(stages[s][k])}`).join(" ")}));
    box.append(svg("rect", {x: L + i * 120, y: 6, width: 12, height: 12, fill: COLORS[s]}));
    const name = svg("text", {x: L + i * 120 + 16, y: 16}); name.textContent = T.stages[s]; box.append(name);
  });
  return box;
}

// The leaderboard: every exporter on the teacher's screen; the top five and one's own row on a student's.
function leaderboard(s, me, top = Infinity) {
  const shown = s.leaderboard.map((r, i) => [r, i]).filter(([r, i]) => i < top || r.exporter === me);
  const rows = shown.map(([r, i]) => el("tr", {class: me === r.exporter ? "me" : null},
    el("td", {}, i + 1),
    el("td", {class: "name"}, r.player || t("computer", {p: policyName(r.policy)})),
    el("td", {}, num(r.profit_total)), el("td", {}, r.customers), el("td", {}, pct(r.retention)),
    el("td", {}, num(r.mean_trust, 2))));
  return el("div", {class: "scroll"}, el("table", {class: "leaderboard"},
    el("thead", {}, el("tr", {}, [U.rank, U.player, U.profit, U.customers, U.retention, U.trust].map((h) => el("th", {}, h)))),
    el("tbody", {}, rows)));
}

function roundsTable(rows) {
  const head = [U.round, U.share, U.policy_short, U.decided, U.profit, U.customers, U.new, U.lost, U.retention, U.trust];
  return el("div", {class: "scroll"}, el("table", {class: "rounds"},
    el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {},
      el("td", {}, r.round), el("td", {}, pct(r.acquisition_share)), el("td", {class: "name"}, policyName(r.policy)),
      el("td", {}, r.decided ? "✓" : ""), el("td", {}, num(r.profit)), el("td", {}, r.customers),
      el("td", {}, r.new_customers), el("td", {}, r.lost_customers), el("td", {}, pct(r.retention)),
      el("td", {}, num(r.mean_trust, 2)))))));
}

function status(s) {
  const parts = [`${U.round} ${s.round} ${U.of} ${s.rounds}`];
  if (s.deadline_in != null) parts.push(t("next_in", {s: Math.ceil(s.deadline_in)}));
  return parts.join(" · ");
}

// ---- student -------------------------------------------------------------------------
function student() {
  header(U.game_title);
  const token = () => localStorage.getItem("relsim-token");
  const joinForm = (message) => {
    const name = el("input", {type: "text", id: "name", maxlength: 24, autocomplete: "name"});
    const code = el("input", {type: "text", id: "code", inputmode: "numeric", maxlength: 8, value: params.get("code") || ""});
    const out = el("p", {class: "err", id: "join-error"}, message || "");
    const go = async (ev) => {
      ev.preventDefault();
      try {
        const r = await api("/api/join", {name: name.value, code: code.value});
        localStorage.setItem("relsim-token", r.token);
        play();
      } catch (e) { out.textContent = e.message; }
    };
    main.replaceChildren(el("section", {}, el("h2", {}, U.join), el("form", {onsubmit: go},
      el("label", {for: "name"}, U.your_name), name, el("label", {for: "code"}, U.join_code), code,
      el("p", {}, el("button", {type: "submit", id: "join"}, U.join_button)), out)));
  };
  let form = null;  // the decision form, kept across renders so that a student's unsaved choice survives
  const play = () => {
    const results = el("section", {id: "results"}), board = el("section", {id: "board"});
    const head = el("section", {class: "wide", id: "status"});
    const decide = el("section", {id: "decide"});
    main.replaceChildren(head, decide, results, board);
    form = null;
    follow(() => `token=${encodeURIComponent(token())}`, (s) => {
      const me = s.me;
      head.replaceChildren(el("div", {class: "big"}, `${me.name} · ${t("you_run", {e: me.exporter})}`),
                           el("div", {id: "round-status"}, status(s)));
      if (s.over) {
        decide.replaceChildren(el("h2", {}, U.game_over), el("a", {href: `/debrief?lang=${T.lang}`}, U.open_debrief));
      } else if (!form) {
        form = decisionForm(me, s);
        decide.replaceChildren(form.node);
      }
      if (form && !s.over) form.update(me, s);
      results.replaceChildren(el("h2", {}, U.your_results), me.rows.length ? roundsTable(me.rows)
        : el("p", {class: "muted"}, t("waiting", {r: s.round + 1})));
      board.replaceChildren(el("h2", {}, U.leaderboard), leaderboard(s, me.exporter, 5));
    }, () => { localStorage.removeItem("relsim-token"); joinForm(); });
  };
  if (token()) play(); else joinForm();
}

function decisionForm(me, s) {
  const share = el("input", {type: "range", min: 0, max: 100, step: 5, value: Math.round(me.acquisition_share * 100), id: "share"});
  const shareLabel = el("div", {class: "big", id: "share-value"});
  const showShare = () => shareLabel.replaceChildren(`${share.value} %`, el("span", {class: "muted"},
    ` · ${t("retention_part", {p: 100 - share.value})}`));
  share.addEventListener("input", showShare);
  showShare();
  const radios = Object.entries(T.policies).map(([key, [name, text]]) => el("label", {class: "choice"},
    el("input", {type: "radio", name: "policy", value: key, checked: key === me.policy}),
    el("span", {}, el("b", {}, name), el("small", {}, text))));
  const note = el("p", {id: "saved"});
  const save = el("button", {type: "submit", id: "save"});
  const submit = async (ev) => {
    ev.preventDefault();
    const policy = document.querySelector("input[name=policy]:checked").value;
    try {
      await api("/api/decide", {token: localStorage.getItem("relsim-token"), acquisition_share: Number(share.value) / 100, policy});
    } catch (e) { note.className = "err"; note.textContent = e.message; }
  };
  const node = el("form", {onsubmit: submit}, el("h2", {}, U.decisions),
    el("label", {for: "share"}, U.acquisition), share, shareLabel,
    el("label", {}, U.retention_policy_q), radios, save, note);
  return {node, update(me, s) {
    const r = s.round + 1;
    save.textContent = t("save", {r});
    note.className = me.decided ? "ok" : "muted";
    note.textContent = me.decided ? t("saved", {r}) : t("not_saved", {r});
  }};
}

// ---- teacher -------------------------------------------------------------------------
function teacher() {
  header(`${U.game_title} · ${U.leaderboard}`);
  const key = params.get("key");
  if (!key) { main.replaceChildren(el("section", {}, el("p", {class: "err"}, U.teacher_key))); return; }
  const post = (body) => api("/api/teacher", {key, ...body}).catch((e) => alert(e.message));
  const head = el("section", {class: "wide", id: "status"});
  const controls = el("section", {id: "controls"});
  const board = el("section", {id: "board", class: "wide"});
  const chart = el("section", {id: "market", class: "chart"});
  main.replaceChildren(head, controls, chart, board);
  const seconds = el("input", {type: "number", min: 0, max: 3600, value: 120, id: "seconds"});
  const next = el("button", {id: "next", onclick: () => post({action: "next"})});
  const timerOn = el("button", {class: "secondary", id: "timer", onclick: () => post({action: "timer", seconds: Number(seconds.value)})}, U.start_timer);
  const timerOff = el("button", {class: "secondary", onclick: () => post({action: "timer", seconds: 0})}, U.stop_timer);
  const end = el("button", {class: "secondary", id: "end", onclick: () => post({action: "end"})}, U.end_game);
  const decided = el("p", {id: "decided"});
  controls.replaceChildren(el("h2", {}, `${U.round}`), el("div", {class: "row"}, next),
    el("label", {for: "seconds"}, U.timer), el("div", {class: "row"}, seconds, timerOn, timerOff), decided,
    el("div", {class: "row"}, end));
  follow(() => `key=${encodeURIComponent(key)}`, (s) => {
    const addr = `${location.protocol}//${location.host}/`;
    head.replaceChildren(el("div", {class: "row"}, el("span", {}, `${U.students_join} `), el("b", {}, addr),
      el("span", {}, ` · ${U.join_code}`), el("span", {class: "code", id: "code"}, s.code)),
      el("div", {class: "big", id: "round-status"}, s.over ? U.game_over : status(s)));
    next.textContent = t("play_round", {r: s.round + 1});
    next.disabled = s.over;
    decided.textContent = t("players_decided", {n: s.players.length, d: s.players.filter((p) => p.decided).length, r: s.round + 1});
    if (s.over) controls.replaceChildren(el("h2", {}, U.game_over), el("a", {href: `/debrief?lang=${T.lang}`, id: "debrief-link"}, U.open_debrief));
    board.replaceChildren(el("h2", {}, U.leaderboard), leaderboard(s, -1));
    chart.replaceChildren(el("h2", {}, U.market), stageChart(s.stages));
  }, (e) => main.replaceChildren(el("section", {}, el("p", {class: "err"}, e.message))));
}

// ---- debrief -------------------------------------------------------------------------
async function debrief() {
  header(`${U.game_title} · ${U.debrief}`);
  let d;
  try { d = await api("/api/debrief"); } catch (e) { main.replaceChildren(el("section", {}, el("p", {class: "err"}, e.message))); return; }
  const story = (x) => el("p", {class: "story"}, t("story", {player: x.player, round: x.round, share: Math.round(x.acquisition_share * 100),
    policy: policyName(x.policy), new: x.new_customers, m_new: num(x.class_median.new_customers, 1), lost: x.lost_customers,
    lost_expl: x.lost_in_exploration, ret: pct(x.retention), m_ret: pct(x.class_median.retention), trust: num(x.mean_trust, 2),
    m_trust: num(x.class_median.mean_trust, 2), profit: num(x.profit), m_profit: num(x.class_median.profit)}));
  const w = d.winners, f = d.facts;
  const facts = el("section", {class: "wide", id: "facts"}, el("h2", {}, U.facts),
    el("p", {}, t("fact_exploration", {share: pct(f.share_lost_in_exploration), n: f.trading_lost})),
    el("p", {}, t("fact_trust", {c: num(f.trust_committed, 2), x: num(f.trust_lost_in_exploration, 2)})),
    el("p", {}, t("fact_switching", {n: f.committed, b: f.committed_lost_better_alternative,
      c: num(f.switching_cost_committed, 2), x: num(f.switching_cost_lost, 2)})));
  const winners = el("section", {class: "wide", id: "winners"}, el("h2", {}, U.winners), el("p", {}, t("winners_text", {
    top_profit: num(w.top.profit_total), top_share: Math.round(w.top.acquisition_share * 100), top_policy: policyName(w.top.policy),
    top_ret: pct(w.top.retention), top_expl: num(w.top.lost_in_exploration, 1), top_commit: num(w.top.commitment, 1),
    bot_profit: num(w.bottom.profit_total), bot_share: Math.round(w.bottom.acquisition_share * 100), bot_policy: policyName(w.bottom.policy),
    bot_ret: pct(w.bottom.retention), bot_expl: num(w.bottom.lost_in_exploration, 1), bot_commit: num(w.bottom.commitment, 1)})));
  const best = el("section", {id: "best"}, el("h2", {}, U.best), d.best.map(story));
  const worst = el("section", {id: "worst"}, el("h2", {}, U.worst), d.worst.map(story));
  const players = d.players.map((p) => el("section", {class: "wide player"},
    el("h2", {}, `${p.rank}. ${p.name} · ${U.profit} ${num(p.profit_total)}`),
    el("p", {}, `${U.stage_journey}: ` + ["exploration", "expansion", "commitment"].map((s) => `${T.stages[s]} ${p.reached[s]}`).join(" → ")),
    el("p", {}, `${U.lost_by}: ` + Object.entries(p.lost_by_cause).filter(([, n]) => n).map(([c, n]) => `${T.causes[c]} ${n}`).join(" · ")
      + (Object.values(p.lost_by_cause).some((n) => n) ? ` (${U.in_stage}: ` + ["exploration", "expansion", "commitment"]
          .map((s) => `${T.stages[s]} ${p.lost_by_stage[s]}`).join(" · ") + ")" : ` ${U.none}`)),
    roundsTable(p.rounds)));
  main.replaceChildren(facts, winners, best, worst, ...players);
}

({student, teacher, debrief})[page]();
