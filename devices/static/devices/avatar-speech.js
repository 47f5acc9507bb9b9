/* Speech on the server for the avatar client (docs/avatar-protocol.md, sections 2a and 3a).
 *
 * Loaded before avatar-client.js, and kept apart from it: it finds the avatar socket by
 * wrapping the WebSocket constructor, so the client needs no change.
 * - Spoken questions: the microphone button records 16 kHz 16-bit PCM and sends it as an
 *   utterance (audio.start, binary chunks under the frame limit, audio.end); the server
 *   recognises it and answers it like typed text (source: asr). It replaces the browser's own
 *   SpeechRecognition, which needs a cloud service a kiosk does not have.
 * - Server speech: when the browser has no voice for the session's language, session.start /
 *   session.resume ask for `speech: "server"`; speech.audio clips are played in order and the
 *   mouth follows their viseme marks. Announcements outside a conversation (broadcasts,
 *   called tickets) are read by the server on request (speech.say).
 */
(function () {
  "use strict";
  const NativeWebSocket = window.WebSocket;
  if (!NativeWebSocket) return;
  // Openness and width of each viseme (bank_ai/ai/speech/visemes.py).
  const VISEMES = {
    rest: [0, 1], closed: [0.02, 0.95], dental: [0.12, 1.05], narrow: [0.25, 1],
    mid: [0.45, 1], wide: [0.5, 1.2], open: [0.85, 1], round: [0.55, 0.7],
  };
  const MAX_CHUNK_BYTES = 12000; // raw bytes per binary frame: under the 16 KiB frame limit
  const MAX_RECORD_MS = 15000;
  // Set by the page's script tag: the static file's name is hashed in production.
  const WORKLET_URL = (document.currentScript && document.currentScript.dataset.micWorklet) || "";
  // `clips`, `said`, `announced` and `heard` record what arrived and what was shown, `capture`
  // where the microphone was read (tests, diagnostics).
  const speech = { ws: null, server: false, language: "zh-hans", queue: [], playing: null, pending: {}, clips: 0, said: [], announced: [], heard: [] };
  window.bankAvatarSpeech = speech;

  function hasVoiceFor(language) {
    if (!("speechSynthesis" in window)) return false;
    const prefix = language.startsWith("zh") ? "zh" : "en";
    return window.speechSynthesis.getVoices().some((voice) => voice.lang.toLowerCase().startsWith(prefix));
  }

  // ------------------------------------------------------------------ the socket

  function AvatarAwareWebSocket(url, protocols) {
    const ws = protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, protocols);
    if (String(url).includes("/ws/avatar/")) attach(ws);
    return ws;
  }
  AvatarAwareWebSocket.prototype = NativeWebSocket.prototype;
  for (const name of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) AvatarAwareWebSocket[name] = NativeWebSocket[name];
  window.WebSocket = AvatarAwareWebSocket;

  function attach(ws) {
    speech.ws = ws;
    const send = ws.send.bind(ws);
    ws.send = (data) => {
      if (typeof data === "string" && data.includes('"session.')) {
        try {
          const frame = JSON.parse(data);
          if (frame.type === "session.start" || frame.type === "session.resume") {
            if (frame.language) speech.language = frame.language;
            if (!frame.speech) frame.speech = hasVoiceFor(speech.language) ? "browser" : "server";
            speech.server = frame.speech === "server";
            if (frame.type === "session.start") stopPlayback();
            data = JSON.stringify(frame);
          }
        } catch (_error) { /* not ours to judge: send it as it is */ }
      }
      return send(data);
    };
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      let frame;
      try { frame = JSON.parse(event.data); } catch (_error) { return; }
      if (frame.type === "hello") mic.enable(frame);
      else if (frame.type === "session.ready") speech.language = frame.language || speech.language;
      else if (frame.type === "speech.audio") enqueue(frame);
      else if (frame.type === "asr.result") mic.heard(frame);
      else if (frame.type === "error" && mic.codes.has(frame.code)) mic.failed(frame);
      else if (frame.type === "error" && frame.id && speech.pending[frame.id]) settle(frame.id);
    });
    ws.addEventListener("close", () => { mic.stop(false); stopPlayback(); });
  }

  // ------------------------------------------------------------------ server speech

  // Announcements that reach the screen outside a conversation (a broadcast, a called ticket)
  // are the client's to speak: it hands each one to this player first (bankAvatar.speechOutput).
  // With a browser voice for the language the player declines and the browser speaks; without
  // one the server reads it (speech.say) and the returned promise settles when the last clip
  // has played, so the client's queue moves on after it.
  let announcements = 0;
  function speakAnnouncement({ text, language }) {
    const lang = language || speech.language;
    if (hasVoiceFor(lang) || !text || !speech.ws || speech.ws.readyState !== NativeWebSocket.OPEN) return null;
    announcements += 1;
    const ref = "say-" + announcements;
    return new Promise((resolve) => {
      speech.pending[ref] = resolve;
      // A clip lost with its socket must not hold the teller's queue for ever.
      setTimeout(() => settle(ref), 30000);
      speech.ws.send(JSON.stringify({ type: "speech.say", id: ref, text: String(text).slice(0, 500), language: lang }));
    });
  }
  window.bankAvatar = Object.assign(window.bankAvatar || {}, { speechOutput: speakAnnouncement });

  function settle(ref) {
    const resolve = speech.pending[ref];
    if (resolve) { delete speech.pending[ref]; resolve(); }
  }

  function enqueue(frame) {
    speech.clips += 1;
    // The server synthesises one sentence at a time, in order: play them as they come.
    speech.queue.push(frame);
    if (!speech.playing) playNext();
  }

  function playNext() {
    const clip = speech.queue.shift();
    const avatar = document.getElementById("ac-avatar");
    if (!clip) {
      speech.playing = null;
      if (avatar) avatar.dataset.state = "idle";
      return;
    }
    const audio = new Audio("data:audio/wav;base64," + clip.audio);
    speech.playing = { clip, audio };
    if (avatar) avatar.dataset.state = "speaking";
    const mouth = document.getElementById("ac-mouth");
    const caption = document.getElementById("ac-caption");
    if (caption) caption.textContent = clip.text;
    speech.said.push(clip.text);
    if (clip.ref) speech.announced.push(clip.text);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (clip.ref && clip.last) settle(clip.ref);
      playNext();
    };
    audio.onended = finish;
    audio.onerror = finish;
    // A browser that refuses to play (autoplay rules, no audio device) still moves on.
    setTimeout(finish, clip.duration * 1000 + 1500);
    const started = performance.now();
    function animate(now) {
      if (done || !mouth) return;
      const t = audio.currentTime > 0 ? audio.currentTime : (now - started) / 1000;
      const mark = clip.marks.find((m) => m.start <= t && t < m.end);
      const [open, width] = VISEMES[mark ? mark.viseme : "rest"] || VISEMES.rest;
      mouth.setAttribute("ry", (2 + 13 * open).toFixed(1));
      mouth.setAttribute("rx", ((14 - 3 * open) * width).toFixed(1));
      requestAnimationFrame(animate);
    }
    requestAnimationFrame(animate);
    audio.play().catch(() => {});
  }

  function stopPlayback() {
    speech.queue.length = 0;
    if (speech.playing) { speech.playing.audio.pause(); speech.playing = null; }
    Object.keys(speech.pending).forEach(settle);
  }

  // ------------------------------------------------------------------ spoken questions

  const canRecord = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia &&
    (window.AudioContext || window.webkitAudioContext));
  if (canRecord) {
    // The server recognises speech: keep the client from wiring the browser's recogniser.
    try { window.SpeechRecognition = undefined; window.webkitSpeechRecognition = undefined; } catch (_error) { /* read-only */ }
  }

  const mic = {
    codes: new Set(["no_utterance", "audio_too_large", "audio_too_long", "bad_audio", "no_speech", "asr_busy", "asr_unavailable"]),
    recording: null,
    button: null,
    maxBytes: 1048576,

    enable(hello) {
      if (!canRecord) return;
      this.maxBytes = (hello.limits && hello.limits.max_audio_bytes) || this.maxBytes;
      this.button = document.getElementById("ac-mic");
      if (!this.button || this.button.dataset.serverAsr) return;
      this.button.dataset.serverAsr = "on";
      this.button.hidden = false;
      this.button.setAttribute("aria-pressed", "false");
      this.button.addEventListener("click", () => (this.recording ? this.stop(true) : this.start()));
    },

    async start() {
      if (this.starting || !speech.ws || speech.ws.readyState !== NativeWebSocket.OPEN) return;
      this.starting = true;
      try { await this.open(); } finally { this.starting = false; }
    },

    async open() {
      stopPlayback();
      const Context = window.AudioContext || window.webkitAudioContext;
      let context;
      try { context = new Context({ sampleRate: 16000 }); } catch (_error) { context = new Context(); }
      // The capture module is loaded before the microphone opens: a device starts delivering
      // sound when it is opened, and what it delivers before the graph is wired is lost.
      let onAudioThread = false;
      if (WORKLET_URL && context.audioWorklet && window.AudioWorkletNode) {
        try { await context.audioWorklet.addModule(WORKLET_URL); onAudioThread = true; } catch (_error) { /* the main-thread fallback below */ }
      }
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
      } catch (_error) {
        context.close();
        this.say(document.documentElement.lang.startsWith("zh") ? "无法使用麦克风。" : "The microphone is not available.");
        return;
      }
      const source = context.createMediaStreamSource(stream);
      const recording = { stream, context, source, node: null, pending: [], pendingBytes: 0, sent: 0, finished: false, full: false };
      this.recording = recording;
      speech.ws.send(JSON.stringify({ type: "audio.start", format: "pcm_s16le", sample_rate: Math.round(context.sampleRate), language: speech.language, id: "mic-" + Date.now() }));
      const take = (input) => {
        if (recording.finished) return;
        const pcm = new Int16Array(input.length);
        for (let i = 0; i < input.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(input[i] * 32767)));
        recording.pending.push(pcm);
        recording.pendingBytes += pcm.byteLength;
        if (recording.pendingBytes >= MAX_CHUNK_BYTES) this.flush(recording);
        if (recording.full && this.recording === recording) this.stop(true);
      };
      speech.capture = onAudioThread ? "audio-thread" : "main-thread";
      if (onAudioThread) {
        recording.node = new AudioWorkletNode(context, "bank-mic-capture", { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
        recording.node.port.onmessage = (event) => {
          if (event.data === "flushed") { if (recording.onFlushed) recording.onFlushed(); } else take(event.data);
        };
      } else {
        // Browsers without AudioWorklet: the older main-thread node.
        recording.node = context.createScriptProcessor(4096, 1, 1);
        recording.node.onaudioprocess = (event) => take(event.inputBuffer.getChannelData(0));
      }
      source.connect(recording.node);
      // Its output is silence; connected so the graph pulls it.
      recording.node.connect(context.destination);
      recording.timer = setTimeout(() => { if (this.recording === recording) this.stop(true); }, MAX_RECORD_MS);
      this.button.classList.add("listening");
      this.button.setAttribute("aria-pressed", "true");
    },

    flush(recording) {
      if (!recording.pendingBytes) return;
      const all = new Uint8Array(recording.pendingBytes);
      let offset = 0;
      for (const part of recording.pending) { all.set(new Uint8Array(part.buffer), offset); offset += part.byteLength; }
      recording.pending = []; recording.pendingBytes = 0;
      for (let start = 0; start < all.length; start += MAX_CHUNK_BYTES) {
        if (recording.sent + MAX_CHUNK_BYTES > this.maxBytes) { recording.full = true; return; }
        const chunk = all.slice(start, start + MAX_CHUNK_BYTES);
        recording.sent += chunk.byteLength;
        if (speech.ws && speech.ws.readyState === NativeWebSocket.OPEN) speech.ws.send(chunk.buffer);
      }
    },

    stop(send) {
      const recording = this.recording;
      if (!recording) return;
      this.recording = null;
      clearTimeout(recording.timer);
      if (this.button) { this.button.classList.remove("listening"); this.button.setAttribute("aria-pressed", "false"); }
      const finish = () => {
        if (recording.finished) return;
        recording.finished = true;
        if (send) this.flush(recording);
        recording.node.disconnect();
        recording.source.disconnect();
        recording.stream.getTracks().forEach((track) => track.stop());
        recording.context.close();
        if (speech.ws && speech.ws.readyState === NativeWebSocket.OPEN) {
          speech.ws.send(JSON.stringify({ type: send ? "audio.end" : "audio.cancel" }));
        }
      };
      if (send && recording.node.port) {
        // Samples the audio thread posted before the stop may still be queued for the page:
        // the worklet answers "flushed" after them, so the utterance ends only once all are in.
        recording.onFlushed = finish;
        recording.node.port.postMessage("flush");
        setTimeout(finish, 1000);
      } else {
        finish();
      }
    },

    heard(frame) { speech.heard.push(frame.text); this.say(frame.text); },
    failed(frame) { this.say(frame.message); },
    say(text) {
      const caption = document.getElementById("ac-caption");
      if (caption) caption.textContent = text;
    },
  };
})();
