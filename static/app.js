// CounterLab's page: the backends with one increment per strategy, the
// comparison (form, progress from server-sent events, results, charts,
// exports) and fault injection for the embedded targets. Every value from
// the server goes into the page as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// api sends one request and decodes the JSON answer, if any.
async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 204) return { ok: true, status: 204, body: null };
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = { error: "bad_response", message: "the server answered " + res.status };
  }
  return { ok: res.ok, status: res.status, body: data };
}

function errorText(r) {
  return r.status + " " + r.body.error + ": " + r.body.message;
}

function setText(id, text, isError) {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle("error", Boolean(isError));
}

const intFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
function fmtInt(n) { return intFmt.format(n); }
function fmtMs(ms) {
  if (!ms) return "–";
  if (ms < 1) return ms.toFixed(3);
  if (ms < 100) return ms.toFixed(2);
  return ms.toFixed(0);
}

// ---------------------------------------------------------------------------
// What each strategy does, in words.

const EXPLAIN = {
  "redis/incr": {
    how: "One INCR command. Redis runs commands one at a time, so reading, adding one " +
      "and writing happen as a single step; a missing counter starts at 0.",
    trips: "1 round trip.",
    guarantee: "Every acknowledged increment counts exactly once. No bound.",
    when: "Counting without a limit on Redis: views, events, rate counters.",
  },
  "redis/lua": {
    how: "A server-side Lua script reads the counter, compares it with max as a number " +
      "and runs INCR only below max. Redis runs the whole script atomically.",
    trips: "1 round trip (2 the first time a server meets the script: NOSCRIPT, then " +
      "the source).",
    guarantee: "Never passes max; every success counts exactly once.",
    when: "A bounded counter on Redis: quotas, seats, stock.",
  },
  "dynamodb/add": {
    how: "UpdateItem with ADD: DynamoDB applies the addition atomically to the item and " +
      "creates it when missing, returning the new value.",
    trips: "1 round trip.",
    guarantee: "Every acknowledged increment counts exactly once. No bound.",
    when: "Counting without a limit on DynamoDB.",
  },
  "dynamodb/conditional": {
    how: "The same UpdateItem ADD with a condition expression: the item is missing or " +
      "its counter is below max. DynamoDB checks the condition and writes in one step.",
    trips: "1 round trip.",
    guarantee: "Never passes max: at max the write is refused (limit reached).",
    when: "A bounded counter on DynamoDB.",
  },
  "momento/increment": {
    how: "Momento's Increment call, atomic on the server; it creates the item when " +
      "missing. Items carry a time to live.",
    trips: "1 round trip.",
    guarantee: "Every acknowledged increment counts exactly once. No bound.",
    when: "Counting without a limit on Momento.",
  },
  "momento/set-if-present-and-not-equal": {
    how: "The published algorithm: Get, then SetIfAbsent(\"1\") on a miss or " +
      "SetIfPresentAndNotEqual(current + 1, notEqual: max) on a hit.",
    trips: "2 round trips.",
    guarantee: "None under concurrency. The write checks only that the stored value is " +
      "not max, not that it is still the value read: two clients that read the same " +
      "value both write it plus one, and one increment is lost. It never passes max.",
    when: "Only with a single writer. It is kept here to show the problem.",
    warn: true,
  },
  "momento/set-if-equal": {
    how: "Compare-and-swap: Get, then SetIfAbsent(1) on a miss or " +
      "SetIfEqual(current + 1, equal: current) on a hit. If another writer got there " +
      "first the condition fails, and it reads again and retries, with bounded " +
      "attempts and jittered backoff.",
    trips: "2 round trips per attempt.",
    guarantee: "No lost updates; never passes max. Under heavy contention some " +
      "increments give up after their attempts (conflict: nothing applied).",
    when: "A bounded counter on Momento with moderate contention.",
  },
};

function explanation(key) {
  const x = EXPLAIN[key];
  if (!x) return null;
  return el("details", { class: "explain" },
    el("summary", {}, "How it works"),
    el("dl", {},
      el("dt", {}, "How"), el("dd", {}, x.how),
      el("dt", {}, "Round trips"), el("dd", {}, x.trips),
      el("dt", {}, "Guarantees"), el("dd", { class: x.warn ? "warn" : null }, x.guarantee),
      el("dt", {}, "Use it for"), el("dd", {}, x.when)));
}

// ---------------------------------------------------------------------------
// Backends and one increment per strategy.

let backendList = [];

function healthBadge(h) {
  if (h.ok) return el("span", { class: "health ok" }, "healthy");
  return el("span", { class: "health bad", title: h.error }, "unhealthy");
}

function strategyRow(backend, s) {
  const key = backend + "/" + s.id;
  const result = el("p", { class: "result", "aria-live": "polite" });
  const button = el("button", { type: "button", "aria-label": "Increment with " + key },
    "Increment");
  const tags = [el("span", { class: "tag" }, s.conditional ? "conditional" : "unconditional")];
  if (!s.correct) tags.push(el("span", { class: "tag incorrect" }, "loses updates"));

  button.addEventListener("click", async () => {
    const id = $("counter-id").value;
    if (!id) {
      result.className = "result error";
      result.textContent = "Enter a counter id first.";
      $("counter-id").focus();
      return;
    }
    const params = new URLSearchParams({ strategy: s.id });
    if (s.conditional) params.set("max", $("counter-max").value);
    const path = "/api/counters/" + encodeURIComponent(backend) + "/" +
      encodeURIComponent(id) + "/increment?" + params;

    button.disabled = true;
    try {
      const r = await api("POST", path);
      if (r.ok) {
        const b = r.body;
        result.className = "result";
        result.textContent = "value " + b.value + " · " + b.roundTrips + " round trip(s) · " +
          b.attempts + " attempt(s) · " + b.elapsedMs.toFixed(2) + " ms";
      } else {
        result.className = "result error";
        result.textContent = errorText(r);
      }
    } catch (e) {
      result.className = "result error";
      result.textContent = "The request failed: " + e.message;
    } finally {
      button.disabled = false;
    }
  });

  return el("div", { class: "strategy" },
    el("div", { class: "row" }, el("strong", {}, s.id), tags, button),
    el("p", { class: "summary" }, s.summary),
    explanation(key),
    result);
}

function backendCard(b) {
  const reset = el("button", { type: "button", class: "secondary" }, "Delete the counter");
  const note = el("p", { class: "result", "aria-live": "polite" });
  reset.addEventListener("click", async () => {
    const id = $("counter-id").value;
    if (!id) return;
    const r = await api("DELETE", "/api/counters/" + encodeURIComponent(b.name) + "/" +
      encodeURIComponent(id));
    note.className = r.ok ? "result" : "result error";
    note.textContent = r.ok ? "Counter " + id + " deleted." : errorText(r);
  });

  return el("article", { class: "card", "aria-labelledby": "backend-" + b.name },
    el("h3", { id: "backend-" + b.name }, b.name, healthBadge(b.health)),
    el("dl", { class: "target" },
      el("dt", {}, "Target"), el("dd", {}, b.target.kind + " · " + b.target.address),
      el("dt", {}, "Library"), el("dd", {}, b.target.library)),
    b.strategies.map((s) => strategyRow(b.name, s)),
    el("div", { class: "row" }, reset),
    note);
}

async function loadBackends() {
  setText("status", "Checking the backends…");
  try {
    const r = await api("GET", "/api/backends");
    if (!r.ok) {
      setText("status", errorText(r), true);
      return;
    }
    backendList = r.body.backends;
    $("backends").replaceChildren(...backendList.map(backendCard));
    const bad = backendList.filter((b) => !b.health.ok).map((b) => b.name);
    setText("status", bad.length ? "Not healthy: " + bad.join(", ") : "", bad.length > 0);
  } catch (e) {
    setText("status", "Could not reach the server: " + e.message, true);
  }
}

// ---------------------------------------------------------------------------
// The run form.

const CONDITIONAL = ["redis/lua", "dynamodb/conditional",
  "momento/set-if-present-and-not-equal", "momento/set-if-equal"];
const UNCONDITIONAL = ["redis/incr", "dynamodb/add", "momento/increment"];

const PRESETS = {
  hot: { workers: 64, increments: 2000, keys: 1, max: 1000, duration: "",
    strategies: CONDITIONAL },
  many: { workers: 32, increments: 5000, keys: 1000, max: 0, duration: "",
    strategies: UNCONDITIONAL },
  all: { workers: 32, increments: 1000, keys: 1, max: 500, duration: "",
    strategies: UNCONDITIONAL.concat(CONDITIONAL) },
  quick: { workers: 4, increments: 60, keys: 1, max: 40, duration: "",
    strategies: UNCONDITIONAL.concat(CONDITIONAL) },
};

const FIELDS = ["workers", "increments", "keys", "max", "duration"];
let limits = null;
let applyingPreset = false;

function buildChoices() {
  const groups = backendList.map((b) => el("div", { class: "choice-group", role: "group",
    "aria-labelledby": "choices-" + b.name },
  el("span", { id: "choices-" + b.name, class: "group-name" }, b.name),
  b.strategies.map((s) => {
    const key = b.name + "/" + s.id;
    const id = "s-" + key.replace(/[^a-z0-9]+/g, "-");
    const box = el("input", { type: "checkbox", id, name: "strategy", value: key });
    box.addEventListener("change", markCustom);
    return el("label", { for: id, class: "choice" }, box, s.id,
      s.conditional ? el("span", { class: "tag" }, "max") : null);
  })));
  $("strategy-choices").replaceChildren(...groups);
}

function applyPreset(name) {
  const p = PRESETS[name];
  if (!p) return;
  applyingPreset = true;
  for (const f of FIELDS) $(f).value = p[f];
  for (const box of document.querySelectorAll("input[name=strategy]")) {
    box.checked = p.strategies.includes(box.value);
  }
  applyingPreset = false;
}

function markCustom() {
  if (!applyingPreset) $("preset").value = "custom";
}

function fieldError(id, message) {
  const field = $(id);
  field.setAttribute("aria-invalid", "true");
  field.focus();
  throw new Error(message);
}

// readForm returns the run request, or throws with a message for the user.
function readForm() {
  for (const f of FIELDS) $(f).removeAttribute("aria-invalid");
  const whole = (id, lo, hi, what) => {
    const v = Number($(id).value);
    if (!Number.isInteger(v) || v < lo || v > hi) {
      fieldError(id, what + " must be a whole number from " + fmtInt(lo) + " to " +
        fmtInt(hi) + ".");
    }
    return v;
  };
  const l = limits || { maxWorkers: 256, maxIncrements: 1000000, maxKeys: 10000,
    maxDurationSeconds: 60 };
  const spec = {
    workers: whole("workers", 1, l.maxWorkers, "Workers"),
    increments: whole("increments", 1, l.maxIncrements, "Increments"),
    keys: whole("keys", 1, l.maxKeys, "Counters"),
    max: whole("max", 0, 9007199254740992, "Max"),
    strategies: [...document.querySelectorAll("input[name=strategy]:checked")]
      .map((b) => b.value),
  };
  const d = $("duration").value.trim();
  if (d !== "") {
    const v = Number(d);
    if (!(v >= 0 && v <= l.maxDurationSeconds)) {
      fieldError("duration", "The time cap must be from 0 to " + l.maxDurationSeconds +
        " seconds.");
    }
    spec.durationSeconds = v;
  }
  if (spec.strategies.length === 0) {
    throw new Error("Choose at least one strategy.");
  }
  const conditional = spec.strategies.filter((s) => CONDITIONAL.includes(s));
  if (conditional.length > 0 && spec.max < 1) {
    fieldError("max", "Conditional strategies (" + conditional.join(", ") +
      ") need a max of 1 or more.");
  }
  return spec;
}

// ---------------------------------------------------------------------------
// Runs: start, follow, cancel, show.

let runID = null;
let source = null;

function setRunning(running) {
  $("start").disabled = running;
  $("cancel").disabled = !running;
}

async function startRun(ev) {
  ev.preventDefault();
  setText("form-error", "");
  let spec;
  try {
    spec = readForm();
  } catch (e) {
    setText("form-error", e.message, true);
    return;
  }

  setRunning(true);
  const r = await api("POST", "/api/runs", spec).catch((e) => ({
    ok: false, status: 0, body: { error: "network", message: e.message } }));
  if (!r.ok) {
    setRunning(false);
    setText("form-error", errorText(r), true);
    return;
  }
  showRun(r.body);
  follow(r.body.id);
}

async function cancelRun() {
  if (!runID) return;
  $("cancel").disabled = true;
  setText("run-status", "Cancelling…");
  const r = await api("DELETE", "/api/runs/" + encodeURIComponent(runID));
  if (!r.ok) setText("run-status", errorText(r), true);
}

function setProgress(percent, label) {
  $("progress").value = percent;
  $("progress-label").textContent = label;
}

// follow listens to a run's events until it ends.
function follow(id) {
  if (source) source.close();
  runID = id;
  setRunning(true);
  source = new EventSource("/api/runs/" + encodeURIComponent(id) + "/events");
  const on = (type, fn) => source.addEventListener(type, (ev) => fn(JSON.parse(ev.data)));

  on("run-started", () => setText("run-status", "Run " + id + " started."));
  on("strategy-started", (e) => {
    setProgress(e.percent, "Running " + e.strategy + " (" + (e.index + 1) + " of " +
      $("results-body").rows.length + ")");
    setRowStatus(e.index, "running");
  });
  on("progress", (e) => {
    setProgress(e.percent, "Running " + e.strategy + ": " + e.strategyPercent.toFixed(0) +
      "% of its increments");
  });
  on("strategy-finished", (e) => {
    $("progress").value = e.percent;
    replaceRow(e.index, e.result);
    setText("run-status", e.strategy + ": " + verdictWords(e.result) + ".");
  });
  on("run-finished", async (e) => {
    source.close();
    source = null;
    setRunning(false);
    setProgress(e.percent, e.state === "done" ? "Run finished" : "Run cancelled");
    const r = await api("GET", "/api/runs/" + encodeURIComponent(id));
    if (r.ok) showRun(r.body);
    setText("run-status", e.state === "done" ?
      "Run " + id + " finished: results below." :
      "Run " + id + " was cancelled; the results below are partial.");
  });
  source.onerror = () => {
    if (source && source.readyState === EventSource.CONNECTING) {
      setText("run-status", "Connection lost; reconnecting…");
    }
  };
}

function verdictWords(r) {
  if (["pending", "running", "skipped", "failed"].includes(r.status)) return r.status;
  const ev = r.verdict.evidence;
  switch (r.verdict.id) {
    case "correct": return "correct";
    case "lost_updates": return "lost " + fmtInt(ev.lost) + " updates";
    case "exceeded_max": return "exceeded max by " + fmtInt(ev.exceeded);
    case "extra_updates": return fmtInt(ev.extra) + " extra updates";
    case "inconclusive": return "inconclusive";
  }
  return r.verdict.id;
}

function verdictCell(r) {
  const finished = r.status === "done" || r.status === "cancelled";
  const cls = finished ? "verdict " + r.verdict.id : "verdict " + r.status;
  const parts = [el("span", { class: cls }, verdictWords(r))];
  if (finished) {
    let summary = r.verdict.summary;
    if (r.stoppedEarly) summary += " (stopped by the time cap after " +
      fmtInt(r.completed) + " increments)";
    if (r.status === "cancelled") summary += " (cancelled while running)";
    parts.push(el("span", { class: "verdict-summary" }, summary));
  }
  return el("td", {}, parts);
}

function resultRow(r) {
  const key = r.backend + "/" + r.strategy;
  const finished = r.status === "done" || r.status === "cancelled";
  const num = (v) => el("td", { class: "num" }, finished ? v : "–");
  const o = r.outcomes || {};
  return el("tr", { "data-strategy": key, "data-status": r.status,
    "data-verdict": finished ? r.verdict.id : null },
  el("th", { scope: "row" }, el("code", {}, r.backend + "/", el("wbr"), r.strategy),
    r.conditional ? el("span", { class: "tag" }, "max " + fmtInt(r.max)) : null),
  verdictCell(r),
  num(fmtInt(r.throughput)),
  num(fmtMs(r.latency.p50Ms)), num(fmtMs(r.latency.p90Ms)), num(fmtMs(r.latency.p99Ms)),
  num(fmtMs(r.latency.p999Ms)), num(fmtMs(r.latency.maxMs)),
  num(r.roundTrips.toFixed(2)), num(r.attempts.toFixed(2)),
  num(fmtInt(o.ok)), num(fmtInt(o.limit_reached)), num(fmtInt(o.conflict)),
  num(fmtInt(o.unavailable)), num(fmtInt(o.outcome_unknown)), num(fmtInt(o.other)),
  num(fmtInt(r.final)));
}

function setRowStatus(index, status) {
  const row = $("results-body").rows[index];
  if (!row) return;
  row.dataset.status = status;
  const cell = row.cells[1];
  cell.replaceChildren(el("span", { class: "verdict " + status }, status));
}

function replaceRow(index, result) {
  const row = $("results-body").rows[index];
  if (row) row.replaceWith(resultRow(result));
}

const CHARTS = [
  ["latency", "Latency by percentile for every strategy, on a log scale"],
  ["throughput", "Throughput: increments per second per strategy"],
  ["outcomes", "Outcome mix per strategy: ok, limit reached, conflict, unavailable, " +
    "unknown, other"],
];

function showCharts(state) {
  const base = "/api/runs/" + encodeURIComponent(state.id) + "/charts/";
  const version = "v=" + encodeURIComponent(state.finishedAt || "");
  $("charts").replaceChildren(...CHARTS.map(([name, alt]) => el("figure", {},
    el("picture", {},
      el("source", { media: "(prefers-color-scheme: dark)",
        srcset: base + name + ".svg?theme=dark&" + version }),
      el("img", { src: base + name + ".svg?" + version, alt, width: 768, height: 432,
        "data-chart": name })),
    el("figcaption", {}, alt, " · ",
      el("a", { href: base + name + ".png?" + version, download: "" }, "PNG")))));
}

function showRun(state) {
  runID = state.id;
  $("results").hidden = false;
  const s = state.spec;
  const meta = "Run " + state.id + ": " + fmtInt(s.increments) + " increments per strategy, " +
    fmtInt(s.workers) + " workers, " + fmtInt(s.keys) + " counter(s)" +
    (s.max ? ", max " + fmtInt(s.max) + " for conditional strategies" : "") +
    (s.durationSeconds ? ", at most " + s.durationSeconds + " s per strategy" : "") +
    ". State: " + state.state + ".";
  $("results-meta").textContent = meta;
  $("results-body").replaceChildren(...state.results.map(resultRow));

  const ended = state.state !== "running";
  $("export-json").href = "/api/runs/" + encodeURIComponent(state.id) + "/export.json";
  $("export-csv").href = "/api/runs/" + encodeURIComponent(state.id) + "/export.csv";
  $("export-json").hidden = !ended;
  $("export-csv").hidden = !ended;
  if (ended) {
    showCharts(state);
    setProgress(state.percent, state.state === "done" ? "Run finished" : "Run cancelled");
  } else {
    $("charts").replaceChildren();
    setProgress(state.percent, "Run " + state.id + " is going");
  }
}

async function loadRuns() {
  const r = await api("GET", "/api/runs");
  if (!r.ok) {
    setText("run-status", errorText(r), true);
    return;
  }
  limits = r.body.limits;
  $("limits-text").textContent = "at most " + fmtInt(limits.maxWorkers) + " workers, " +
    fmtInt(limits.maxIncrements) + " increments and " + fmtInt(limits.maxKeys) +
    " counters, " + limits.maxDurationSeconds + " s per run";
  $("workers").max = limits.maxWorkers;
  $("increments").max = limits.maxIncrements;
  $("keys").max = limits.maxKeys;
  $("duration").max = limits.maxDurationSeconds;

  const latest = r.body.active || (r.body.runs[0] && r.body.runs[0].id);
  if (!latest) return;
  const s = await api("GET", "/api/runs/" + encodeURIComponent(latest));
  if (!s.ok) return;
  showRun(s.body);
  if (s.body.state === "running") follow(latest);
}

// ---------------------------------------------------------------------------
// Fault injection.

const FAILURE_WORDS = {
  "refuse": "BUSY reply: nothing applied (unavailable)",
  "drop": "connection cut before the store: unknown outcome",
  "throttle": "ThrottlingException: nothing applied (unavailable)",
  "error": "InternalServerError, not served: unknown outcome",
  "drop-reply": "applied, then the reply is lost: unknown outcome",
  "unavailable": "gRPC UNAVAILABLE: a write's outcome is unknown",
  "deadline-exceeded": "gRPC DEADLINE_EXCEEDED: a write's outcome is unknown",
  "resource-exhausted": "gRPC RESOURCE_EXHAUSTED: throttled (unavailable)",
  "internal": "gRPC INTERNAL: a write's outcome is unknown",
};

function faultWords(f) {
  if (!f) return "No fault.";
  const parts = [];
  if (f.delayMs) parts.push(f.delayMs + " ms added");
  if (f.failShare) parts.push(Math.round(f.failShare * 1000) / 10 + "% fail (" +
    f.failure + ")");
  return "Fault: " + parts.join(", ") + (f.operation ? " on " + f.operation : " on every request") +
    ".";
}

function faultCard(info) {
  const name = info.backend;
  const title = el("h3", { id: "fault-" + name }, name);
  if (!info.embedded) {
    return el("article", { class: "card", "aria-labelledby": "fault-" + name }, title,
      el("p", { class: "hint" }, "This backend uses a configured target: faults can " +
        "only be injected into the embedded targets."));
  }

  const id = (f) => "fault-" + name + "-" + f;
  const f = info.fault || {};
  const op = el("select", { id: id("op") },
    el("option", { value: "" }, "every request"),
    info.operations.map((o) => el("option", { value: o, selected: o === f.operation }, o)));
  const delay = el("input", { id: id("delay"), type: "number", min: 0, max: 10000, step: 1,
    value: f.delayMs || 0, inputmode: "numeric" });
  const share = el("input", { id: id("share"), type: "number", min: 0, max: 100, step: 1,
    value: Math.round((f.failShare || 0) * 100), inputmode: "numeric" });
  const failure = el("select", { id: id("failure") },
    info.failures.map((x) => el("option", { value: x, selected: x === f.failure },
      x + " — " + (FAILURE_WORDS[x] || x))));
  const state = el("p", { class: "result", "aria-live": "polite" }, faultWords(info.fault));
  const apply = el("button", { type: "submit" }, "Apply");
  const clear = el("button", { type: "button", class: "secondary" }, "Clear");

  const form = el("form", { class: "fault-form", novalidate: true },
    el("label", { for: id("op") }, "Operation", op),
    el("label", { for: id("delay") }, "Added delay (ms)", delay),
    el("label", { for: id("share") }, "Failing share (%)", share),
    el("label", { for: id("failure") }, "Failure", failure),
    el("div", { class: "actions" }, apply, clear));

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { operation: op.value, delayMs: Number(delay.value),
      failShare: Number(share.value) / 100, failure: Number(share.value) > 0 ? failure.value : "" };
    const r = await api("PUT", "/api/faults/" + encodeURIComponent(name), body);
    state.className = r.ok ? "result" : "result error";
    state.textContent = r.ok ? faultWords(r.body.fault) : errorText(r);
  });
  clear.addEventListener("click", async () => {
    const r = await api("DELETE", "/api/faults/" + encodeURIComponent(name));
    state.className = r.ok ? "result" : "result error";
    state.textContent = r.ok ? "No fault." : errorText(r);
    if (r.ok) {
      delay.value = 0;
      share.value = 0;
      op.value = "";
    }
  });

  return el("article", { class: "card", "aria-labelledby": "fault-" + name }, title,
    el("p", { class: "hint" }, name === "momento" ?
      "Faults act in the emulator, per RPC (set-if is the conditional write)." :
      name === "redis" ? "Faults act in miniredis, per command." :
        "Faults act in front of minidyn, per operation."),
    form, state);
}

async function loadFaults() {
  const r = await api("GET", "/api/faults");
  if (!r.ok) {
    setText("faults-status", errorText(r), true);
    return;
  }
  $("fault-forms").replaceChildren(...r.body.backends.map(faultCard));
}

async function clearFaults() {
  const r = await api("DELETE", "/api/faults");
  setText("faults-status", r.ok ? "Every fault cleared." : errorText(r), !r.ok);
  if (r.ok) await loadFaults();
}

// ---------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", async () => {
  $("refresh").addEventListener("click", loadBackends);
  $("run-form").addEventListener("submit", startRun);
  $("cancel").addEventListener("click", cancelRun);
  $("preset").addEventListener("change", () => applyPreset($("preset").value));
  for (const f of FIELDS) $(f).addEventListener("input", markCustom);
  $("clear-faults").addEventListener("click", clearFaults);
  $("show-it").addEventListener("click", () => {
    $("preset").value = "hot";
    applyPreset("hot");
    $("compare").scrollIntoView();
    $("run-form").requestSubmit();
  });

  await loadBackends();
  buildChoices();
  applyPreset($("preset").value);
  await Promise.all([loadRuns(), loadFaults()]);
});
