// The live board client. The page works without it (every control is a plain form that
// posts to the server); this module turns those same forms into ops sent over one
// WebSocket, merges the server's HTML fragments in place with idiomorph, and keeps what
// people type safe across slow networks, reconnects and reloads.
//
// The wire protocol is documented in docs/PROTOCOL.md. The rules this file lives by:
// - An op counts as saved only when an event with its own cid (or an ack) comes back.
//   Until then it stays in `pending` and is re-sent, with the same cid, after a reconnect.
// - A text field someone is editing is never overwritten by a fragment: its state in
//   `fields` says which server revision the local text started from (base), and the
//   server merges or refuses; a refusal shows both texts.
// - One polite live region announces other people's changes.

import { Idiomorph } from "../vendor/idiomorph.esm.js";

const main = document.getElementById("main");
const statusEl = document.getElementById("sync-status");
const statusText = statusEl && statusEl.querySelector(".sync-text");
const announcer = document.getElementById("announcer");
const handButton = document.getElementById("hand-button");
const msg = main.dataset;

const MAX_MESSAGE_BYTES = 32 * 1024; // the server closes the socket above this
const TEXT_IDLE_MS = 600;             // send a text edit after this much typing pause
const SILENCE_MS = 60000;             // no message for this long: the socket is dead
const STORE_KEY = "barnteam:" + msg.meeting + ":" + msg.member;

document.documentElement.classList.add("js");

let ws = null;
let lastSeq = Number(msg.seq);
let epoch = msg.epoch;
let lastRecv = Date.now();
let attempt = 0;
let reconnectTimer = null;
let stopped = false;
let wasOnline = false;  // the current socket has been welcomed
let everOnline = false; // some socket has been welcomed since the page loaded
let hand = false;
let editing = "";

/** Ops sent (or waiting to be sent) and not yet confirmed, in the order they were made. */
const pending = new Map(); // cid -> {msg, form, key}
/** Text fields with local text the server does not have yet, by "entity#field". */
const fields = new Map(); // key -> {base, inflight: {cid, value} | null, timer, again, srv, conflict}

// ---------------------------------------------------------------------------------------
// Connection

function wsURL() {
  const u = new URL(msg.ws, location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  u.searchParams.set("since", String(lastSeq));
  u.searchParams.set("epoch", epoch);
  return u.toString();
}

function connect() {
  if (stopped || (ws && ws.readyState <= WebSocket.OPEN)) return;
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  setStatus(everOnline ? "offline" : "connecting");
  const sock = new WebSocket(wsURL());
  ws = sock;
  sock.onmessage = (e) => {
    if (ws !== sock) return;
    lastRecv = Date.now();
    let m;
    try { m = JSON.parse(e.data); } catch { return; }
    receive(m);
  };
  sock.onclose = (e) => {
    if (ws !== sock) return;
    ws = null;
    if (e.code === 4005) {
      // Access or role changed: the page itself is different now. Drafts are kept.
      saveDrafts();
      announce(msg.msgReload);
      location.reload();
      return;
    }
    if (e.code >= 4400 && e.code < 4500) {
      stop();
      return;
    }
    if (!wasOnline) failures++;
    if (failures >= 3) checkGone();
    if (wasOnline) announce(msg.msgOffline);
    wasOnline = false;
    scheduleReconnect();
  };
}

// failures counts connections that closed before their welcome. A socket refused at the
// upgrade (a session that ended, a member taken out of the meeting) looks to the browser
// like any network failure, so after a few the client asks for the page itself: a 403
// or 404 there means stop, not retry.
let failures = 0;
async function checkGone() {
  try {
    const r = await fetch(location.href, { method: "HEAD", credentials: "same-origin", cache: "no-store" });
    if (r.status === 403 || r.status === 404) {
      msg.msgStopped = msg.msgGone;
      stop();
    }
  } catch { /* offline: keep trying */ }
}

function scheduleReconnect() {
  setStatus("offline");
  if (reconnectTimer || stopped) return;
  // Exponential backoff with jitter, capped at 30 s, so a restarted server is not hit by
  // every client at the same instant.
  const delay = Math.min(30000, 500 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
  attempt++;
  reconnectTimer = setTimeout(() => { reconnectTimer = null; connect(); }, delay);
}

function reconnectNow() {
  attempt = 0;
  if (ws && ws.readyState === WebSocket.OPEN && Date.now() - lastRecv < SILENCE_MS / 2) return;
  if (ws) { const s = ws; ws = null; s.close(); }
  connect();
}

function stop() {
  stopped = true;
  setStatus("stopped");
  announce(msg.msgStopped);
  const note = document.createElement("p");
  note.className = "flash flash-error client-only";
  note.setAttribute("role", "alert");
  note.textContent = msg.msgStopped;
  main.prepend(note);
}

function send(m) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
}

// A background tab or a phone that slept may hold a dead socket without knowing it.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") reconnectNow();
});
window.addEventListener("online", reconnectNow);
// An open socket can outlive the network (Chromium keeps it): say "offline" at once and
// let the reconnect loop find the network again.
window.addEventListener("offline", () => {
  if (ws) { const s = ws; ws = null; s.close(); }
  wasOnline = false;
  announce(msg.msgOffline);
  scheduleReconnect();
});
window.addEventListener("pageshow", (e) => { if (e.persisted) reconnectNow(); });
setInterval(() => {
  if (ws && ws.readyState === WebSocket.OPEN && Date.now() - lastRecv > SILENCE_MS) {
    const s = ws; ws = null; s.close(); scheduleReconnect();
  }
}, 5000);

// ---------------------------------------------------------------------------------------
// Messages from the server

function receive(m) {
  if (m.t === "hb") clockFrom(m.now);
  switch (m.t) {
    case "welcome":
      clockFrom(m.now);
      attempt = 0;
      failures = 0;
      if (everOnline) announce(msg.msgReconnected);
      wasOnline = true;
      everOnline = true;
      // Re-send whatever was not confirmed, in order, with the same cids: the server
      // answers an op it already applied with an ack, so nothing applies twice.
      for (const p of pending.values()) send(p.msg);
      sendPresence();
      updateStatus();
      break;
    case "snapshot":
      lastSeq = m.seq;
      epoch = m.epoch;
      morphAll(m.html);
      if (m.announce) announce(m.announce);
      break;
    case "lobby-list":
      morphAll(m.html);
      break;
    case "event":
      if (m.seq <= lastSeq) return; // already applied
      if (m.seq !== lastSeq + 1) {
        // A gap: reconnect and resume from what we have.
        const s = ws; ws = null; if (s) s.close(); connect();
        return;
      }
      lastSeq = m.seq;
      morphAll(m.html);
      if (m.change) confirmed(m.change.cid, m.seq, !!m.change.merged, true);
      if (m.announce && m.change && m.change.actor !== msg.member) announce(m.announce);
      break;
    case "ack":
      confirmed(m.cid, m.seq, true, false);
      break;
    case "reject":
      rejected(m);
      break;
    case "presence":
      morphAll(m.html);
      showEditing(m.people || []);
      break;
  }
  updateStatus();
}

/** Merge server-rendered fragments into the page without disturbing anyone's typing. */
// The element that last had the focus: a button that sent an op may have lost it already
// (disabled while its op is on the way) when the update that removes it arrives.
let lastFocus = null;
document.addEventListener("focusin", (e) => { lastFocus = e.target; });

function morphAll(frags) {
  const current = currentItem();
  const focused = document.activeElement && document.activeElement !== document.body ? document.activeElement : lastFocus;
  let focusRegion = null; // the region that held the focus, in case its control goes
  for (const f of frags || []) {
    const el = document.getElementById(f.target);
    if (!el) continue;
    if (focused && el.contains(focused)) focusRegion = f.target;
    Idiomorph.morph(el, f.html, {
      morphStyle: "outerHTML",
      ignoreActiveValue: true,
      callbacks: { beforeNodeMorphed, beforeNodeRemoved },
    });
  }
  tick();
  const changed = currentItem() !== current;
  if (changed) followCurrent();
  const lost = !document.activeElement || document.activeElement === document.body;
  if (lost && focused && !focused.isConnected) refocus(changed, focusRegion);
}

/**
 * The focused control went away with an update (the "make current" button is not shown
 * on the current item): put the focus where the person can go on from, never on <body>,
 * from where a keyboard user would have to start over.
 */
function refocus(currentChanged, regionID) {
  const target = (currentChanged && currentEl()) || (regionID && document.getElementById(regionID));
  if (!target) return;
  if (!target.hasAttribute("tabindex") && !target.matches("a[href], button, input, select, textarea")) {
    target.setAttribute("tabindex", "-1");
  }
  target.focus({ preventScroll: currentChanged });
}

function isTextControl(node) {
  return node instanceof HTMLElement && node.hasAttribute("data-rev") && node.closest("form.text-field");
}

function serverText(node) {
  return { v: node.tagName === "TEXTAREA" ? node.defaultValue : (node.getAttribute("value") || ""), r: Number(node.dataset.rev) };
}

function beforeNodeMorphed(oldNode, newNode) {
  if (oldNode instanceof HTMLButtonElement && oldNode === document.activeElement && newNode instanceof HTMLButtonElement) {
    // ignoreActiveValue leaves the focused element's contents and value alone, which
    // protects typing; a button has nothing typed in it, and its label and value must say
    // what it does now ("Starta tiden" became "Pausa"), for the eye and the screen reader.
    morphButton(oldNode, newNode);
    return false;
  }
  if (oldNode instanceof HTMLElement && oldNode.matches("input:not([type=hidden]), textarea, select")) {
    // Forms that add something are always rendered empty; what is typed in them stays.
    if (oldNode.closest("form[data-create]")) return false;
    // A choice waiting to be sent stands until it is sent.
    if (oldNode.form && dirtyForms.has(oldNode.form)) return false;
  }
  if (!isTextControl(oldNode)) return true;
  const key = keyOf(oldNode.closest("form.text-field"));
  const st = fields.get(key);
  const srv = serverText(newNode);
  if (st && (st.base !== null || st.inflight)) {
    // The person's own text stands; remember the server's newer version for later.
    st.srv = srv;
    return false;
  }
  if (oldNode === document.activeElement) {
    // Focused but unchanged: take the new text and keep the caret where it was.
    if (oldNode.value !== srv.v) {
      const at = oldNode.selectionStart;
      oldNode.value = srv.v;
      try { oldNode.setSelectionRange(at, at); } catch { /* inputs without selection */ }
    }
    oldNode.dataset.rev = String(srv.r);
    return false;
  }
  return true;
}

function morphButton(oldNode, newNode) {
  for (const a of [...oldNode.attributes]) {
    if (!newNode.hasAttribute(a.name)) oldNode.removeAttribute(a.name);
  }
  for (const a of newNode.attributes) {
    if (oldNode.getAttribute(a.name) !== a.value) oldNode.setAttribute(a.name, a.value);
  }
  if (oldNode.innerHTML !== newNode.innerHTML) oldNode.innerHTML = newNode.innerHTML;
}

function beforeNodeRemoved(node) {
  if (!(node instanceof HTMLElement)) return true;
  if (node.classList.contains("client-only")) return false;
  // An item deleted by someone else while this person was writing in it: keep the text.
  for (const ctl of node.querySelectorAll("form.text-field [data-rev]")) {
    const key = keyOf(ctl.closest("form.text-field"));
    const st = fields.get(key);
    if (st && (st.base !== null || st.inflight) && ctl.value.trim() !== "") {
      rescue(ctl.value, labelOf(ctl));
      dropField(key);
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Ops from forms

function keyOf(form) { return form.dataset.entity + "#" + form.dataset.field; }
function controlOf(key) {
  const [entity, field] = key.split("#");
  const form = main.querySelector(`form.text-field[data-entity="${CSS.escape(entity)}"][data-field="${CSS.escape(field)}"]`);
  return form && form.querySelector("[data-rev]");
}
function labelOf(ctl) {
  const l = ctl.id && document.querySelector(`label[for="${CSS.escape(ctl.id)}"]`);
  return l ? l.textContent.trim() : "";
}

function newID(n) {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const b = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(b, (x) => abc[x % abc.length]).join("");
}

function typed(el, v) {
  switch (el.dataset.type) {
    case "int": { const n = Number(v); return v.trim() !== "" && Number.isInteger(n) ? n : v; }
    // A checkbox says it by being checked; a hidden field by its value.
    case "bool": return el.type === "checkbox" ? el.checked : v === "true";
  }
  return v;
}

/** Build an op from a form, with the same field names the server's form handler reads. */
function opFromForm(form) {
  const fd = new FormData(form);
  const op = { t: "op", cid: "c" + newID(22), op: fd.get("op"), entity: fd.get("entity") };
  if (op.op === "create" && op.entity.endsWith("/new")) op.entity = op.entity.slice(0, -3) + newID(16);
  const data = {};
  if (op.op === "set") {
    // A group of radio buttons says its value by the checked one.
    const el = form.querySelector('[name="value"][type=radio]:checked') ||
      form.querySelector('[name="value"]:not([type=hidden]):not([type=radio])') || form.querySelector('[name="value"]');
    data.field = fd.get("field");
    data.value = el.type === "checkbox" ? el.checked : typed(el, el.value);
    if (fd.get("base") !== null) op.base = Number(fd.get("base"));
  } else {
    for (const el of form.elements) {
      if (!el.name || !el.name.startsWith("d.")) continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      data[el.name.slice(2)] = typed(el, el.value);
    }
  }
  op.data = data;
  return op;
}

function submitOp(op, form, key) {
  const bytes = new TextEncoder().encode(JSON.stringify(op)).length;
  if (bytes > MAX_MESSAGE_BYTES) {
    showError(form, msg.msgTooLong);
    return false;
  }
  pending.set(op.cid, { msg: op, form, key });
  send(op);
  saveDrafts();
  updateStatus();
  return true;
}

// Forms that run the room (let in, remove, hand over) post in the background; their
// effect arrives over the socket like everything else.
main.addEventListener("submit", async (e) => {
  const form = e.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("control")) return;
  e.preventDefault();
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  clearError(form);
  form.setAttribute("aria-busy", "true");
  try {
    const r = await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin", redirect: "manual" });
    if (!(r.ok || r.type === "opaqueredirect")) showError(form, msg.msgControlFailed);
  } catch {
    showError(form, msg.msgControlFailed);
  }
  if (form.isConnected) form.removeAttribute("aria-busy");
});

main.addEventListener("submit", (e) => {
  const form = e.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("op")) return;
  e.preventDefault();
  if (stopped) return;
  if (form.classList.contains("text-field")) {
    flush(keyOf(form));
    return;
  }
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  clearTimeout(idleTimers.get(form));
  dirtyForms.delete(form);
  clearError(form);
  const op = opFromForm(form);
  if (submitOp(op, form, null)) form.setAttribute("aria-busy", "true");
});

// Controls marked autosubmit save when they change. A drop-down, and a group of radio
// buttons walked with the arrow keys, change on every key press for keyboard users, so
// they save once the person has stopped for a moment; a click or a tap saves at once.
const SELECT_IDLE_MS = 800;
const RADIO_IDLE_MS = 500;
const idleTimers = new WeakMap(); // form -> timer
/** Forms whose change waits for the person to stop: not sent yet, so not saved yet. */
const dirtyForms = new Set();
let arrowAt = 0;
main.addEventListener("keydown", (e) => { if (e.key.startsWith("Arrow")) arrowAt = Date.now(); });
main.addEventListener("change", (e) => {
  const el = e.target;
  if (!(el instanceof HTMLElement) || !el.classList.contains("autosubmit")) return;
  const form = el.closest("form.op");
  if (!form) return;
  const byArrow = Date.now() - arrowAt < 200;
  const idle = el.tagName === "SELECT" ? SELECT_IDLE_MS : el.type === "radio" && byArrow ? RADIO_IDLE_MS : 0;
  if (!idle) { form.requestSubmit(); return; }
  clearTimeout(idleTimers.get(form));
  dirtyForms.add(form);
  updateStatus();
  idleTimers.set(form, setTimeout(() => { if (form.isConnected) form.requestSubmit(); else dirtyForms.delete(form); }, idle));
});

/** Send every change that waits for a pause now (the page is going away). */
function flushDirtyForms() {
  for (const form of [...dirtyForms]) if (form.isConnected) form.requestSubmit();
}

// ---------------------------------------------------------------------------------------
// Text fields

main.addEventListener("input", (e) => {
  const ctl = e.target;
  if (!isTextControl(ctl)) return;
  const key = keyOf(ctl.closest("form.text-field"));
  let st = fields.get(key);
  if (!st) {
    st = { base: null, inflight: null, timer: null, again: false, srv: null, conflict: false };
    fields.set(key, st);
  }
  if (st.base === null) st.base = Number(ctl.dataset.rev);
  clearTimeout(st.timer);
  if (!st.conflict) st.timer = setTimeout(() => flush(key), TEXT_IDLE_MS);
  saveDrafts();
  updateStatus();
});

main.addEventListener("focusin", (e) => {
  if (!isTextControl(e.target)) return;
  editing = keyOf(e.target.closest("form.text-field"));
  sendPresence();
});

main.addEventListener("focusout", (e) => {
  if (!isTextControl(e.target)) return;
  const key = keyOf(e.target.closest("form.text-field"));
  if (fields.has(key) && !fields.get(key).conflict) flush(key);
  editing = "";
  sendPresence();
});

/** Send a text field's local text now, unless an earlier send is still unconfirmed. */
function flush(key) {
  const st = fields.get(key);
  const ctl = controlOf(key);
  if (!st || !ctl) return;
  clearTimeout(st.timer);
  st.timer = null;
  if (st.inflight) { st.again = true; return; }
  st.again = false;
  if (st.base === null) return;
  if (ctl.value === serverText(ctl).v && st.base === Number(ctl.dataset.rev)) {
    dropField(key); // nothing to send: the text is what the server has
    return;
  }
  const [entity, field] = key.split("#");
  const op = { t: "op", cid: "c" + newID(22), op: "set", entity, base: st.base, data: { field, value: ctl.value } };
  const form = ctl.closest("form");
  clearError(form);
  if (!submitOp(op, form, key)) return;
  st.inflight = { cid: op.cid, value: ctl.value };
}

function dropField(key) {
  const st = fields.get(key);
  if (st) clearTimeout(st.timer);
  fields.delete(key);
  saveDrafts();
}

/** The op with this cid is durable at seq. */
function confirmed(cid, seq, merged, ownEvent) {
  const p = pending.get(cid);
  if (!p) return;
  pending.delete(cid);
  if (p.form) {
    p.form.removeAttribute("aria-busy");
    if (p.form.dataset.create && p.form.isConnected) p.form.reset();
  }
  if (p.key) textConfirmed(p.key, cid, seq, merged, ownEvent);
  saveDrafts();
}

function textConfirmed(key, cid, seq, merged, ownEvent) {
  const st = fields.get(key);
  if (!st || !st.inflight || st.inflight.cid !== cid) return;
  const sent = st.inflight.value;
  st.inflight = null;
  const ctl = controlOf(key);
  if (!ctl) { dropField(key); return; }
  // Not merged: the server now holds exactly what was sent, at revision seq. Merged (or
  // an ack, where we cannot tell): the server's text includes someone else's words, so
  // later local typing still counts from the old base and the server merges again.
  if (!merged && ownEvent) st.base = seq;
  if (ctl.value === sent) {
    const srv = st.srv && st.srv.r >= seq ? st.srv : null;
    if (!merged && ownEvent) {
      ctl.dataset.rev = String(seq);
      if (ctl.tagName === "TEXTAREA") ctl.defaultValue = sent; else ctl.setAttribute("value", sent);
    } else if (srv) {
      ctl.value = srv.v;
      ctl.dataset.rev = String(srv.r);
      if (ctl.tagName === "TEXTAREA") ctl.defaultValue = srv.v; else ctl.setAttribute("value", srv.v);
    } else {
      return; // wait for the server's text to arrive in a fragment
    }
    // If someone changed it after us, their newer text is in srv; show it.
    if (st.srv && st.srv.r > Number(ctl.dataset.rev)) {
      ctl.value = st.srv.v;
      ctl.dataset.rev = String(st.srv.r);
    }
    dropField(key);
    return;
  }
  if (st.again || !st.timer) flush(key);
}

function rejected(m) {
  const p = pending.get(m.cid);
  if (!p) return;
  pending.delete(m.cid);
  if (p.form) p.form.removeAttribute("aria-busy");
  const retry = m.code === "unavailable" || m.code === "rate";
  if (!p.key) {
    if (retry) {
      // Not saved now: keep it and send again shortly.
      pending.set(m.cid, p);
      setTimeout(() => send(p.msg), 2000);
    } else if (p.form && p.form.isConnected) {
      showError(p.form, m.message);
    } else {
      showError(null, m.message);
    }
    saveDrafts();
    return;
  }
  const key = p.key;
  const st = fields.get(key);
  if (!st) return;
  st.inflight = null;
  const ctl = controlOf(key);
  if (retry) {
    st.timer = setTimeout(() => flush(key), 2000);
    return;
  }
  if (!ctl) {
    rescue(p.msg.data.value, "");
    dropField(key);
    return;
  }
  if (m.code === "conflict" && m.current) {
    showConflict(key, ctl, m);
  } else if (m.code === "not_found") {
    rescue(ctl.value, labelOf(ctl));
    dropField(key);
  } else {
    showError(ctl.closest("form"), m.message);
  }
  saveDrafts();
}

// ---------------------------------------------------------------------------------------
// Showing problems without losing text

function showError(form, text) {
  const box = document.createElement("p");
  box.className = "op-error client-only";
  box.setAttribute("role", "alert");
  box.textContent = text;
  if (form && form.isConnected) {
    clearError(form);
    form.append(box);
  } else {
    document.getElementById("client-messages").append(box);
  }
}

function clearError(form) {
  if (!form) return;
  for (const e of form.querySelectorAll(".op-error")) e.remove();
}

/** Both texts side by side; the person chooses. Their own text is never thrown away. */
function showConflict(key, ctl, m) {
  const st = fields.get(key);
  st.conflict = true;
  clearTimeout(st.timer);
  st.srv = { v: m.current.v, r: m.current.r };
  const form = ctl.closest("form");
  for (const old of form.querySelectorAll(".conflict")) old.remove();
  const box = document.createElement("div");
  box.className = "conflict client-only";
  box.setAttribute("role", "alert");
  const p = document.createElement("p");
  p.textContent = m.message;
  const id = ctl.id + "-theirs";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = msg.msgTheirText;
  const theirs = document.createElement("textarea");
  theirs.id = id;
  theirs.readOnly = true;
  theirs.rows = 3;
  theirs.dir = "auto";
  theirs.value = m.current.v;
  const mine = document.createElement("button");
  mine.type = "button";
  mine.textContent = msg.msgUseMine;
  mine.addEventListener("click", () => {
    // Deliberately replace the saved text with this person's text.
    st.conflict = false;
    st.base = m.current.r;
    box.remove();
    flush(key);
  });
  const keep = document.createElement("button");
  keep.type = "button";
  keep.textContent = msg.msgDismiss;
  keep.addEventListener("click", () => {
    rescue(ctl.value, labelOf(ctl));
    ctl.value = m.current.v;
    ctl.dataset.rev = String(m.current.r);
    box.remove();
    dropField(key);
    updateStatus();
  });
  box.append(p, label, theirs, mine, keep);
  form.append(box);
}

/** Keep text that has nowhere to go (its item was deleted) where the person can copy it. */
function rescue(text, label) {
  if (!text || !text.trim()) return;
  const area = document.getElementById("client-messages");
  const box = document.createElement("div");
  box.className = "rescued client-only";
  const id = "rescued-" + newID(6);
  const l = document.createElement("label");
  l.htmlFor = id;
  l.textContent = msg.msgRescued + (label ? " (" + label + ")" : "");
  const ta = document.createElement("textarea");
  ta.id = id;
  ta.readOnly = true;
  ta.rows = 3;
  ta.dir = "auto";
  ta.value = text;
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = msg.msgClose;
  close.addEventListener("click", () => box.remove());
  box.append(l, ta, close);
  area.append(box);
  announce(msg.msgRescued);
}

// ---------------------------------------------------------------------------------------
// Drafts survive a reload of the tab (sessionStorage: this tab only, gone when it closes)

function saveDrafts() {
  try {
    const drafts = [];
    for (const [key, st] of fields) {
      const ctl = controlOf(key);
      if (ctl && st.base !== null) drafts.push({ key, base: st.base, value: ctl.value });
    }
    const ops = [...pending.values()].filter((p) => !p.key).map((p) => p.msg);
    if (drafts.length || ops.length) sessionStorage.setItem(STORE_KEY, JSON.stringify({ drafts, ops }));
    else sessionStorage.removeItem(STORE_KEY);
  } catch { /* storage full or disabled: the page still works */ }
}

function restoreDrafts() {
  let saved;
  try { saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null"); } catch { saved = null; }
  if (!saved) return;
  for (const op of saved.ops || []) pending.set(op.cid, { msg: op, form: null, key: null });
  for (const d of saved.drafts || []) {
    const ctl = controlOf(d.key);
    if (!ctl) { rescue(d.value, ""); continue; }
    if (ctl.value === d.value) continue;
    ctl.value = d.value;
    fields.set(d.key, { base: d.base, inflight: null, timer: null, again: false, srv: null, conflict: false });
    flush(d.key);
  }
}

// ---------------------------------------------------------------------------------------
// Presence, status, announcements

function sendPresence() {
  send({ t: "presence", editing, hand });
}

if (handButton) {
  handButton.hidden = false;
  handButton.addEventListener("click", () => {
    hand = !hand;
    handButton.setAttribute("aria-pressed", String(hand));
    handButton.textContent = hand ? handButton.dataset.down : handButton.dataset.up;
    sendPresence();
  });
}

function showEditing(people) {
  for (const el of main.querySelectorAll("[data-editing-for]")) { el.hidden = true; el.textContent = ""; }
  for (const p of people) {
    if (!p.editing || p.member === msg.member) continue;
    const el = main.querySelector(`[data-editing-for="${CSS.escape(p.editing)}"]`);
    if (!el) continue;
    el.textContent = msg.msgEditing.replace("{name}", p.name);
    el.hidden = false;
  }
}

function setStatus(state) {
  if (!statusEl) return;
  if (statusEl.dataset.state === state) return;
  statusEl.dataset.state = state;
  statusText.textContent = statusText.dataset[state] || "";
}

function updateStatus() {
  if (stopped) return setStatus("stopped");
  if (!ws || ws.readyState !== WebSocket.OPEN || !wasOnline) return setStatus(everOnline ? "offline" : "connecting");
  let busy = pending.size > 0 || dirtyForms.size > 0;
  for (const st of fields.values()) if (st.base !== null && !st.conflict) busy = true;
  setStatus(busy ? "saving" : "saved");
}

let announceTimer = null;
function announce(text) {
  if (!announcer || !text) return;
  // Clear first so that the same words said twice are announced twice.
  announcer.textContent = "";
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { announcer.textContent = text; }, 50);
}

window.addEventListener("beforeunload", (e) => {
  flushDirtyForms();
  saveDrafts();
  if (pending.size > 0) e.preventDefault();
});

// ---------------------------------------------------------------------------------------
// The meeting's clock and the item's timer, counted down on every device from the
// server's clock, so that everyone sees the same time left. Screen readers hear the timer
// only at thresholds (five minutes, one minute, time's up), never every second.

let serverOffset = 0; // server clock minus this device's clock, in ms
let clockKnown = false; // from the connection (welcome, heartbeat), not just the page
function clockFrom(now) {
  if (typeof now === "number" && now > 0) {
    serverOffset = now - Date.now();
    clockKnown = true;
  }
}
{
  // Until the connection brings the server's clock, count from the clock the page was
  // drawn with: a device whose own clock is wrong shows the right time from the start.
  const st = document.getElementById("meeting-status");
  const drawn = st ? Number(st.dataset.now) : 0;
  if (drawn > 0) serverOffset = drawn - Date.now();
}
function serverNow() { return Date.now() + serverOffset; }

function formatLeft(ms) {
  const sign = ms < 0 ? "−" : "";
  const s = Math.round(Math.abs(ms) / 1000);
  return sign + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

let lastThreshold = null; // "item:ends:threshold" last seen
let mostLeft = { key: "", left: 0 }; // the most time this page saw left on the timer
const thresholds = { five: 300000, one: 60000, over: 0 };
function tick() {
  const st = document.getElementById("meeting-status");
  if (!st) return;
  const d = st.dataset;
  const clock = st.querySelector("[data-clock]");
  if (clock && d.started && d.started !== "0") {
    const end = d.ended && d.ended !== "0" ? Number(d.ended) : serverNow();
    const minutes = Math.max(0, Math.floor((end - Number(d.started)) / 60000));
    clock.textContent = d.msgClock.replace("{minutes}", String(minutes)).replace("{planned}", d.planned);
  }
  const timer = st.querySelector("[data-timer]");
  if (!timer || !d.timerItem) return;
  const left = d.timerRunning === "true" ? Number(d.timerEnds) - serverNow() : Number(d.timerLeft);
  const text = formatLeft(left);
  if (timer.textContent !== text) timer.textContent = text;
  timer.classList.toggle("is-over", left < 0);
  if (d.timerRunning !== "true" || !clockKnown) return; // thresholds only on the server's clock
  const timerKey = d.timerItem + ":" + d.timerEnds;
  if (mostLeft.key !== timerKey) mostLeft = { key: timerKey, left };
  mostLeft.left = Math.max(mostLeft.left, left);
  const threshold = left <= 0 ? "over" : left <= 60000 ? "one" : left <= 300000 ? "five" : "";
  const key = timerKey + ":" + threshold;
  if (threshold && key !== lastThreshold) {
    // Said once per threshold and timer; not when the page opens already past it, nor
    // for a timer that started at the threshold (five minutes for a five-minute item):
    // only when this page saw it more than a second above.
    if (lastThreshold !== null && lastThreshold.startsWith(timerKey) && mostLeft.left > thresholds[threshold] + 1000) {
      announce(threshold === "over" ? d.msgOver : threshold === "one" ? d.msgOne : d.msgFive);
    }
  }
  lastThreshold = key;
}
setInterval(tick, 1000);

// ---------------------------------------------------------------------------------------
// Following the meeting: when the current agenda item changes, everyone's view goes to it,
// unless they are writing; whoever is away from it gets a way back.

const backLink = document.getElementById("back-to-current");
function currentItem() {
  const st = document.getElementById("meeting-status");
  return st ? st.dataset.current || "" : "";
}
function currentEl() {
  const id = currentItem();
  return id ? document.getElementById("ag-" + id) : null;
}
function followCurrent() {
  const el = currentEl();
  if (!el) return;
  const active = document.activeElement;
  const writing = active && active.matches && active.matches("input, textarea, select");
  if (!writing) el.scrollIntoView({ block: "start", behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
  updateBackLink();
}
function updateBackLink() {
  if (!backLink) return;
  const el = currentEl();
  let away = false;
  if (el) {
    const r = el.getBoundingClientRect();
    away = r.bottom < 0 || r.top > innerHeight;
  }
  backLink.parentElement.hidden = !away;
  if (el) backLink.href = "#" + el.id;
}
if (backLink) {
  window.addEventListener("scroll", updateBackLink, { passive: true });
  backLink.addEventListener("click", (e) => {
    const el = currentEl();
    if (!el) return;
    e.preventDefault();
    el.scrollIntoView({ block: "start" });
    if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
    updateBackLink();
  });
  updateBackLink();
}

restoreDrafts();
tick();
connect();
