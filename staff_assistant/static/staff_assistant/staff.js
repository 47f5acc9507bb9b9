/* Staff assistant chat: asks over a POST whose response is a server-sent event stream
   (start, delta..., done | error), renders citations as links, sends feedback. No framework. */
(function () {
  "use strict";
  const root = document.getElementById("staff-chat");
  if (!root) return;
  const t = (key) => root.dataset["t" + key] || "";
  const messages = document.getElementById("messages");
  const composer = document.getElementById("composer");
  const question = document.getElementById("question");
  const send = document.getElementById("send");
  const language = document.getElementById("answer-language");
  let conversation = root.dataset.conversation || "";
  let quickFilter = "";
  let busy = false;

  function csrfToken() {
    const input = composer.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Answers arrive as plain text. They only ever reach the page as text nodes (textContent,
  // createTextNode), never as markup, so nothing an answer says can become an element here.

  function safeUrl(url) {
    url = String(url || "");
    if (url.startsWith("/") && !url.startsWith("//")) return url;
    if (url.startsWith("https://") || url.startsWith("http://")) return url;
    return "";
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderWithCitations(container, plain, sources) {
    container.textContent = "";
    const urls = {};
    (sources || []).forEach((s) => { urls[s.n] = safeUrl(s.url); });
    const marker = /\[(\d{1,2})\]/g;
    let position = 0;
    let match;
    while ((match = marker.exec(plain)) !== null) {
      container.appendChild(document.createTextNode(plain.slice(position, match.index)));
      const url = urls[Number(match[1])];
      if (url) {
        const a = el("a", "cite", match[0]);
        a.href = url; a.target = "_blank"; a.rel = "noopener";
        container.appendChild(a);
      } else {
        container.appendChild(document.createTextNode(match[0]));
      }
      position = marker.lastIndex;
    }
    container.appendChild(document.createTextNode(plain.slice(position)));
  }

  function scrollDown() { messages.scrollTop = messages.scrollHeight; }

  function addUserMessage(text, filterLabel) {
    const welcome = document.getElementById("welcome");
    if (welcome) welcome.remove();
    const article = el("article", "msg msg--user");
    article.appendChild(el("div", "msg-body", text));
    if (filterLabel) article.appendChild(el("span", "msg-filter", filterLabel));
    messages.appendChild(article);
    scrollDown();
  }

  const THUMB = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

  function thumb(rating, label) {
    const button = el("button", "thumb"); button.type = "button";
    button.dataset.rating = rating; button.title = label;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", THUMB);
    svg.appendChild(path);
    button.append(svg, el("span", "visually-hidden", label));
    return button;
  }

  function feedbackBlock(messageId) {
    const box = el("div", "msg-feedback");
    box.dataset.feedbackUrl = root.dataset.feedbackUrl + messageId + "/feedback/";
    const up = thumb("1", t("Helpful"));
    const down = thumb("-1", t("NotHelpful"));
    const toggle = el("button", "linkish correction-toggle", t("Suggest"));
    toggle.type = "button";
    const status = el("span", "feedback-status"); status.setAttribute("role", "status");
    const form = el("form", "correction"); form.hidden = true;
    const area = el("textarea"); area.rows = 3; area.maxLength = 4000;
    area.placeholder = t("CorrectionPlaceholder");
    const submit = el("button", "staff-primary small", t("SendEditors")); submit.type = "submit";
    form.append(area, submit);
    box.append(up, down, toggle, status, form);
    return box;
  }

  function finishAnswer(article, data) {
    article.dataset.message = data.message_id;
    article.dataset.kind = data.kind;
    article.dataset.state = "done";
    renderWithCitations(article.querySelector(".msg-body"), data.answer || "", data.sources);
    if (data.sources && data.sources.length) {
      const list = el("ol", "msg-sources");
      data.sources.forEach((source) => {
        const item = el("li"); item.value = source.n;
        const link = el("a", "source-link", source.title);
        link.href = safeUrl(source.url); link.target = "_blank"; link.rel = "noopener";
        item.append(link, el("span", "source-snippet", (source.snippet || "").slice(0, 140)));
        list.appendChild(item);
      });
      article.appendChild(list);
    }
    if (data.related_questions && data.related_questions.length) {
      const related = el("div", "msg-related");
      related.appendChild(el("span", "", t("Related") + ":"));
      data.related_questions.forEach((q) => {
        const chip = el("button", "chip chip--ask", q); chip.type = "button";
        related.appendChild(chip);
      });
      article.appendChild(related);
    }
    if (data.escalate) article.appendChild(el("p", "msg-escalate", t("Escalate")));
    article.appendChild(feedbackBlock(data.message_id));
  }

  function started(data) {
    if (!conversation || String(conversation) !== String(data.conversation_id)) {
      const isNew = !conversation;
      conversation = String(data.conversation_id);
      root.dataset.conversation = conversation;
      history.replaceState(null, "", root.dataset.conversationUrl + conversation + "/");
      if (isNew) {
        const list = document.getElementById("history-list");
        const empty = list.querySelector(".history-empty");
        if (empty) empty.remove();
        list.querySelectorAll(".is-current").forEach((li) => li.classList.remove("is-current"));
        const li = el("li", "is-current");
        const a = el("a"); a.href = root.dataset.conversationUrl + conversation + "/";
        a.appendChild(el("span", "history-title", question.dataset.lastAsked || ""));
        li.appendChild(a);
        list.prepend(li);
      }
    }
  }

  function parseEvents(buffer, onEvent) {
    // Events are separated by a blank line; returns what is left of an incomplete event.
    let index;
    while ((index = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      let name = "message";
      const data = [];
      block.split("\n").forEach((line) => {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      });
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
    return buffer;
  }

  async function ask(text) {
    if (busy || !text.trim()) return;
    busy = true; send.disabled = true;
    const activeChip = root.querySelector(".filters .chip.is-on");
    addUserMessage(text, quickFilter && activeChip ? activeChip.textContent : "");
    question.dataset.lastAsked = text.slice(0, 48);
    const article = el("article", "msg msg--assistant");
    article.dataset.state = "streaming";
    article.dataset.deltas = "0";
    const body = el("div", "msg-body");
    body.appendChild(el("span", "thinking", t("Thinking")));
    article.appendChild(body);
    messages.appendChild(article);
    scrollDown();
    const form = new FormData();
    form.append("question", text);
    form.append("language", language.value);
    form.append("filter", quickFilter);
    if (conversation) form.append("conversation", conversation);
    let streamed = "";
    try {
      const response = await fetch(root.dataset.askUrl, {
        method: "POST",
        body: form,
        headers: { "X-CSRFToken": csrfToken(), Accept: "text/event-stream" },
        credentials: "same-origin",
      });
      if (!response.ok || !response.body) {
        let detail = t("Failed");
        try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
        throw new Error(detail);
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      let done = false;
      while (!done) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), (name, data) => {
          if (name === "start") started(data);
          else if (name === "delta") {
            streamed += data.text || "";
            body.textContent = streamed;
            article.dataset.deltas = String(Number(article.dataset.deltas) + 1);
            scrollDown();
          } else if (name === "done") { finishAnswer(article, data); done = true; }
          else if (name === "error") throw new Error(data.detail || t("Failed"));
        });
      }
      if (article.dataset.state !== "done") throw new Error(t("Failed"));
    } catch (error) {
      article.dataset.state = "error";
      article.classList.add("msg--error");
      body.textContent = error.message || t("Failed");
    } finally {
      busy = false; send.disabled = false;
      scrollDown();
    }
  }

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = question.value;
    question.value = "";
    ask(text);
  });
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  root.querySelectorAll(".filters .chip").forEach((chip) => {
    chip.addEventListener("click", () => {
      root.querySelectorAll(".filters .chip").forEach((c) => {
        c.classList.remove("is-on"); c.setAttribute("aria-checked", "false");
      });
      chip.classList.add("is-on"); chip.setAttribute("aria-checked", "true");
      quickFilter = chip.dataset.filter || "";
    });
  });

  async function sendFeedback(box, rating, correction) {
    const status = box.querySelector(".feedback-status");
    const response = await fetch(box.dataset.feedbackUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ rating: rating, correction: correction || "" }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { status.textContent = data.detail || t("Failed"); return; }
    box.querySelectorAll(".thumb").forEach((b) => {
      b.classList.toggle("is-on", Number(b.dataset.rating) === rating);
    });
    box.dataset.rating = String(rating);
    status.textContent = data.status === "open" ? t("Queued") : t("Thanks");
  }

  messages.addEventListener("click", (event) => {
    const target = event.target;
    if (target.classList.contains("chip--ask")) { ask(target.textContent); return; }
    const box = target.closest(".msg-feedback");
    if (!box) return;
    const thumbButton = target.closest(".thumb");
    if (thumbButton) {
      sendFeedback(box, Number(thumbButton.dataset.rating), box.querySelector("textarea").value);
    } else if (target.classList.contains("correction-toggle")) {
      const form = box.querySelector(".correction");
      form.hidden = !form.hidden;
      if (!form.hidden) form.querySelector("textarea").focus();
    }
  });
  messages.addEventListener("submit", (event) => {
    const form = event.target.closest(".correction");
    if (!form) return;
    event.preventDefault();
    const box = form.closest(".msg-feedback");
    // A correction is a "not helpful" unless the employee already said it helped.
    const rating = box.dataset.rating === "1" || box.querySelector(".thumb.is-on[data-rating='1']") ? 1 : -1;
    sendFeedback(box, rating, form.querySelector("textarea").value);
  });
})();
