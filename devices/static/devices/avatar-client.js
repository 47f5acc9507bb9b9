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
    avatar: $("ac-avatar"), mouth: $("ac-mouth"),
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
  };

  function load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(storeKey) || "{}");
      // After a page load nothing is on screen: resume from 0 and let the server replay all.
      state.sessionId = saved.sessionId || null;
      state.lastSeq = 0;
    } catch (_error) { /* a fresh start */ }
  }
  function save() {
    sessionStorage.setItem(storeKey, JSON.stringify({ sessionId: state.sessionId }));
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

  function handle(frame) {
    if (typeof frame.seq === "number" && frame.type !== "answer.delta" && frame.type !== "turn.ack") {
      if (frame.seq <= state.lastSeq) return; // already shown
      state.lastSeq = frame.seq;
      save();
    }
    const handler = HANDLERS[frame.type];
    if (handler) handler(frame);
    if (typeof frame.seq === "number" && frame.type !== "answer.delta" && frame.type !== "turn.ack" && state.replaying > 0) {
      state.replaying -= 1;
    }
  }

  const HANDLERS = {
    hello(frame) {
      state.retry = 0;
      setStatus("online");
      state.heartbeat = setInterval(() => send({ type: "ping", nonce: Date.now() }), (frame.heartbeat_seconds || 25) * 1000);
      if (state.sessionId) send({ type: "session.resume", session_id: state.sessionId, last_seq: state.lastSeq });
      else startSession();
    },
    pong() {},
    "session.ready"(frame) {
      if (!frame.resumed) { els.transcript.innerHTML = ""; state.answers.clear(); state.lastSeq = 0; }
      state.sessionId = frame.session_id;
      state.replaying = frame.replaying || 0;
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
      avatar.say(frame.cue, plain(frame.text));
    },
    "answer.done"(frame) {
      const live = state.replaying === 0;
      if (frame.in_reply_to && !customerShown(frame.seq)) addCustomer(frame.in_reply_to, frame.seq);
      const answer = answerFor(frame.seq);
      answer.li.classList.remove("streaming");
      answer.text.textContent = plain(frame.text);
      if (frame.interrupted) { answer.li.classList.add("interrupted"); answer.li.dataset.note = T.interrupted; }
      renderSources(answer.li, frame.sources || []);
      renderActions(answer.li, frame.actions || [], frame.step);
      avatar.mood(frame.cue);
      if (live && !answer.spokeLive) avatar.say(frame.cue, plain(frame.text));
      scroll();
    },
    "ui.action"(frame) {
      const li = message("assistant", T.teller);
      renderActions(li, [frame.action]);
      scroll();
    },
    "avatar.say"(frame) {
      const li = message("agent", frame.agent ? T.agent + " · " + frame.agent : T.agent);
      li.querySelector(".ac-bubble").textContent = frame.text;
      if (state.replaying === 0) avatar.say(frame.cue || { speak: frame.text, mouth: 0.6 }, frame.text);
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
          state.sessionId = null; state.lastSeq = 0; save(); startSession(); return;
        }
        const li = message("error", T.error + " · " + frame.code);
        li.querySelector(".ac-bubble").textContent = frame.message;
        if (state.pendingCustomer && frame.code === "busy") state.pendingCustomer.remove();
      }
      scroll();
    },
  };
  // Also accepted as a push for the whole hall (a device-group broadcast).
  HANDLERS["broadcast.stop"] = () => stopPlaylist();

  function startSession() {
    send({ type: "session.start", scenario: config.scenario, language: config.language });
  }

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
    const text = inReplyTo.kind === "event" ? "· " + inReplyTo.name + (inReplyTo.step ? " (" + inReplyTo.step + ")" : "") : inReplyTo.text;
    const li = message("customer", T.you);
    li.querySelector(".ac-bubble").textContent = text;
    li.dataset.stored = "1";
    li.dataset.seq = seq;
    // Keep the transcript in order: the question goes right before its answer.
    const answer = state.answers.get(seq);
    if (answer) els.transcript.insertBefore(li, answer.li);
  }

  // Answers arrive as plain text and are only ever set as textContent, never parsed as markup.
  function plain(text) {
    return text == null ? "" : String(text);
  }

  function scroll() { els.transcript.scrollTop = els.transcript.scrollHeight; }

  function say(text, source) {
    text = (text || "").trim();
    if (!text) return;
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
    guide_step(action) {
      const div = box("guide", (action.title || "") );
      const progress = el("div", "ac-progress");
      const bar = el("span");
      bar.style.width = (action.total ? Math.round(100 * (action.index || 0) / action.total) : 0) + "%";
      progress.append(bar);
      div.append(el("p", "ac-muted", T.step + " " + (action.index || "?") + " / " + (action.total || "?")), progress);
      if (action.body) div.append(el("p", "", action.body));
      const confirm = el("button", "ac-primary", action.confirm_label || T.confirm);
      confirm.type = "button";
      confirm.onclick = () => { confirm.disabled = true; uiEvent("confirm", action.step, { guide: action.guide }); };
      div.append(confirm);
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
        uiEvent("submit", action.step || action.form || "", data);
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
    handoff() { return box("handoff", T.handoff); },
  };

  function renderActions(li, actions, step) {
    for (const action of actions) {
      const render = RENDERERS[action && action.type];
      if (!render) continue; // unknown actions are ignored (forward compatible)
      const node = render(action, step || action.step);
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

  const avatar = (() => {
    const queue = [];
    let speaking = false;
    let level = 0;
    let until = 0;
    const synth = "speechSynthesis" in window ? window.speechSynthesis : null;

    function frame(time) {
      let open = 0;
      if (speaking) open = level * (0.55 + 0.45 * Math.abs(Math.sin(time / 55)));
      els.mouth.setAttribute("ry", (2 + 13 * open).toFixed(1));
      els.mouth.setAttribute("rx", (14 - 3 * open).toFixed(1));
      requestAnimationFrame(frame);
    }
    requestAnimationFrame(frame);

    function mood(cue) {
      if (!cue) return;
      if (cue.emotion) els.avatar.dataset.emotion = cue.emotion;
      if (cue.gesture) {
        els.avatar.dataset.gesture = cue.gesture;
        clearTimeout(mood.timer);
        mood.timer = setTimeout(() => { els.avatar.dataset.gesture = "none"; }, 4000);
      }
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
      if (synth && text) {
        const utterance = new SpeechSynthesisUtterance(text);
        utterance.lang = speechLang;
        let done = false;
        const finish = () => { if (!done) { done = true; next(); } };
        utterance.onend = finish;
        utterance.onerror = finish;
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

    function hush() { queue.length = 0; if (synth) synth.cancel(); }
    return { say, mood, hush, get until() { return until; } };
  })();

  // ------------------------------------------------------------------ input

  els.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    say(els.text.value, "typed");
    els.text.value = "";
  });

  els.newSession.addEventListener("click", () => {
    avatar.hush();
    state.sessionId = null; state.lastSeq = 0; save();
    els.suggestions.innerHTML = "";
    startSession();
  });

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

  window.bankAvatar = { state, say, uiEvent };
  load();
  connect();
})();
