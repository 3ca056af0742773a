// CounterLab's first page: one card per backend with its target and health,
// and one button per strategy that increments the counter named in the id
// field. Every value from the server goes into the page as text.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setStatus(text, isError) {
  const s = $("status");
  s.textContent = text;
  s.className = isError ? "error" : "";
}

async function api(method, path) {
  const res = await fetch(path, { method, headers: { Accept: "application/json" } });
  if (res.status === 204) return { ok: true, status: 204, body: null };
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    body = { error: "bad_response", message: "the server answered " + res.status };
  }
  return { ok: res.ok, status: res.status, body };
}

function healthBadge(h) {
  if (h.ok) return el("span", { class: "health ok" }, "healthy");
  return el("span", { class: "health bad", title: h.error }, "unhealthy");
}

function strategyRow(backend, s) {
  const result = el("div", { class: "result" });
  const button = el("button", { type: "button" }, "Increment");
  const tags = [el("span", { class: "tag" }, s.conditional ? "conditional" : "unconditional")];
  if (!s.correct) tags.push(el("span", { class: "tag incorrect" }, "loses updates"));

  button.addEventListener("click", async () => {
    const id = $("counter-id").value;
    if (!id) {
      result.className = "result error";
      result.textContent = "enter a counter id";
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
        result.textContent = r.status + " " + r.body.error + ": " + r.body.message;
      }
    } catch (e) {
      result.className = "result error";
      result.textContent = "request failed: " + e.message;
    } finally {
      button.disabled = false;
    }
  });

  return el("div", { class: "strategy" },
    el("div", { class: "row" }, el("strong", {}, s.id), ...tags, button),
    el("p", {}, s.summary),
    result);
}

function card(b) {
  const reset = el("button", { type: "button", class: "secondary" }, "Reset counter");
  const note = el("div", { class: "result" });
  reset.addEventListener("click", async () => {
    const id = $("counter-id").value;
    if (!id) return;
    const r = await api("DELETE", "/api/counters/" + encodeURIComponent(b.name) + "/" +
      encodeURIComponent(id));
    note.className = r.ok ? "result" : "result error";
    note.textContent = r.ok ? "counter " + id + " deleted" : r.body.error + ": " + r.body.message;
  });

  return el("article", { class: "card" },
    el("h2", {}, b.name, healthBadge(b.health)),
    el("p", { class: "target" },
      b.target.kind + " · " + b.target.address + " · " + b.target.library),
    ...b.strategies.map((s) => strategyRow(b.name, s)),
    el("div", { class: "row" }, reset),
    note);
}

async function load() {
  setStatus("checking backends…", false);
  try {
    const r = await api("GET", "/api/backends");
    if (!r.ok) {
      setStatus(r.body.error + ": " + r.body.message, true);
      return;
    }
    $("backends").replaceChildren(...r.body.backends.map(card));
    setStatus("", false);
  } catch (e) {
    setStatus("could not reach the server: " + e.message, true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("refresh").addEventListener("click", load);
  load();
});
