// The web chat inside its iframe: sends the visitor's messages, shows replies, and polls for
// what an agent says (served from /omni/webchat/). The visitor token is kept per site.
(function () {
  "use strict";
  const root = document.getElementById("webchat");
  if (!root) return;
  const key = root.dataset.key;
  const language = root.dataset.language;
  const log = document.getElementById("chat-log");
  const errorEl = document.getElementById("chat-error");
  const input = document.getElementById("chat-text");
  const storeKey = "bank-webchat-visitor:" + key;
  let visitor = null;
  try { visitor = window.localStorage.getItem(storeKey); } catch (e) { visitor = null; }
  let seq = 0;
  // A customer token from the embedding page (after the bank's own login), passed once.
  const customerToken = new URLSearchParams(location.search).get("customer_token") || "";

  function show(text, who) {
    if (!text) return;
    const li = document.createElement("li");
    li.className = who;
    li.textContent = text;
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function remember(token) {
    visitor = token;
    try { window.localStorage.setItem(storeKey, token); } catch (e) { /* private mode */ }
  }

  async function sendText(text) {
    errorEl.textContent = "";
    const body = { key: key, text: text, language: language };
    if (visitor) body.visitor = visitor;
    if (customerToken) body.customer_token = customerToken;
    const response = await fetch(root.dataset.messagesUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) {
      if (data.error === "bad_visitor") remember("");
      errorEl.textContent = data.message || data.error;
      return;
    }
    remember(data.visitor);
    seq = Math.max(seq, data.seq || 0);
    show(data.reply, "bank");
  }

  async function poll() {
    if (!visitor) return;
    const url = root.dataset.updatesUrl + "?" + new URLSearchParams({ key: key, visitor: visitor, after: String(seq) });
    try {
      const response = await fetch(url);
      if (!response.ok) return;
      const data = await response.json();
      for (const message of data.messages) {
        if (message.seq > seq) show(message.text, message.role === "agent" ? "agent" : "bank");
      }
      seq = Math.max(seq, data.seq || 0);
    } catch (e) { /* offline: the next poll tries again */ }
  }

  document.getElementById("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    show(text, "me");
    input.value = "";
    sendText(text).catch(() => { errorEl.textContent = "network error"; });
  });
  setInterval(poll, 3000);
})();
