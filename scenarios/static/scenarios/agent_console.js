// The remote-agent console: live session list, live transcript, take over / speak / hand back.
// Talks to /ws/agent/ (see scenarios/consumers.py); reconnects on its own.
(function () {
  "use strict";
  const root = document.getElementById("console");
  if (!root) return;
  const L = JSON.parse(document.getElementById("console-labels").textContent);
  const rowsEl = document.getElementById("session-rows");
  const transcriptEl = document.getElementById("transcript");
  const titleEl = document.getElementById("watched-title");
  const stateEl = document.getElementById("watched-state");
  const metaEl = document.getElementById("watched-meta");
  const errorEl = document.getElementById("console-error");
  const connEl = document.getElementById("connection");
  const takeBtn = document.getElementById("take-over");
  const backBtn = document.getElementById("hand-back");
  const sayText = document.getElementById("say-text");
  const sayBtn = document.getElementById("say-send");
  const presenceEl = document.getElementById("presence");
  const acceptBtn = document.getElementById("accept-transfer");
  const transferTo = document.getElementById("transfer-to");
  const transferBtn = document.getElementById("transfer-send");
  const sessions = new Map();
  let watched = null;
  let seen = new Set();
  let socket = null;
  let me = null;

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function waitText(row) {
    if (row.waiting_seconds == null) return "";
    const s = row.waiting_seconds;
    return s < 120 ? L.seconds.replace("%(n)s", s) : L.minutes.replace("%(n)s", Math.floor(s / 60));
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (cls) td.className = cls;
    return td;
  }

  function renderRows() {
    rowsEl.textContent = "";
    const order = { waiting: 0, agent: 1 };
    const rows = Array.from(sessions.values()).sort(
      (a, b) => (order[a.state] ?? 2) - (order[b.state] ?? 2) || (b.waiting_seconds || 0) - (a.waiting_seconds || 0)
    );
    if (!rows.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell(L.no_sessions);
      td.colSpan = 6;
      tr.appendChild(td);
      rowsEl.appendChild(tr);
      return;
    }
    for (const row of rows) {
      const tr = document.createElement("tr");
      tr.dataset.session = row.id;
      tr.className = "state-" + row.state + (row.id === watched ? " selected" : "");
      tr.appendChild(cell(L.states[row.state] || row.state));
      tr.appendChild(cell(row.device || row.channel));
      tr.appendChild(cell(row.branch || "—"));
      tr.appendChild(cell(row.scenario_name ? (row.scenario_name[document.documentElement.lang] || row.scenario) : row.scenario));
      tr.appendChild(cell(L.sentiments[row.sentiment] || row.sentiment || "—", "sentiment-" + row.sentiment));
      tr.appendChild(cell(waitText(row)));
      tr.addEventListener("click", () => watch(row.id));
      rowsEl.appendChild(tr);
    }
  }

  function renderWatched() {
    const row = watched && sessions.get(watched);
    if (!row) {
      takeBtn.disabled = backBtn.disabled = sayBtn.disabled = sayText.disabled = true;
      transferBtn.disabled = transferTo.disabled = true;
      acceptBtn.hidden = true;
      return;
    }
    titleEl.textContent = (row.device || row.channel) + " · " + row.scenario;
    stateEl.textContent = L.states[row.state] || row.state;
    const bits = [L.step + ": " + row.step];
    if (row.reason) bits.push(L.reason + ": " + row.reason);
    if (row.agent) bits.push(L.agent + ": " + row.agent);
    if (row.queue) bits.push(L.queue + ": " + row.queue);
    if (row.routed_to && row.routed_to !== row.agent) bits.push(L.routed_to + ": " + row.routed_to);
    if (row.transfer_to === me) bits.push(L.transfer_from + (row.transfer_note ? ": " + row.transfer_note : ""));
    metaEl.textContent = bits.join(" · ");
    const mine = row.state === "agent" && row.agent === me;
    acceptBtn.hidden = row.transfer_to !== me;
    transferBtn.disabled = transferTo.disabled = !mine;
    takeBtn.disabled = !(row.state === "waiting" || row.state === "active");
    backBtn.disabled = !(mine || row.state === "waiting");
    sayBtn.disabled = sayText.disabled = !mine;
  }

  function addTurn(turn) {
    if (seen.has(turn.seq)) return;
    seen.add(turn.seq);
    const li = document.createElement("li");
    li.className = "role-" + turn.role;
    li.dataset.seq = turn.seq;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = (L.roles[turn.role] || turn.role) + (turn.agent ? " · " + turn.agent : "") +
      (turn.sentiment ? " · " + (L.sentiments[turn.sentiment] || turn.sentiment) : "");
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = turn.text;
    li.appendChild(who);
    li.appendChild(text);
    // Keep the transcript in seq order even if a pushed turn overtakes the history.
    const after = Array.from(transcriptEl.children).find((el) => Number(el.dataset.seq) > turn.seq);
    transcriptEl.insertBefore(li, after || null);
    transcriptEl.scrollTop = transcriptEl.scrollHeight;
  }

  function watch(id) {
    watched = id;
    seen = new Set();
    transcriptEl.textContent = "";
    errorEl.textContent = "";
    send({ type: "watch", session_id: id });
    renderRows();
    renderWatched();
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "hello":
        me = frame.user;
        if (frame.presence) presenceEl.value = frame.presence.presence;
        sessions.clear();
        for (const row of frame.sessions) sessions.set(row.id, row);
        renderRows();
        if (watched) watch(watched);
        break;
      case "sessions":
        sessions.clear();
        for (const row of frame.sessions) sessions.set(row.id, row);
        renderRows();
        renderWatched();
        break;
      case "session.updated":
      case "ack":
        if (frame.session) sessions.set(frame.session.id, frame.session);
        renderRows();
        renderWatched();
        break;
      case "session.removed":
        // Routed to someone else (or finished): it leaves this agent's inbox.
        sessions.delete(frame.session_id);
        if (watched === frame.session_id) {
          watched = null;
          transcriptEl.textContent = "";
        }
        renderRows();
        renderWatched();
        break;
      case "presence":
        presenceEl.value = frame.presence;
        break;
      case "transcript":
        sessions.set(frame.session.id, frame.session);
        if (frame.session.id === watched) frame.turns.forEach(addTurn);
        renderRows();
        renderWatched();
        break;
      case "turn":
        if (frame.session_id === watched) addTurn(frame.turn);
        break;
      case "error":
        errorEl.textContent = frame.message + " (" + frame.code + ")";
        break;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.wsPath);
    socket.addEventListener("open", () => {
      connEl.textContent = L.connected;
      connEl.className = "pill pill-on";
    });
    // The server only pushes live turns while some console has pinged within a minute.
    const pinger = setInterval(() => send({ type: "ping" }), 20000);
    socket.addEventListener("close", () => clearInterval(pinger));
    socket.addEventListener("message", (event) => onFrame(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
      connEl.textContent = L.disconnected;
      connEl.className = "pill pill-off";
      setTimeout(connect, 2000);
    });
  }

  takeBtn.addEventListener("click", () => {
    errorEl.textContent = "";
    send({ type: "take_over", session_id: watched });
  });
  backBtn.addEventListener("click", () => {
    errorEl.textContent = "";
    send({ type: "hand_back", session_id: watched });
  });
  presenceEl.addEventListener("change", () => send({ type: "presence", presence: presenceEl.value }));
  acceptBtn.addEventListener("click", () => {
    errorEl.textContent = "";
    send({ type: "accept_transfer", session_id: watched });
  });
  document.getElementById("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const to = transferTo.value.trim();
    if (!to) return;
    errorEl.textContent = "";
    send({ type: "transfer", session_id: watched, to: to });
    transferTo.value = "";
  });
  document.getElementById("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = sayText.value.trim();
    if (!text) return;
    errorEl.textContent = "";
    send({ type: "say", session_id: watched, text: text });
    sayText.value = "";
  });
  // Waiting times tick without a server round trip; the list is refreshed every 30 s.
  setInterval(() => {
    for (const row of sessions.values()) if (row.waiting_seconds != null) row.waiting_seconds += 5;
    renderRows();
  }, 5000);
  setInterval(() => send({ type: "sessions" }), 30000);
  connect();
})();
