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
  async function post(body) {
    return fetch("/decide", {
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
      try { resp = await post(list[0]); } catch (e) { break; }
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
  async function decide(form, value) {
    const data = new URLSearchParams(new FormData(form));
    data.set("decision", value);
    const body = data.toString();
    let resp;
    try { resp = await post(body); } catch (e) { resp = null; }
    if (!resp || resp.status === 503) {
      const list = pending(); list.push(body); savePending(list); showPending();
      return;
    }
    if (resp.ok) swapItem(await resp.text());
    else banner("The decision was refused: " + (await resp.text()));
  }
  document.addEventListener("submit", (evt) => {
    const form = evt.target;
    if (form.id !== "decide-form") return;
    evt.preventDefault();
    const value = evt.submitter ? evt.submitter.value : "accepted";
    decide(form, value);
  });
  document.addEventListener("keydown", (evt) => {
    const tag = (evt.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea"].includes(tag) || evt.ctrlKey || evt.metaKey || evt.altKey) return;
    const form = document.getElementById("decide-form");
    if (evt.key === "a" && form) { evt.preventDefault(); decide(form, "accepted"); }
    else if (evt.key === "r" && form) { evt.preventDefault(); decide(form, "rejected"); }
    else if (evt.key === "j" || evt.key === "k") {
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
  document.addEventListener("selectionchange", () => {
    const form = document.getElementById("span-form");
    if (!form) return;
    const sel = window.getSelection();
    const button = document.getElementById("span-apply");
    const preview = document.getElementById("span-preview");
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
    const range = sel.getRangeAt(0);
    const box = textBox(range.startContainer);
    if (!box || box !== textBox(range.endContainer)) {
      button.disabled = true;
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
    preview.textContent = "Selected: \u201c" + (text.length > 80 ? text.slice(0, 80) + "\u2026" : text) + "\u201d";
    button.disabled = false;
  });
})();
