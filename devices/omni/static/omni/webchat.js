// Embeddable web chat: <script src="https://bank.example/static/omni/webchat.js"
//   data-key="SITE KEY" data-lang="zh-hans" data-customer-token="(optional, from your backend)"
//   async></script>. Adds a launcher button and opens the chat in an iframe served by the bank.
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.dataset.key) return;
  const origin = new URL(script.src).origin;
  const params = new URLSearchParams({ key: script.dataset.key, lang: script.dataset.lang || "zh-hans" });
  if (script.dataset.customerToken) params.set("customer_token", script.dataset.customerToken);
  const button = document.createElement("button");
  button.type = "button";
  button.id = "bank-webchat-launcher";
  button.textContent = script.dataset.label || "在线客服 Chat";
  button.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483000;padding:10px 16px;" +
    "border:0;border-radius:20px;background:#0b5394;color:#fff;font:14px system-ui,sans-serif;cursor:pointer";
  let frame = null;
  button.addEventListener("click", () => {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "bank-webchat-frame";
      frame.title = button.textContent;
      frame.src = origin + "/omni/webchat/frame/?" + params.toString();
      frame.style.cssText = "position:fixed;right:20px;bottom:70px;width:360px;height:520px;" +
        "border:1px solid #ccc;border-radius:8px;z-index:2147483000;background:#fff";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
  });
  document.body.appendChild(button);
})();
