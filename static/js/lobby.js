// The lobby: someone who has confirmed "this is me" waits here until the Stödsamordnare
// lets them in. The socket carries nothing but the waiting state; when it changes, the
// page reloads into the board (or the turned-away page). It reconnects like the board:
// with backoff, and at once when the page becomes visible or the device comes online.

const main = document.getElementById("main");
const status = document.getElementById("lobby-status");
const msg = main.dataset;

let ws = null;
let attempt = 0;
let timer = null;
let stopped = false;

function url() {
  const u = new URL(msg.ws, location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return u.toString();
}

function say(text) {
  if (status && text) status.textContent = text;
}

function connect() {
  if (stopped || (ws && ws.readyState <= WebSocket.OPEN)) return;
  clearTimeout(timer);
  const sock = new WebSocket(url());
  ws = sock;
  sock.onmessage = (e) => {
    let m;
    try { m = JSON.parse(e.data); } catch { return; }
    // Let in while this page was offline: the server now opens a board socket for the
    // session, so the page must become the board.
    if (m.t === "welcome") { location.reload(); return; }
    if (m.t !== "lobby") return;
    attempt = 0;
    if (m.state === "admitted") say(msg.msgAdmitted);
    if (m.state === "turned_away") say(msg.msgTurnedAway);
  };
  sock.onclose = (e) => {
    if (ws !== sock) return;
    ws = null;
    if (e.code === 4005) { location.reload(); return; }
    if (e.code >= 4400 && e.code < 4500) { stopped = true; say(msg.msgStopped); return; }
    const delay = Math.min(30000, 500 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
    attempt++;
    if (attempt === 3) say(msg.msgOffline);
    // After a few failures the page may simply be gone (turned away, link revoked):
    // reloading shows whatever the server says now.
    if (attempt >= 5) { location.reload(); return; }
    timer = setTimeout(connect, delay);
  };
}

function now() {
  attempt = 0;
  if (!ws) connect();
}

if (msg.ws) {
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") now(); });
  window.addEventListener("online", now);
  connect();
}
