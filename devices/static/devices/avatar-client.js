/* A browser client of the avatar protocol bank-avatar/1 (docs/avatar-protocol.md).
 *
 * It keeps what the protocol asks a client to keep: the session id and the highest `seq` seen
 * (in sessionStorage), so a reload or a dropped connection resumes the session and the server
 * replays exactly what was missed. Everything it shows comes from frames; nothing is canned.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("avatar-config").textContent);
  const T = JSON.parse(document.getElementById("avatar-i18n").textContent);
  const $ = (id) => document.getElementById(id);
  const els = {
    status: $("ac-status"), transcript: $("ac-transcript"), caption: $("ac-caption"),
    composer: $("ac-composer"), text: $("ac-text"), mic: $("ac-mic"), newSession: $("ac-new"),
    suggestions: $("ac-suggestions"), broadcast: $("ac-broadcast"), announce: $("ac-announce"),
    avatar: $("ac-avatar"), mouth: $("ac-mouth"), menu: $("ac-menu"), menuItems: $("ac-menu-items"),
    customer: $("ac-customer"), largeText: $("ac-large-text"), live: $("ac-live"),
  };
  // One conversation per screen and language: switching the page language starts a new one.
  const storeKey = "bank-avatar:" + (config.device || config.layout) + ":" + config.language;
  // Closes after which reconnecting cannot help (docs/avatar-protocol.md section 1): no valid
  // credential, foreign page, wrong subprotocol, flooding, a credential revoked while connected.
  // Anything else (4009 oversized frame, 4011/1011 server error, a dropped network) reconnects
  // and resumes.
  const REFUSED = new Set([4401, 4403, 4406, 4008, 4410]);
  const speechLang = config.language === "en" ? "en-US" : "zh-CN";

  const state = {
    ws: null, sessionId: null, lastSeq: 0, replaying: 0, heartbeat: null, retry: 0,
    answers: new Map(), lastCards: [], pendingCustomer: null, turnId: 0,
    step: "", scenario: "", customerNo: "", pendingAsk: "", lastActivity: Date.now(),
  };

  function load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(storeKey) || "{}");
      // After a page load nothing is on screen: resume from 0 and let the server replay all.
      state.sessionId = saved.sessionId || null;
      state.customerNo = saved.customerNo || "";
      state.lastSeq = 0;
    } catch (_error) { /* a fresh start */ }
  }
  function save() {
    sessionStorage.setItem(storeKey, JSON.stringify({ sessionId: state.sessionId, customerNo: state.customerNo }));
  }

  // ------------------------------------------------------------------ connection

  function socketUrl() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const params = new URLSearchParams();
    if (config.pair) params.set("pair", config.pair);
    else {
      const token = new URLSearchParams(location.hash.slice(1)).get("token");
      if (token) params.set("token", token);
    }
    return scheme + "://" + location.host + config.path + "?" + params.toString();
  }

  function setStatus(name) {
    els.status.dataset.state = name;
    els.status.textContent = T[name] || name;
  }

  function connect() {
    setStatus("connecting");
    const ws = new WebSocket(socketUrl(), ["bank-avatar.v1"]);
    state.ws = ws;
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (_error) { return; }
      handle(frame);
    };
    ws.onclose = (event) => {
      clearInterval(state.heartbeat);
      if (REFUSED.has(event.code)) { setStatus("refused"); els.caption.textContent = T.refused; return; }
      setStatus("offline");
      const delay = Math.min(10000, 500 * 2 ** state.retry++);
      setTimeout(connect, delay);
    };
  }

  function send(frame) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) { state.ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  // ------------------------------------------------------------------ frames

  // Frames that carry the seq of the answer they belong to but are not that answer: they
  // must not mark it as shown (server speech of a sentence can arrive before answer.done).
  const UNSEQUENCED = new Set(["answer.delta", "turn.ack", "speech.audio", "asr.result"]);

  function handle(frame) {
    if (typeof frame.seq === "number" && !UNSEQUENCED.has(frame.type)) {
      if (frame.seq <= state.lastSeq) return; // already shown
      state.lastSeq = frame.seq;
      save();
    }
    const handler = HANDLERS[frame.type];
    if (handler) handler(frame);
    if (typeof frame.seq === "number" && !UNSEQUENCED.has(frame.type) && state.replaying > 0) {
      state.replaying -= 1;
    }
  }

  const HANDLERS = {
    hello(frame) {
      state.retry = 0;
      setStatus("online");
      state.heartbeat = setInterval(() => send({ type: "ping", nonce: Date.now() }), (frame.heartbeat_seconds || 25) * 1000);
      if (state.sessionId) send({ type: "session.resume", session_id: state.sessionId, last_seq: state.lastSeq });
      else if (config.scenario) startSession(config.scenario);
      else showMenu();
    },
    pong() {},
    "session.ready"(frame) {
      if (!frame.resumed) { els.transcript.innerHTML = ""; state.answers.clear(); state.lastSeq = 0; }
      state.sessionId = frame.session_id;
      state.replaying = frame.replaying || 0;
      state.step = frame.step || "";
      state.scenario = frame.scenario || "";
      // A new session's greeting arrives as its one "replayed" frame, but it is new to the
      // customer: it is spoken and announced like a live answer.
      state.fresh = !frame.resumed;
      hideMenu();
      save();
    },
    "turn.ack"(frame) {
      const bubble = state.pendingCustomer;
      if (bubble) { bubble.dataset.stored = "1"; bubble.dataset.seq = frame.seq; state.pendingCustomer = null; }
    },
    "answer.delta"(frame) {
      const answer = answerFor(frame.seq);
      answer.streamed += plain(frame.text);
      answer.text.textContent = answer.streamed;
      answer.spokeLive = true;
      scroll();
      // The caption under the teller: the sentence being spoken, not just this chunk of it.
      if (serverSpeaks()) avatar.mood(frame.cue);
      else avatar.say(frame.cue, currentSentence(answer.streamed));
    },
    "answer.done"(frame) {
      const live = state.replaying === 0 || (state.fresh && !frame.in_reply_to);
      if (frame.in_reply_to && !customerShown(frame.seq)) addCustomer(frame.in_reply_to, frame.seq);
      const answer = answerFor(frame.seq);
      answer.li.classList.remove("streaming");
      answer.text.textContent = plain(frame.text);
      if (frame.interrupted) { answer.li.classList.add("interrupted"); answer.li.dataset.note = T.interrupted; }
      renderSources(answer.li, frame.sources || []);
      if (frame.step) state.step = frame.step;
      renderActions(answer.li, frame.actions || [], frame.step);
      avatar.mood(frame.cue);
      if (live && !answer.spokeLive && !serverSpeaks()) avatar.say(frame.cue, plain(frame.text));
      if (live) { els.live.textContent = plain(frame.text); touch(); }
      answer.li.dataset.step = frame.step || "";
      answer.li.dataset.status = frame.status || "";
      scroll();
      // A menu entry that opens with the customer's question: ask it after the greeting.
      // (The greeting of a new session counts as replayed: session.ready announces it.)
      if (state.pendingAsk && !frame.in_reply_to) { const ask = state.pendingAsk; state.pendingAsk = ""; say(ask); }
    },
    "ui.action"(frame) {
      const li = message("assistant", T.teller);
      renderActions(li, [frame.action], state.step);
      scroll();
    },
    "avatar.say"(frame) {
      const li = message("agent", frame.agent ? T.agent + " · " + frame.agent : T.agent);
      li.querySelector(".ac-bubble").textContent = frame.text;
      // An agent's words in the conversation: with server speech the server reads them out.
      if (state.replaying === 0 && serverSpeaks()) avatar.mood(frame.cue);
      else if (state.replaying === 0) avatar.say(frame.cue || { speak: frame.text, mouth: 0.6 }, frame.text);
      scroll();
    },
    "handoff.started"(frame) {
      const li = message("agent", T.agent + (frame.agent ? " · " + frame.agent : ""));
      li.querySelector(".ac-bubble").textContent = T.handoff_started;
      scroll();
    },
    "handoff.ended"(frame) {
      if (frame.step) state.step = frame.step;
      const li = message("agent", T.agent);
      li.querySelector(".ac-bubble").textContent = T.handoff_ended;
      scroll();
    },
    notification(frame) {
      const li = message("agent", T.notification);
      li.querySelector(".ac-bubble").textContent = [frame.title, frame.body].filter(Boolean).join("\n");
      scroll();
    },
    "broadcast.play"(frame) { showBroadcast(frame); },
    "ticket.called"(frame) { announceTicket(frame); },
    error(frame) {
      if (typeof frame.seq === "number") {
        const li = message("error", T.error);
        li.querySelector(".ac-bubble").textContent = frame.message;
      } else {
        if (frame.code === "session_not_found" || frame.code === "session_forbidden" || frame.code === "bad_seq") {
          resetToMenu(); return;
        }
        if (["unknown_scenario", "customer_forbidden", "unknown_customer"].includes(frame.code)) showMenu();
        const li = message("error", T.error + " · " + frame.code);
        li.querySelector(".ac-bubble").textContent = frame.message;
        if (state.pendingCustomer && frame.code === "busy") state.pendingCustomer.remove();
      }
      scroll();
    },
  };
  // Also accepted as a push for the whole hall (a device-group broadcast).
  HANDLERS["broadcast.stop"] = () => stopPlaylist();
  // The device was moved to other groups or another branch: what is on air for it may differ.
  HANDLERS["device.moved"] = () => {
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    if (config.pair || !token) return; // a paired console has no screen programme of its own
    fetch(config.api + "broadcasts/", { headers: { Authorization: "Device " + token } })
      .then((response) => (response.ok ? response.json() : null))
      .then((reply) => {
        if (!reply) return;
        config.broadcasts = reply.playlists || [];
        // Showing the programme now (a hall screen between conversations): show the new one.
        if (!state.sessionId && els.broadcast && !els.broadcast.hidden) playOnAir();
      })
      .catch(() => {});
  };

  function startSession(scenario, ask) {
    state.pendingAsk = ask || "";
    const frame = { type: "session.start", scenario, language: config.language };
    if (state.customerNo) frame.customer_no = state.customerNo;
    send(frame);
  }

  // ------------------------------------------------------------------ start menu

  // The entries come from the server (devices.menus: the flows this kind of screen offers).
  function buildMenu() {
    els.menuItems.innerHTML = "";
    for (const entry of config.menu || []) {
      const button = el("button", "ac-menu-item");
      button.type = "button";
      button.dataset.key = entry.key;
      button.dataset.flow = entry.flow;
      button.append(el("span", "ac-menu-label", entry.label));
      if (entry.hint) button.append(el("span", "ac-menu-hint", entry.hint));
      if (entry.needs_customer) {
        button.dataset.needsCustomer = "1";
        button.disabled = !state.customerNo;
        if (!state.customerNo) button.title = T.sign_in_first;
      }
      button.addEventListener("click", () => chooseEntry(entry));
      els.menuItems.append(button);
    }
    if (els.customer) {
      els.customer.value = state.customerNo;
      els.customer.onchange = () => {
        state.customerNo = els.customer.value; save();
        for (const button of els.menuItems.querySelectorAll("[data-needs-customer]")) button.disabled = !state.customerNo;
      };
    }
  }

  function chooseEntry(entry) {
    touch();
    if (!entry.flow) { playOnAir(); return; }
    els.transcript.innerHTML = ""; state.answers.clear(); state.lastSeq = 0;
    startSession(entry.flow, entry.ask);
  }

  // What the screen has on air (devices.broadcasts, handed to the page with the menu).
  function playOnAir() {
    const playlists = config.broadcasts || [];
    if (!playlists.length) { els.live.textContent = T.nothing_on_air; showBroadcast({ item: { text: T.nothing_on_air, duration_seconds: 6 } }); return; }
    showBroadcast(playlists[0]);
  }

  function showMenu() {
    els.menu.hidden = false;
    document.body.classList.add("menu-open");
    const first = els.menuItems.querySelector("button:not([disabled])");
    if (first) first.focus();
  }
  function hideMenu() { els.menu.hidden = true; document.body.classList.remove("menu-open"); }

  // Back to the menu: a new customer starts from the beginning (the old session stays stored).
  function resetToMenu() {
    avatar.hush();
    state.sessionId = null; state.lastSeq = 0; state.step = ""; state.pendingAsk = "";
    if (config.kind !== "mobile_app") state.customerNo = "";
    save();
    els.transcript.innerHTML = ""; state.answers.clear();
    els.suggestions.innerHTML = ""; els.caption.textContent = "";
    buildMenu();
    showMenu();
  }

  // ------------------------------------------------------------------ kiosk habits

  function touch() { state.lastActivity = Date.now(); }
  for (const name of ["pointerdown", "keydown", "input"]) document.addEventListener(name, touch, true);
  // A public screen left alone goes back to its menu so the next customer does not see this one's
  // conversation. config.idle_seconds is read on every tick (0: never, e.g. the personal app).
  setInterval(() => {
    const limit = Number(config.idle_seconds || 0);
    if (!limit || !els.menu.hidden || avatar.busy) return;
    if (Date.now() - state.lastActivity > limit * 1000) { touch(); resetToMenu(); }
  }, 1000);

  function setLargeText(on) {
    document.body.classList.toggle("large-text", on);
    els.largeText.setAttribute("aria-pressed", on ? "true" : "false");
  }
  els.largeText.addEventListener("click", () => setLargeText(!document.body.classList.contains("large-text")));
  setLargeText(!!config.large_text);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && els.menu.hidden && config.idle_seconds) resetToMenu();
  });

  // ------------------------------------------------------------------ transcript

  function message(kind, who) {
    const li = document.createElement("li");
    li.className = "ac-msg " + kind;
    const label = document.createElement("span");
    label.className = "ac-who";
    label.textContent = who;
    const bubble = document.createElement("div");
    bubble.className = "ac-bubble";
    li.append(label, bubble);
    els.transcript.append(li);
    return li;
  }

  function answerFor(seq) {
    let answer = state.answers.get(seq);
    if (!answer) {
      const li = message("assistant streaming", T.teller);
      li.dataset.seq = seq;
      answer = { li, text: li.querySelector(".ac-bubble"), streamed: "", spokeLive: false };
      state.answers.set(seq, answer);
    }
    return answer;
  }

  function customerShown(seq) {
    return !!els.transcript.querySelector('.ac-msg.customer[data-seq="' + seq + '"]');
  }

  function addCustomer(inReplyTo, seq) {
    // A tap is shown as what the customer did, not as the event's code name.
    const text = inReplyTo.kind === "event" ? "· " + (T["event_" + inReplyTo.name] || inReplyTo.name) : inReplyTo.text;
    const li = message("customer", T.you);
    li.querySelector(".ac-bubble").textContent = text;
    li.dataset.stored = "1";
    li.dataset.seq = seq;
    // Keep the transcript in order: the question goes right before its answer.
    const answer = state.answers.get(seq);
    if (answer) els.transcript.insertBefore(li, answer.li);
  }

  function currentSentence(text) {
    const sentences = String(text).split(/(?<=[。！？!?\n]|\. )/).map((part) => part.trim()).filter(Boolean);
    return sentences.length ? sentences[sentences.length - 1] : "";
  }

  // Answers arrive as plain text and are only ever set as textContent, never parsed as markup.
  function plain(text) {
    return text == null ? "" : String(text);
  }

  function scroll() { els.transcript.scrollTop = els.transcript.scrollHeight; }

  function say(text, source) {
    text = (text || "").trim();
    if (!text) return;
    touch();
    if (!state.sessionId) {
      // Typed on the menu: the screen's first flow starts and gets the question.
      const first = (config.menu || []).find((entry) => entry.flow && !entry.needs_customer);
      if (first) startSession(first.flow, text);
      return;
    }
    if (!send({ type: "user.text", text, source: source || "typed", id: "t" + ++state.turnId })) return;
    const li = message("customer", T.you);
    li.querySelector(".ac-bubble").textContent = text;
    state.pendingCustomer = li;
    els.suggestions.innerHTML = "";
    scroll();
  }

  function uiEvent(name, step, data) {
    send({ type: "ui.event", name, step: step || "", data: data || {}, id: "e" + ++state.turnId });
  }

  // Only site-relative and http(s) links: a javascript: URL in a source must not become a link.
  function safeUrl(url) {
    url = String(url || "");
    if (url.startsWith("/") && !url.startsWith("//")) return url;
    if (url.startsWith("https://") || url.startsWith("http://")) return url;
    return "";
  }

  function renderSources(li, sources) {
    if (!sources.length || li.querySelector(".ac-sources")) return;
    const list = document.createElement("ol");
    list.className = "ac-sources";
    list.title = T.sources;
    for (const source of sources) {
      const item = document.createElement("li");
      const url = safeUrl(source.url);
      const link = document.createElement(url ? "a" : "span");
      if (url) { link.href = url; link.target = "_blank"; link.rel = "noopener"; }
      link.textContent = source.title;
      item.append(link);
      list.append(item);
    }
    li.append(list);
  }

  // ------------------------------------------------------------------ UI actions

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function box(kind, title) {
    const div = el("div", "ac-action ac-" + kind);
    div.dataset.action = kind;
    if (title) div.append(el("h3", "", title));
    return div;
  }

  function listOf(items) {
    const ul = el("ul");
    for (const item of items || []) ul.append(el("li", "", item));
    return ul;
  }

  function fmt(value) {
    if (Array.isArray(value)) return value.join(" · ");
    return value === undefined || value === null ? "—" : String(value);
  }

  const RENDERERS = {
    show_cards(action, step) {
      state.lastCards = action.cards || [];
      const div = box("cards-box");
      const grid = el("div", "ac-cards");
      for (const card of action.cards || []) {
        const tile = el("div", "ac-card");
        tile.dataset.code = card.code;
        tile.append(el("span", "ac-chip"), el("span", "ac-card-name", card.name));
        tile.append(el("span", "ac-fee", T.annual_fee + " " + fmt(card.annual_fee) + " · " + fmt(card.fee_waiver)));
        tile.append(listOf(card.top_benefits));
        const choose = el("button", "", T.choose);
        choose.type = "button";
        choose.onclick = () => { choose.disabled = true; uiEvent("choose_card", step, { card: card.code }); };
        tile.append(choose);
        grid.append(tile);
      }
      div.append(grid);
      return div;
    },
    show_comparison(action) {
      const div = box("comparison", T.compare);
      const table = el("table", "ac-table");
      const head = el("tr");
      head.append(el("th", "", ""));
      for (const card of state.lastCards) head.append(el("th", "", card.name));
      table.append(head);
      for (const column of action.columns || []) {
        const row = el("tr");
        row.append(el("th", "", T[column] || column));
        for (const card of state.lastCards) row.append(el("td", "", fmt(card[column])));
        table.append(row);
      }
      div.append(table);
      return div;
    },
    show_card(action) {
      const div = box("card-detail", action.name);
      const dl = el("dl", "ac-kv");
      for (const key of ["eligibility", "documents", "disclosures"]) {
        if (!(action[key] || []).length) continue;
        dl.append(el("dt", "", T[key]));
        const dd = el("dd");
        dd.append(listOf(action[key]));
        dl.append(dd);
      }
      div.append(dl);
      return div;
    },
    show_summary(action, step) {
      step = step || state.step;
      const div = box("summary", T.summary);
      const dl = el("dl", "ac-kv");
      for (const [key, value] of Object.entries(action.slots || {})) {
        dl.append(el("dt", "", T["slots_" + key] || key), el("dd", "", fmt(value)));
      }
      div.append(dl);
      for (const [name, label] of [["confirm", T.yes], ["reject", T.no]]) {
        const button = el("button", "ac-primary", label);
        button.type = "button";
        button.onclick = () => { button.disabled = true; uiEvent(name, step, {}); };
        div.append(button, document.createTextNode(" "));
      }
      return div;
    },
    show_ticket(action) {
      const div = box("ticket", T.ticket);
      div.append(el("div", "ac-number", action.number));
      div.append(el("p", "", [action.service, action.branch].filter(Boolean).join(" · ")));
      if (action.waiting !== undefined) div.append(el("p", "", action.waiting + " " + T.waiting + (action.estimated_minutes !== undefined ? " · " + action.estimated_minutes + " " + T.minutes : "")));
      if ((action.materials || []).length) { div.append(el("h3", "", T.bring), listOf(action.materials)); }
      return div;
    },
    // Three shapes share this type: the VTM guide (step code, index/total, device_action), the
    // card activation guide (step number, of, event, ui: the device's part), and the app's
    // pre-sales guide. The button always answers the session's current step.
    guide_step(action, step) {
      const div = box("guide", action.guide_title ? action.guide_title + (action.title ? " · " + action.title : "") : action.title || "");
      const index = action.index || (typeof action.step === "number" ? action.step : 0);
      const total = action.total || action.of || 0;
      const progress = el("div", "ac-progress");
      progress.setAttribute("role", "progressbar");
      progress.setAttribute("aria-valuemin", "0");
      progress.setAttribute("aria-valuemax", String(total || 1));
      progress.setAttribute("aria-valuenow", String(index || 0));
      const bar = el("span");
      bar.style.width = (total ? Math.round(100 * (index || 0) / total) : 0) + "%";
      progress.append(bar);
      div.append(el("p", "ac-muted", T.step + " " + (index || "?") + " / " + (total || "?")), progress);
      const body = action.instruction || action.body;
      if (body) div.append(el("p", "", body));
      if (action.device_action && action.device_action !== "confirm") div.append(el("p", "ac-device-action", T["device_" + action.device_action] || action.device_action));
      const part = action.ui || {};
      if (part.type && RENDERERS[part.type]) { const node = RENDERERS[part.type](part, step); if (node) div.append(node); }
      if (action.attempt > 1) div.append(el("p", "ac-warn", T.attempt + " " + action.attempt));
      const row = el("div", "ac-row");
      const confirm = el("button", "ac-primary", action.confirm_label || T.confirm);
      confirm.type = "button";
      confirm.onclick = () => { disableAll(div); uiEvent(action.event || "confirm", step, { guide: action.guide }); };
      row.append(confirm);
      if (action.device_action) {
        // The machine's report that the customer could not do it (card not read, face not matched).
        const failed = el("button", "ac-secondary", T.step_failed);
        failed.type = "button";
        failed.onclick = () => { disableAll(div); uiEvent("fail", step, { reason: "device_reported" }); };
        row.append(failed);
      }
      div.append(row);
      return div;
    },
    guide_done(action) {
      const div = box("guide-done", action.title || T.guide_done);
      div.append(el("p", "ac-ok", "✓ " + T.guide_done));
      return div;
    },
    open_app_page(action) {
      const div = box("app-page", T.app_page);
      div.append(el("p", "", T["page_" + action.page] || action.page));
      return div;
    },
    highlight_device(action) {
      const div = box("highlight", T.highlight);
      const part = el("p", "ac-highlight-part", T["part_" + action.part] || action.part);
      part.dataset.part = action.part;
      div.append(part);
      return div;
    },
    show_form(action) {
      const div = box("form", action.title);
      const form = el("form", "ac-form");
      for (const field of action.fields || []) {
        const id = "f-" + Math.random().toString(36).slice(2);
        const label = el("label", "", field.label || field.name);
        label.htmlFor = id;
        let input;
        if (field.kind === "select") {
          input = el("select");
          for (const option of field.options || []) {
            const opt = el("option", "", option.label || option.value || option);
            opt.value = option.value || option;
            input.append(opt);
          }
        } else {
          input = el("input");
          input.type = field.kind === "number" ? "number" : field.kind === "date" ? "date" : "text";
        }
        input.id = id;
        input.name = field.name;
        input.required = !!field.required;
        form.append(label, input);
      }
      const submit = el("button", "ac-primary", action.submit || T.submit);
      submit.type = "submit";
      form.append(submit);
      form.onsubmit = (event) => {
        event.preventDefault();
        const data = Object.fromEntries(new FormData(form).entries());
        submit.disabled = true;
        uiEvent("submit", state.step, data);
      };
      div.append(form);
      return div;
    },
    show_qr(action) {
      const div = box("qr", action.caption || T.scan);
      const wrap = el("div", "ac-qr");
      const svg = window.BankQR ? window.BankQR.svg(action.payload) : null;
      if (svg) wrap.append(svg);
      const link = el("a", "", action.payload);
      if (/^https?:\/\//.test(action.payload || "")) { link.href = action.payload; link.target = "_blank"; link.rel = "noopener"; }
      wrap.append(link);
      div.append(wrap);
      return div;
    },
    related_questions(action) {
      els.suggestions.innerHTML = "";
      for (const question of action.questions || []) {
        const chip = el("button", "ac-chip-button", question);
        chip.type = "button";
        chip.onclick = () => say(question);
        els.suggestions.append(chip);
      }
      return null;
    },
    handoff(action) {
      const div = box("handoff", T.handoff);
      if (action.state) div.append(el("p", "ac-muted", T["handoff_" + action.state] || action.state));
      return div;
    },
    show_materials(action) {
      const div = box("materials", T.bring + (action.service ? " · " + action.service : ""));
      div.append(listOf(action.materials));
      return div;
    },
    show_options(action, step) {
      const div = box("options", action.multiple ? T.choose_any : T.choose_one);
      const field = (option) => Object.keys(option).find((key) => !["label", "name", "fee", "title"].includes(key)) || "key";
      if (action.multiple) {
        const form = el("form", "ac-form");
        for (const option of action.options || []) {
          const label = el("label", "ac-check");
          const box_ = el("input");
          box_.type = "checkbox";
          box_.value = option[field(option)];
          label.append(box_, el("span", "", (option.label || option.name) + (option.fee !== undefined ? " · " + (Number(option.fee) ? T.fee + " " + option.fee : T.free) : "")));
          form.append(label);
        }
        const submit = el("button", "ac-primary", T.confirm_choice);
        submit.type = "submit";
        form.append(submit);
        form.onsubmit = (event) => {
          event.preventDefault();
          const codes = [...form.querySelectorAll("input:checked")].map((input) => input.value);
          disableAll(div);
          uiEvent(action.event, step, { codes });
        };
        div.append(form);
        return div;
      }
      const row = el("div", "ac-row");
      for (const option of action.options || []) {
        const key = field(option);
        const button = el("button", "ac-option", option.label || option.name || option[key]);
        button.type = "button";
        button.onclick = () => { disableAll(div); uiEvent(action.event, step, { [key]: option[key] }); };
        row.append(button);
      }
      div.append(row);
      return div;
    },
    // The app service's module list: a tap chooses one.
    options(action, step) {
      const div = box("options", T.choose_one);
      const row = el("div", "ac-row");
      for (const option of action.options || []) {
        const button = el("button", "ac-option", option.title || option.label || option.key);
        button.type = "button";
        button.onclick = () => { disableAll(div); uiEvent("choose", step, { key: option.key }); };
        row.append(button);
      }
      div.append(row);
      return div;
    },
    confirm(action, step) {
      const resolved = action.question === "resolved";
      const div = box("confirm", resolved ? T.is_resolved : (action.title || T.is_this_it));
      const row = el("div", "ac-row");
      for (const [name, label] of resolved ? [["resolved", T.resolved], ["unresolved", T.unresolved]] : [["confirm", T.yes], ["reject", T.no]]) {
        const button = el("button", name === "confirm" || name === "resolved" ? "ac-primary" : "ac-secondary", label);
        button.type = "button";
        button.dataset.event = name;
        button.onclick = () => { disableAll(div); uiEvent(name, step, {}); };
        row.append(button);
      }
      div.append(row);
      return div;
    },
    rating(action, step) {
      const [low, high] = action.scale || [1, 5];
      const div = box("rating", T.rate);
      const row = el("div", "ac-stars");
      row.setAttribute("role", "group");
      row.setAttribute("aria-label", T.rate);
      for (let score = low; score <= high; score += 1) {
        const star = el("button", "ac-star", "★");
        star.type = "button";
        star.dataset.score = score;
        star.setAttribute("aria-label", T.stars.replace("%(n)s", score).replace("%(max)s", high));
        star.onclick = () => {
          for (const other of row.children) other.classList.toggle("on", Number(other.dataset.score) <= score);
          disableAll(div);
          uiEvent("rate", step, { score });
        };
        row.append(star);
      }
      const skip = el("button", "ac-link", T.skip);
      skip.type = "button";
      skip.onclick = () => { disableAll(div); uiEvent("skip_rating", step, {}); };
      div.append(row, skip);
      return div;
    },
    deep_link(action) {
      const div = box("deep-link", T.open_in_app + (action.of ? " · " + T.step + " " + action.step + " / " + action.of : ""));
      const url = safeUrl(action.url) || String(action.url || "");
      const link = el("a", "ac-primary ac-button-link", action.label || url);
      // App routes (bank://…) open the app's module; on the web they are shown, not followed.
      link.href = /^[a-z][a-z0-9+.-]*:/i.test(url) && !/^(javascript|data|vbscript):/i.test(url) ? url : safeUrl(url) || "#";
      link.dataset.url = url;
      div.append(link);
      return div;
    },
    show_requirements(action) {
      const div = box("requirements", T.requirements);
      const dl = el("dl", "ac-kv");
      for (const [key, value] of [["materials", action.materials], ["steps", action.steps], ["channels", action.channels]]) {
        if (!(value || []).length) continue;
        const dd = el("dd");
        dd.append(key === "steps" ? orderedOf(value.map((item) => item.title || item)) : listOf(value.map((item) => item.title || item.name || item)));
        dl.append(el("dt", "", T[key] || key), dd);
      }
      if (action.timeline) dl.append(el("dt", "", T.timeline), el("dd", "", action.timeline));
      div.append(dl);
      if (action.deep_link) div.append(RENDERERS.deep_link({ url: action.deep_link, label: T.open_in_app }));
      return div;
    },
    // A card application's documents: one upload per kind, with progress and the pre-check.
    request_documents(action, step) {
      const div = box("upload", T.upload_title);
      const list = el("ul", "ac-docs");
      const precheckBox = el("div", "ac-precheck");
      precheckBox.setAttribute("aria-live", "polite");
      for (const doc of action.documents || []) {
        const item = el("li", "ac-doc");
        item.dataset.kind = doc.kind;
        item.dataset.state = doc.state || "";
        const name = el("span", "ac-doc-name", doc.name + (doc.required ? "" : " (" + T.optional + ")"));
        const status = el("span", "ac-doc-state", T["doc_" + doc.state] || doc.state || "");
        const file = el("input");
        file.type = "file";
        file.accept = (action.accepted || []).join(",");
        file.setAttribute("aria-label", T.choose_file + " · " + doc.name);
        let until = null;
        if (doc.needs_valid_until) {
          until = el("input");
          until.type = "date";
          until.className = "ac-valid-until";
          until.setAttribute("aria-label", T.valid_until + " · " + doc.name);
        }
        const progress = el("progress");
        progress.max = 100; progress.value = 0; progress.hidden = true;
        const send_ = el("button", "ac-secondary", T.upload);
        send_.type = "button";
        send_.onclick = () => uploadDocument(action, doc, file, until, progress, status, precheckBox, item, step);
        item.append(name, status, file);
        if (until) { const label = el("label", "ac-muted", T.valid_until); label.append(until); item.append(label); }
        item.append(send_, progress);
        list.append(item);
      }
      div.append(el("p", "ac-muted", T.accepted + " " + (action.accepted || []).join(", ") + " · ≤ " + Math.round((action.max_bytes || 0) / 1048576) + " MB"), list, precheckBox);
      if (action.precheck) showPrecheck(precheckBox, action.precheck);
      return div;
    },
    show_disclosure(action, step) {
      const div = box("disclosure", T.disclosure_title);
      const text = el("ol", "ac-disclosure-text");
      text.tabIndex = 0;
      for (const item of action.items || []) text.append(el("li", "", item));
      div.append(text, el("p", "ac-muted", T.version + " " + (action.version || "")));
      const label = el("label", "ac-check");
      const agree = el("input");
      agree.type = "checkbox";
      agree.id = "ac-ack-" + (action.version || "x");
      label.append(agree, el("span", "", T.acknowledge_label));
      const button = el("button", "ac-primary", T.acknowledge);
      button.type = "button";
      button.disabled = !!action.require_acknowledgement;
      agree.onchange = () => { button.disabled = action.require_acknowledgement && !agree.checked; };
      button.onclick = () => { disableAll(div); uiEvent(action.event || "acknowledge_disclosure", step, { version: action.version }); };
      div.append(label, button);
      return div;
    },
    confirm_application(action, step) {
      const div = box("confirm-application", T.confirm_application);
      const dl = el("dl", "ac-kv");
      dl.append(el("dt", "", T.card), el("dd", "", action.card));
      const docs = el("dd"); docs.append(listOf((action.documents || []).map((doc) => doc.name || doc.kind || doc)));
      dl.append(el("dt", "", T.documents), docs);
      dl.append(el("dt", "", T.services), el("dd", "", (action.value_added_services || []).join(", ") || T.none));
      const button = el("button", "ac-primary", T.submit_application);
      button.type = "button";
      button.onclick = () => { disableAll(div); uiEvent(action.event || "submit_application", step, {}); };
      div.append(dl, button);
      return div;
    },
    show_application(action) {
      const div = box("application", T.application + " " + (action.reference || ""));
      div.append(el("p", "ac-status-line", T.status + ": " + (T["status_" + action.status] || action.status)));
      const table = el("table", "ac-table");
      for (const milestone of action.timeline || []) {
        const row = el("tr");
        row.classList.toggle("done", !!milestone.done || !!milestone.completed_at);
        row.append(el("td", "", (milestone.done || milestone.completed_at) ? "✓" : "○"), el("td", "", milestone.label || milestone.name || milestone.milestone || milestone.code), el("td", "", milestone.expected_on || milestone.expected || ""));
        table.append(row);
      }
      div.append(table);
      return div;
    },
    // Spending by category as horizontal bars (SVG drawn here: no chart library, no CDN).
    show_chart(action) {
      const div = box("chart", T.spending + (action.period ? " · " + action.period : ""));
      const rows = action.data || [];
      const max = Math.max(1, ...rows.map((row) => Number(row.amount) || 0));
      const ns = "http://www.w3.org/2000/svg";
      const svg = document.createElementNS(ns, "svg");
      const height = 30 * rows.length + 10;
      svg.setAttribute("viewBox", "0 0 400 " + height);
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", rows.map((row) => (row.name || row.category) + " " + row.amount).join(", "));
      rows.forEach((row, index) => {
        const y = 5 + index * 30;
        const label = document.createElementNS(ns, "text");
        label.setAttribute("x", "0"); label.setAttribute("y", String(y + 17)); label.setAttribute("font-size", "12");
        label.textContent = row.name || row.category;
        const bar = document.createElementNS(ns, "rect");
        bar.setAttribute("x", "110"); bar.setAttribute("y", String(y + 4));
        bar.setAttribute("height", "18"); bar.setAttribute("rx", "3");
        bar.setAttribute("width", String(Math.max(2, 200 * (Number(row.amount) || 0) / max).toFixed(1)));
        bar.setAttribute("class", "ac-bar");
        bar.dataset.category = row.category;
        const value = document.createElementNS(ns, "text");
        value.setAttribute("x", "315"); value.setAttribute("y", String(y + 17)); value.setAttribute("font-size", "12");
        value.textContent = row.amount + (row.share !== undefined ? " (" + Math.round(Number(row.share) * (Number(row.share) <= 1 ? 100 : 1)) + "%)" : "");
        svg.append(label, bar, value);
      });
      div.append(svg, el("p", "ac-total", T.total + " " + (action.total || "")));
      return div;
    },
    show_benefits(action) {
      const div = box("benefits", T.benefits);
      div.append(listOf((action.benefits || []).map((benefit) => benefit.title || benefit)));
      if ((action.campaigns || []).length) {
        div.append(el("h3", "", T.campaigns));
        const list = el("ul");
        for (const campaign of action.campaigns) {
          const item = el("li");
          const url = safeUrl(campaign.url);
          const link = el(url ? "a" : "span", "", campaign.title);
          if (url) { link.href = url; link.target = "_blank"; link.rel = "noopener"; }
          item.append(link); list.append(item);
        }
        div.append(list);
      }
      return div;
    },
    // What can be split and over how many months; a tap asks for the exact quote.
    show_instalment_options(action) {
      const div = box("instalments", T.instalments);
      for (const option of action.options || []) {
        const row = el("div", "ac-instalment-option");
        row.append(el("span", "", (T["kind_" + option.kind] || option.kind) + " · " + option.amount));
        for (const periods of action.periods || []) {
          const button = el("button", "ac-option", T.periods.replace("%(n)s", periods));
          button.type = "button";
          button.dataset.periods = periods;
          button.onclick = () => say((option.kind === "statement" ? T.ask_statement_instalment : T.ask_purchase_instalment).replace("%(amount)s", option.amount).replace("%(n)s", periods));
          row.append(button);
        }
        div.append(row);
      }
      return div;
    },
    show_instalment_quote(action) {
      const div = box("instalment-quote", T.quote);
      const dl = el("dl", "ac-kv");
      for (const [key, value] of [["principal", action.principal], ["periods", action.periods], ["monthly_fee_rate", action.monthly_fee_rate], ["total_fee", action.total_fee], ["annualised_rate", action.annualised_rate]]) {
        const dd = el("dd", "ac-" + key.replace(/_/g, "-"), key.endsWith("_rate") ? percent(value) : value);
        dd.dataset.value = value;
        dl.append(el("dt", "", T["q_" + key] || key), dd);
      }
      const table = el("table", "ac-table");
      const head = el("tr");
      for (const key of ["n", "principal", "fee", "payment"]) head.append(el("th", "", T["s_" + key] || key));
      table.append(head);
      for (const row of action.schedule || []) {
        const tr = el("tr");
        for (const key of ["n", "principal", "fee", "payment"]) tr.append(el("td", "", row[key]));
        table.append(tr);
      }
      div.append(dl, table);
      return div;
    },
    show_repayment_plans(action) {
      const div = box("repayment", T.repayment);
      const table = el("table", "ac-table");
      const head = el("tr");
      for (const key of ["code", "pay_by_due_date", "interest", "fees", "unpaid_after"]) head.append(el("th", "", T["r_" + key] || key));
      table.append(head);
      for (const plan of action.plans || []) {
        const tr = el("tr");
        tr.dataset.plan = plan.code;
        tr.append(el("td", "", T["plan_" + plan.code] || plan.code));
        for (const key of ["pay_by_due_date", "interest", "fees", "unpaid_after"]) tr.append(el("td", "", plan[key]));
        table.append(tr);
      }
      div.append(table);
      return div;
    },
    reminder_scheduled(action) {
      const div = box("reminder", T.reminder);
      const when = new Date(action.remind_at);
      div.append(el("p", "", (isNaN(when) ? action.remind_at : when.toLocaleString(config.language === "en" ? "en-GB" : "zh-CN")) + " · " + (T["channel_" + action.channel] || action.channel)));
      return div;
    },
    // A cue for the avatar alone (the step's emotion and gesture): nothing in the transcript.
    avatar(action) { avatar.mood(action); return null; },
  };

  // A rate as a decimal string ("0.0060") shown as a percentage ("0.60%") without float noise.
  function percent(value) {
    const number = Number(value);
    return isNaN(number) ? String(value) : (Math.round(number * 1000000) / 10000).toFixed(2) + "%";
  }

  function disableAll(node) { for (const control of node.querySelectorAll("button, input, select")) control.disabled = true; }

  function orderedOf(items) {
    const ol = el("ol");
    for (const item of items || []) ol.append(el("li", "", item));
    return ol;
  }

  function showPrecheck(box_, precheck) {
    box_.innerHTML = "";
    box_.dataset.complete = precheck.complete ? "1" : "0";
    box_.append(el("p", precheck.complete ? "ac-ok" : "ac-warn", precheck.complete ? "✓ " + T.precheck_ok : T.precheck_not_yet));
    for (const key of ["missing", "expired", "undated"]) {
      const items = precheck[key] || [];
      if (!items.length) continue;
      box_.append(el("p", "ac-precheck-" + key, T["pre_" + key] + ": " + items.map((item) => item.name + (item.valid_until ? " (" + item.valid_until + ")" : "")).join(", ")));
    }
  }

  // Multipart POST to the session's upload URL; XHR (not fetch) for upload progress. The page
  // authenticates like its socket: the staff session (with the CSRF token) or the device token.
  function uploadDocument(action, doc, file, until, progress, status, precheckBox, item, step) {
    const chosen = file.files && file.files[0];
    if (!chosen) { status.textContent = T.choose_file; return; }
    if (action.max_bytes && chosen.size > action.max_bytes) { status.textContent = T.too_large; return; }
    if (doc.needs_valid_until && until && !until.value) { status.textContent = T.need_valid_until; until.focus(); return; }
    const body = new FormData();
    body.append("kind", doc.kind);
    body.append("file", chosen);
    if (until && until.value) body.append("valid_until", until.value);
    // The socket moves the conversation on (sequenced, replayable), not the upload.
    body.append("advance", "false");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", safeUrl(action.upload_url) || config.api + "sessions/" + state.sessionId + "/documents/");
    if (config.pair) xhr.setRequestHeader("X-CSRFToken", config.csrf);
    else { const token = new URLSearchParams(location.hash.slice(1)).get("token"); if (token) xhr.setRequestHeader("Authorization", "Device " + token); }
    progress.hidden = false; progress.value = 0;
    status.textContent = T.uploading;
    xhr.upload.onprogress = (event) => { if (event.lengthComputable) progress.value = Math.round(100 * event.loaded / event.total); };
    xhr.onload = () => {
      let reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (_error) { /* not JSON */ }
      if (xhr.status !== 201) { status.textContent = T.upload_failed + ": " + (reply.detail || xhr.status); item.dataset.state = "failed"; return; }
      progress.value = 100;
      const expired = (reply.precheck.expired || []).some((entry) => entry.kind === doc.kind);
      item.dataset.state = expired ? "expired" : "received";
      status.textContent = expired ? T.doc_expired : T.doc_received;
      showPrecheck(precheckBox, reply.precheck);
      // Once per request, and only while the session still waits on this step (an optional
      // document uploaded after the pre-check passed must not answer the next question).
      if (reply.precheck.complete && !action.advanced && state.step === step) {
        action.advanced = true;
        uiEvent("documents_uploaded", step, {});
      }
    };
    xhr.onerror = () => { status.textContent = T.upload_failed; item.dataset.state = "failed"; };
    xhr.send(body);
  }

  function renderActions(li, actions, step) {
    for (const action of actions) {
      const render = RENDERERS[action && action.type];
      if (!render) continue; // unknown actions are ignored (forward compatible)
      const node = render(action, step || state.step);
      if (node) li.append(node);
    }
  }

  // ------------------------------------------------------------------ hall pushes

  // A playlist (devices.broadcasts): items in order, each with zh-hans/en title and text,
  // shown for its duration_seconds and looped until the next push or broadcast.stop.
  let playlistTimer = null;
  function inLanguage(value) {
    if (!value || typeof value !== "object") return value || "";
    return value[config.language] || value["zh-hans"] || value.en || "";
  }
  function playPlaylist(frame) {
    clearTimeout(playlistTimer);
    const items = frame.items.filter(Boolean);
    if (!items.length) { els.broadcast.hidden = true; return; }
    let index = 0;
    const next = () => {
      const item = items[index % items.length];
      showBroadcast({ item: { kind: item.kind, title: inLanguage(item.title), text: inLanguage(item.text), video: item.video } });
      index += 1;
      if (index < items.length || frame.loop) playlistTimer = setTimeout(next, (item.duration_seconds || 15) * 1000);
      else playlistTimer = setTimeout(() => { els.broadcast.hidden = true; }, (item.duration_seconds || 15) * 1000);
    };
    next();
  }
  function stopPlaylist() { clearTimeout(playlistTimer); els.broadcast.hidden = true; }

  function showBroadcast(frame) {
    if (Array.isArray(frame.items)) { playPlaylist(frame); return; }
    const item = frame.item || frame;
    els.broadcast.innerHTML = "";
    els.broadcast.classList.toggle("fraud", (item.kind || "").includes("fraud"));
    if (item.image_url) { const img = el("img"); img.src = item.image_url; img.alt = ""; els.broadcast.append(img); }
    if (item.video && item.video.url) {
      // A rendered studio video: played with sound where the screen allows autoplay with
      // sound (kiosk browsers), muted otherwise rather than not at all.
      const video = el("video", "ac-video");
      video.src = item.video.url;
      if (item.video.poster) video.poster = item.video.poster;
      video.playsInline = true;
      video.addEventListener("canplay", () => {
        video.play().catch(() => { video.muted = true; video.play().catch(() => {}); });
      }, { once: true });
      els.broadcast.append(video);
    }
    const title = item.title ? el("strong", "", item.title) : null;
    if (title) els.broadcast.append(title);
    els.broadcast.append(el("span", "", item.text || item.body || ""));
    els.broadcast.hidden = false;
    if (item.speak || frame.speak) avatar.say({ speak: item.text || item.body, mouth: 0.6 }, item.text || item.body);
    const seconds = item.duration_seconds || frame.duration_seconds;
    if (seconds) setTimeout(() => { els.broadcast.hidden = true; }, seconds * 1000);
  }

  function announceTicket(frame) {
    const number = String(frame.number || "");
    const counter = String(frame.counter || "");
    els.announce.innerHTML = "";
    for (const part of T.called.replace("%(counter)s", counter).split("%(number)s")) {
      if (els.announce.childNodes.length) els.announce.append(el("strong", "", number));
      els.announce.append(el("span", "", part));
    }
    els.announce.hidden = false;
    const text = frame.text || els.announce.textContent;
    avatar.say(frame.cue || { speak: text, mouth: 0.7 }, text);
    setTimeout(() => { els.announce.hidden = true; }, 15000);
  }

  // ------------------------------------------------------------------ the avatar

  // Mouth shapes (visemes): how far the jaw opens and how wide the lips spread.
  const VISEMES = {
    rest: { open: 0, wide: 0.5 }, closed: { open: 0.02, wide: 0.45 },  // m b p, pauses
    open: { open: 1, wide: 0.6 },          // a
    mid: { open: 0.7, wide: 0.75 },        // e
    spread: { open: 0.4, wide: 1 },        // i, y
    round: { open: 0.65, wide: 0.15 },     // o
    narrow: { open: 0.35, wide: 0.1 },     // u, w
    teeth: { open: 0.25, wide: 0.8 },      // f v s z th
    cjk: { open: 0.75, wide: 0.55 },       // a CJK syllable (its vowel is not in the text)
  };
  // The shape a word (a speech boundary's text) starts with: its first vowel decides, lips
  // closed for m/b/p, teeth for fricatives, digits and CJK syllables an average open mouth.
  function visemeFor(word) {
    const text = String(word || "").trim().toLowerCase();
    if (!text) return "rest";
    if (/[\u3400-\u9fff]/.test(text[0])) return "cjk";
    if (/^[mbp]/.test(text) && !/[aeiou]/.test(text[1] || "")) return "closed";
    const vowel = (text.match(/[aeiouy]/) || [""])[0];
    if (/^[fvsz]|^th/.test(text) && !vowel) return "teeth";
    return { a: "open", e: "mid", i: "spread", y: "spread", o: "round", u: "narrow" }[vowel] || (/\d/.test(text) ? "mid" : "teeth");
  }

  // With server speech (avatar-speech.js) the server reads every answer aloud as speech.audio
  // clips, and the clip player shows each sentence and moves the mouth as it plays; the client
  // speaking the same answer on its own clock made the caption and the mouth flicker between
  // the two. Pushed announcements (avatar.say, broadcasts) are still the client's to speak.
  function serverSpeaks() { return !!(window.bankAvatarSpeech && window.bankAvatarSpeech.server); }

  const avatar = (() => {
    const queue = [];
    let speaking = false;
    let level = 0;
    let until = 0;
    // The current viseme target and when it was set; it relaxes towards the amplitude fallback.
    let shape = null;
    let shapeAt = 0;
    let timed = [];  // timers of the current cue's viseme marks
    const synth = "speechSynthesis" in window ? window.speechSynthesis : null;

    function setShape(name, time) {
      shape = VISEMES[name] || VISEMES.rest;
      shapeAt = time || performance.now();
      els.mouth.dataset.viseme = name;
    }

    function frame(time) {
      // A server speech clip is playing: its player opens the mouth from the clip's marks.
      if (window.bankAvatarSpeech && window.bankAvatarSpeech.playing) { requestAnimationFrame(frame); return; }
      let open = 0;
      let wide = 0.5;
      if (speaking) {
        const age = time - shapeAt;
        if (shape && age < 260) {
          // A word just started: its shape, closing a little as the syllable ends.
          const fade = 1 - age / 520;
          open = level * shape.open * fade + 0.05;
          wide = shape.wide;
        } else {
          open = level * (0.55 + 0.45 * Math.abs(Math.sin(time / 55)));  // amplitude fallback
        }
      }
      els.mouth.setAttribute("ry", (2 + 13 * open).toFixed(1));
      els.mouth.setAttribute("rx", (9 + 8 * wide - 3 * open).toFixed(1));
      requestAnimationFrame(frame);
    }
    requestAnimationFrame(frame);

    // Idle behaviour: between answers the teller glances around and, on a public screen,
    // invites passers-by with a wave now and then.
    setInterval(() => {
      if (speaking) return;
      const looks = ["left", "right", "none", "none"];
      els.avatar.dataset.look = looks[Math.floor(Math.random() * looks.length)];
      if (config.idle_seconds && !els.menu.hidden && Math.random() < 0.25) mood({ gesture: "wave" });
    }, 5000);

    function mood(cue) {
      if (!cue) return;
      if (cue.emotion) els.avatar.dataset.emotion = cue.emotion;
      if (cue.gesture) {
        els.avatar.dataset.gesture = cue.gesture;
        clearTimeout(mood.timer);
        mood.timer = setTimeout(() => { els.avatar.dataset.gesture = "none"; }, 4000);
      }
    }

    // Speech timings sent with a cue (server TTS): [{ms, viseme}] or words [{ms, text}].
    function schedule(cue, start) {
      const marks = (cue.visemes || []).map((mark) => ({ at: start + Number(mark.ms || 0), viseme: mark.viseme }))
        .concat((cue.words || []).map((mark) => ({ at: start + Number(mark.ms || 0), viseme: visemeFor(mark.text) })));
      clearTimed();
      // Timers, not the animation frame: a browser throttles frames on a hidden or busy page,
      // and a mark must still land even when the clip or the queue ends before its time.
      timed = marks.filter((mark) => VISEMES[mark.viseme])
        .map((mark) => setTimeout(() => setShape(mark.viseme), Math.max(0, mark.at - performance.now())));
      return timed.length > 0;
    }
    function clearTimed() { timed.forEach(clearTimeout); timed = []; }

    function boundary(text, charIndex, charLength) {
      const word = charLength ? text.substr(charIndex, charLength) : text.slice(charIndex).split(/[\s,.;:!?，。；：！？]/)[0] || text[charIndex];
      setShape(visemeFor(word));
    }

    function next() {
      const item = queue.shift();
      if (!item) { speaking = false; els.avatar.dataset.state = "idle"; return; }
      speaking = true;
      level = Math.max(0.15, item.cue.mouth || 0.5);
      els.avatar.dataset.state = "speaking";
      if (item.cue.emotion) els.avatar.dataset.emotion = item.cue.emotion;
      els.caption.textContent = item.caption;
      const text = item.cue.speak || item.caption;
      const fallback = item.cue.speak_ms || Math.max(600, text.length * 180);
      const hasTimings = schedule(item.cue, performance.now());
      // Extension point for server speech (avatar-speech.js): a player registered on
      // window.bankAvatar.speechOutput({text, cue, language}) returns a Promise that resolves
      // when its audio ends, used instead of the browser's voice, or null to leave it to them.
      const player = window.bankAvatar && window.bankAvatar.speechOutput;
      const playing = player ? player({ text, cue: item.cue, language: config.language }) : null;
      if (playing) {
        Promise.resolve(playing).catch(() => {}).then(next);
      } else if (synth && text && !hasTimings) {
        const utterance = new SpeechSynthesisUtterance(text);
        utterance.lang = speechLang;
        let done = false;
        const finish = () => { if (!done) { done = true; next(); } };
        utterance.onend = finish;
        utterance.onerror = finish;
        // Word boundaries give the timing of each word: the mouth takes that word's shape.
        utterance.onboundary = (event) => { if (event.name === "word" || event.name === undefined) boundary(text, event.charIndex, event.charLength); };
        // Some browsers (headless ones) never start speaking: do not wait forever.
        setTimeout(finish, fallback + 4000);
        synth.speak(utterance);
      } else {
        until = performance.now() + fallback;
        setTimeout(next, fallback);
      }
    }

    function say(cue, caption) {
      if (!cue) return;
      queue.push({ cue, caption: caption || cue.speak || "" });
      if (!speaking) next();
    }

    function hush() { queue.length = 0; clearTimed(); if (synth) synth.cancel(); }
    return { say, mood, hush, boundary, schedule, get busy() { return speaking; }, get until() { return until; } };
  })();

  // ------------------------------------------------------------------ input

  els.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    say(els.text.value, "typed");
    els.text.value = "";
  });

  els.newSession.addEventListener("click", () => resetToMenu());

  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (Recognition) {
    const recognition = new Recognition();
    recognition.lang = speechLang;
    recognition.interimResults = false;
    recognition.onresult = (event) => {
      const transcript = Array.from(event.results).map((result) => result[0].transcript).join("");
      say(transcript, "asr");
    };
    recognition.onend = () => els.mic.classList.remove("listening");
    els.mic.hidden = false;
    els.mic.addEventListener("click", () => {
      avatar.hush();
      els.mic.classList.add("listening");
      try { recognition.start(); } catch (_error) { els.mic.classList.remove("listening"); }
    });
  }

  // Extension points for other features (e.g. server speech: a mic button that streams audio
  // over the socket can call bankAvatar.say(text, "asr") or send its own frames with send()).
  window.bankAvatar = Object.assign(window.bankAvatar || {}, {
    state, config, say, uiEvent, send, avatar, visemeFor, resetToMenu,
    renderers: Object.keys(RENDERERS),
  });
  load();
  buildMenu();
  connect();
})();
