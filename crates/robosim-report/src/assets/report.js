// robosim report: the failure table (filters, pages, keyboard) and the detail of a failure,
// built from the JSON in the page. Every text goes in through textContent: a program's text
// is shown, never run.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const data = (id) => JSON.parse($(id).textContent);
  const inputs = data("data-inputs");
  const rows = data("data-rows");
  const PAGE = 50;
  let shown = rows.map((_, i) => i);
  let page = 0;

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  };
  const fill = (select, values, label = (v) => v) => {
    for (const v of values) select.append(el("option", { value: String(v), text: label(v) }));
  };
  const unique = (values) => [...new Set(values)].filter((v) => v !== "").sort();

  const [fInput, fClass, fTask, fText] = ["filter-input", "filter-class", "filter-task", "filter-text"].map($);
  fill(fInput, inputs.map((_, i) => i), (i) => inputs[i]);
  if (inputs.length < 2) {
    $("filter-input-label").hidden = true;
    $("failure-table").classList.add("one-input");
  }
  fill(fClass, unique(rows.map((r) => r.class)));
  const tasks = unique(rows.map((r) => r.task));
  fill(fTask, tasks);
  if (tasks.length === 0) $("filter-task-label").hidden = true;

  function apply() {
    const [input, cls, task, text] = [fInput.value, fClass.value, fTask.value, fText.value.trim().toLowerCase()];
    shown = [];
    rows.forEach((r, i) => {
      if (input !== "" && String(r.i) !== input) return;
      if (cls && r.class !== cls) return;
      if (task && r.task !== task) return;
      if (text && !`${r.id} ${r.class} ${r.task} ${r.text}`.toLowerCase().includes(text)) return;
      shown.push(i);
    });
    page = 0;
    draw();
  }

  function draw() {
    const body = $("failure-table").tBodies[0];
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    body.replaceChildren(
      ...shown.slice(page * PAGE, (page + 1) * PAGE).map((i) => {
        const r = rows[i];
        const tr = el("tr", { tabindex: "0", "data-row": String(i), "aria-label": `${r.id}: ${r.class}, open details` });
        for (const v of [inputs[r.i], r.id, r.class, r.task, r.line ?? "", r.text]) tr.append(el("td", { text: String(v) }));
        return tr;
      })
    );
    $("match-count").textContent = `${shown.length} of ${rows.length} rows match`;
    $("page-label").textContent = `page ${page + 1} of ${pages}`;
    $("page-prev").disabled = page === 0;
    $("page-next").disabled = page >= pages - 1;
  }

  // The code, numbered, the failing line marked.
  function code(program, line) {
    const pre = el("pre", { class: "code" });
    (program || "").replace(/\n+$/, "").split("\n").forEach((text, k) => {
      const n = k + 1;
      const span = el("span", { class: n === line ? "code-line failing" : "code-line", "data-n": String(n), text: text || " " });
      if (n === line) span.setAttribute("aria-label", `line ${n}, where it failed: ${text}`);
      pre.append(span);
    });
    return pre;
  }

  const show = (v) => (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v));
  // The robot's calls grouped by the room it was in: a timeline of rooms.
  function timeline(calls, omitted) {
    const list = el("ol", { class: "timeline" });
    let room = null;
    let items = null;
    const enter = (name) => {
      items = el("ul");
      list.append(el("li", {}, el("h4", { text: name }), items));
    };
    // Each call is [function, args, returned] or [function, args, null, raised].
    for (const [fn, args, returned, raised] of calls || []) {
      if (fn === "go_to") {
        room = String(args[0]);
        enter(`→ ${room}`);
        if (raised !== undefined) items.append(el("li", { class: "raised", text: `go_to raised ${raised}` }));
        continue;
      }
      if (items === null) enter(room ?? "at the start");
      const result = raised !== undefined ? `raised ${raised}` : returned === null ? "" : `→ ${show(returned)}`;
      const li = el("li", { text: `${fn}(${args.map(show).join(", ")}) ${result}` });
      if (raised !== undefined) li.className = "raised";
      items.append(li);
    }
    const box = el("div", {}, el("h3", { text: `What the robot did (${(calls || []).length} call${(calls || []).length === 1 ? "" : "s"})` }), list);
    if (omitted) box.append(el("p", { text: `${omitted} more calls not recorded` }));
    return box;
  }

  function decisions(list, omitted) {
    const ol = el("ol", { class: "decisions" });
    for (const d of list || []) {
      const rest = Object.entries(d).filter(([k]) => !["site", "alternatives", "chosen", "choice", "options"].includes(k));
      const picked = Array.isArray(d.options) ? show(d.options[d.chosen]) : `alternative ${d.chosen + 1}`;
      const where = d.site && d.site.line ? `line ${d.site.line}: ` : "";
      ol.append(el("li", { text: `${where}${d.choice} ${rest.map(([k, v]) => `${k}=${show(v)}`).join(" ")} → ${picked} (of ${d.alternatives})` }));
    }
    const box = el("div", {}, el("h3", { text: "The failing path: the world's choices, in order" }), ol);
    if (omitted) box.append(el("p", { text: `${omitted} more decisions not recorded` }));
    return box;
  }

  function world(w) {
    const box = el("section", { class: "world" });
    box.append(el("h3", { class: w.passed ? "passed" : "failed", text: `${w.world}: ${w.passed ? "passed" : "failed"} (${w.outcome})` }));
    if (w.error) box.append(el("p", { class: "error", text: w.error }));
    if (w.trace_cut) box.append(el("p", { text: `trace reading cut by ${w.trace_cut.by}` }));
    if (w.failed_checks && w.failed_checks.length) {
      box.append(el("ul", {}, ...w.failed_checks.map((c) => el("li", { class: "failed", text: `check "${c.check}" failed: ${c.reason}` }))));
    }
    if (!w.passed && w.calls) box.append(timeline(w.calls, w.calls_omitted));
    return box;
  }

  function open(i) {
    const r = rows[i];
    const d = data(`detail-${i}`); // parsed only now
    $("detail-title").textContent = `${r.id} — ${r.class}`;
    const body = $("detail-body");
    body.replaceChildren();
    body.append(el("p", { text: `${inputs[r.i]}${r.task ? ` · task ${r.task}` : ""}` }));
    const said = d.instruction || d.prompt;
    if (said) body.append(el("p", {}, el("strong", { text: "Instruction: " }), said));
    if (d.error || d.message) body.append(el("p", { class: "error", text: d.error || d.message }));
    if (d.program) body.append(el("h3", { text: r.line ? `Program (line ${r.line} marked)` : "Program" }), code(d.program, r.line));
    if (d.traceback) body.append(el("pre", { class: "error", text: d.traceback }));
    if (d.slim) body.append(el("p", { text: "The robot's calls and the path are left out of this row: the page keeps them for its first 16 MiB of details." }));
    if (d.kind === "verdict") {
      if (d.decisions) body.append(decisions(d.decisions, d.decisions_omitted));
      if (d.trace) body.append(timeline(d.trace, d.trace_omitted));
    }
    if (d.kind === "grade") {
      if (d.trace) body.append(el("p", { text: `trace read as ${d.trace}` }));
      for (const w of d.worlds || []) body.append(world(w));
      for (const [name, a] of Object.entries(d.ablations || {})) body.append(el("p", { text: `ablation ${name}: ${a.passed ? "passed" : "failed"} (${a.class})` }));
    }
    const dialog = $("detail");
    dialog.dataset.row = String(i);
    if (!dialog.open) dialog.showModal();
    $("detail-close").focus();
  }

  const body = $("failure-table").tBodies[0];
  body.addEventListener("click", (e) => {
    const tr = e.target.closest("tr");
    if (tr) open(Number(tr.dataset.row));
  });
  body.addEventListener("keydown", (e) => {
    const tr = e.target.closest("tr");
    if (!tr) return;
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      open(Number(tr.dataset.row));
    } else if (e.key === "ArrowDown" && tr.nextElementSibling) {
      e.preventDefault();
      tr.nextElementSibling.focus();
    } else if (e.key === "ArrowUp" && tr.previousElementSibling) {
      e.preventDefault();
      tr.previousElementSibling.focus();
    }
  });
  $("detail").addEventListener("close", () => {
    const row = body.querySelector(`tr[data-row="${$("detail").dataset.row}"]`);
    if (row) row.focus();
  });
  $("detail-close").addEventListener("click", () => $("detail").close());
  for (const f of [fInput, fClass, fTask]) f.addEventListener("change", apply);
  fText.addEventListener("input", apply);
  $("page-prev").addEventListener("click", () => { page -= 1; draw(); });
  $("page-next").addEventListener("click", () => { page += 1; draw(); });
  draw();
  document.body.dataset.ready = "true";
})();
