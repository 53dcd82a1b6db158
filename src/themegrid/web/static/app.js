// themegrid workspace: keyboard review, passage selection, decisions kept while the store is busy.
// No inline scripts anywhere (the Content-Security-Policy forbids them); everything is here.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const PENDING = "themegrid-pending-decisions";

  document.addEventListener("htmx:configRequest", (evt) => {
    evt.detail.headers["X-CSRF-Token"] = csrf();
  });

  // --- decisions (review queue) -------------------------------------------------------
  function pending() {
    try { return JSON.parse(localStorage.getItem(PENDING) || "[]"); } catch (e) { return []; }
  }
  function savePending(list) { localStorage.setItem(PENDING, JSON.stringify(list)); }
  function banner(text) {
    const b = document.getElementById("busy-banner");
    if (!b) return;
    b.textContent = text;
    b.hidden = !text;
  }
  function showPending() {
    const n = pending().length;
    banner(n ? n + " decision(s) not stored yet: the project store is busy (another themegrid " +
      "command is writing). They are kept in this browser and sent again every few seconds." : "");
  }
  // a pending entry is {url, body}; older entries (a bare body) were decisions
  const entry = (e) => (typeof e === "string" ? {url: "/decide", body: e} : e);
  async function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf(),
                "HX-Request": "true"},
      body: body,
    });
  }
  async function resend() {
    let list = pending();
    while (list.length) {
      let resp;
      const e = entry(list[0]);
      try { resp = await post(e.url, e.body); } catch (err) { break; }
      if (resp.status === 503) break;
      list.shift();
      savePending(list);
      if (resp.ok) swapItem(await resp.text());
    }
    showPending();
  }
  function swapItem(html) {
    const item = document.getElementById("queue-item");
    if (!item) return;
    const tpl = document.createElement("template");
    tpl.innerHTML = html;
    const fresh = tpl.content.getElementById("queue-item");
    if (fresh) item.replaceWith(fresh);
  }
  async function send(url, form, name, value) {
    const data = new URLSearchParams(new FormData(form));
    data.set(name, value);
    const body = data.toString();
    let resp;
    try { resp = await post(url, body); } catch (e) { resp = null; }
    if (!resp || resp.status === 503) {
      const list = pending(); list.push({url: url, body: body}); savePending(list); showPending();
      return;
    }
    if (resp.ok) swapItem(await resp.text());
    else banner("The decision was refused: " + (await resp.text()));
  }
  const decide = (form, value) => send("/decide", form, "decision", value);
  // --- adding a code from the queue: digits pick a numbered code, "/" filters them ---
  function choices() {
    return Array.from(document.querySelectorAll("#code-choices button.choice"))
      .filter((b) => !b.parentNode.hidden);
  }
  function renumber() {
    const q = ((document.getElementById("code-filter") || {}).value || "").trim().toLowerCase();
    let n = 0;
    document.querySelectorAll("#code-choices button.choice").forEach((b) => {
      const show = !q || b.dataset.match.includes(q);
      b.parentNode.hidden = !show;
      b.querySelector(".key").textContent = show && n < 9 ? String(++n) : "";
    });
  }
  function addCode(button) {
    const form = document.getElementById("add-code-form");
    if (form && button) send("/add-code", form, "code_id", button.value);
  }
  document.addEventListener("input", (evt) => { if (evt.target.id === "code-filter") renumber(); });
  document.addEventListener("submit", (evt) => {
    const form = evt.target;
    if (form.id === "decide-form") {
      evt.preventDefault();
      decide(form, evt.submitter ? evt.submitter.value : "accepted");
    } else if (form.id === "add-code-form") {
      evt.preventDefault();
      const b = evt.submitter && evt.submitter.value ? evt.submitter : choices()[0];
      if (b) addCode(b);
    }
  });
  document.addEventListener("keydown", (evt) => {
    if (evt.target.id === "code-filter") {  // Enter adds the first match, Escape leaves the box
      if (evt.key === "Enter") { evt.preventDefault(); addCode(choices()[0]); }
      else if (evt.key === "Escape") evt.target.blur();
      return;
    }
    const tag = (evt.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea"].includes(tag) || evt.ctrlKey || evt.metaKey || evt.altKey) return;
    const form = document.getElementById("decide-form");
    if (evt.key === "a" && form) { evt.preventDefault(); decide(form, "accepted"); }
    else if (evt.key === "r" && form) { evt.preventDefault(); decide(form, "rejected"); }
    else if (/^[1-9]$/.test(evt.key) && document.getElementById("add-code-form")) {
      evt.preventDefault();
      addCode(choices()[parseInt(evt.key, 10) - 1]);
    } else if (evt.key === "/" && document.getElementById("code-filter")) {
      evt.preventDefault();
      document.getElementById("code-filter").focus();
    } else if (evt.key === "j" || evt.key === "k") {
      const link = document.getElementById(evt.key === "j" ? "next" : "prev");
      if (link) { evt.preventDefault(); window.location.href = link.href; }
    }
  });
  showPending();
  if (pending().length) setTimeout(resend, 500);
  setInterval(() => { if (pending().length) resend(); }, 4000);

  // --- coding a selected passage (reader) ---------------------------------------------
  const codePoints = (s) => Array.from(s).length;
  function textBox(node) {
    while (node && !(node.classList && node.classList.contains("text"))) node = node.parentNode;
    return node;
  }
  function offsetIn(box, node, offset) {
    const r = document.createRange();
    r.setStart(box, 0);
    r.setEnd(node, offset);
    return codePoints(r.toString());
  }
  function memoTarget(box, start, end, text) {
    // a memo goes on the selected passage (its offsets), or on the whole turn the caret is in
    const turn = box && box.closest("article.turn");
    const target = document.getElementById("passage-memo-target");
    if (!turn || !target) return;
    target.value = turn.id.replace(/^seg-/, "");
    document.getElementById("passage-memo-start").value = text ? String(start) : "";
    document.getElementById("passage-memo-end").value = text ? String(end) : "";
    const who = turn.querySelector(".speaker");
    const where = document.getElementById("passage-memo-where");
    if (text) {
      where.textContent = "Memo on the passage \u201c" +
        (text.length > 50 ? text.slice(0, 50) + "\u2026" : text) + "\u201d";
    } else {
      where.textContent = "Memo on the turn " + (who && who.textContent.trim() ? "of " +
        who.textContent.trim() + " " : "") + "\u201c" + box.textContent.slice(0, 50) + "\u2026\u201d";
    }
    document.getElementById("passage-memo-save").disabled = false;
  }
  document.addEventListener("selectionchange", () => {
    const form = document.getElementById("span-form");
    if (!form) return;
    const sel = window.getSelection();
    const button = document.getElementById("span-apply");
    const preview = document.getElementById("span-preview");
    if (!sel || sel.rangeCount === 0) return;
    if (sel.isCollapsed) {
      if (textBox(sel.anchorNode)) memoTarget(textBox(sel.anchorNode), 0, 0, "");
      return;
    }
    const range = sel.getRangeAt(0);
    const box = textBox(range.startContainer);
    if (!box || box !== textBox(range.endContainer)) {
      button.disabled = true;
      document.getElementById("passage-memo-save").disabled = true;
      preview.textContent = "Select text within one turn.";
      return;
    }
    const base = parseInt(box.dataset.start, 10);
    const start = base + offsetIn(box, range.startContainer, range.startOffset);
    const end = base + offsetIn(box, range.endContainer, range.endOffset);
    if (end <= start) return;
    document.getElementById("span-start").value = String(start);
    document.getElementById("span-end").value = String(end);
    const text = range.toString();
    memoTarget(box, start, end, text);
    preview.textContent = "Selected: \u201c" + (text.length > 80 ? text.slice(0, 80) + "\u2026" : text) + "\u201d";
    button.disabled = false;
  });
})();
