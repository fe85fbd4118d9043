// Ungebot's chat on another site, with one tag:
//   <script src="https://ungebot.example.dk/chat/widget.js" defer></script>  (data-lang="en" for English)
// It adds a button that opens the chat in a frame from Ungebot's own origin; the site itself never
// sees the conversation. Styles are set through the DOM, so the site's own CSP need not allow inline styles.
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector('script[src*="/chat/widget.js"]');
  if (!script || document.getElementById("ungebot-chat-button")) {
    return;
  }
  var origin = new URL(script.src, document.baseURI).origin;
  var english = script.getAttribute("data-lang") === "en";
  var labels = english
    ? { open: "Chat with Ungebot", close: "Close the chat", frame: "Chat with Ungebot" }
    : { open: "Chat med Ungebot", close: "Luk chatten", frame: "Chat med Ungebot" };
  var frame = null;

  function style(element, properties) {
    Object.keys(properties).forEach(function (name) {
      element.style.setProperty(name, properties[name]);
    });
  }

  var button = document.createElement("button");
  button.type = "button";
  button.id = "ungebot-chat-button";
  button.textContent = labels.open;
  button.setAttribute("aria-expanded", "false");
  style(button, {
    position: "fixed", right: "16px", bottom: "16px", "z-index": "2147483647", "min-height": "48px",
    padding: "12px 18px", border: "2px solid #ffffff", "border-radius": "24px", background: "#1f4e79",
    color: "#ffffff", font: "600 16px system-ui, sans-serif", cursor: "pointer", "box-shadow": "0 2px 8px rgba(0,0,0,.3)",
  });

  function placeFrame() {
    var phone = window.matchMedia("(max-width: 480px)").matches;
    style(frame, phone
      ? { left: "0", right: "0", top: "0", bottom: "80px", width: "100%", height: "auto", "border-radius": "0" }
      : { left: "auto", top: "auto", right: "16px", bottom: "80px", width: "380px", height: "min(600px, calc(100vh - 96px))", "border-radius": "12px" });
  }

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "ungebot-chat-frame";
      frame.title = labels.frame;
      frame.src = origin + "/chat?embed=1" + (english ? "&lang=en" : "");
      frame.referrerPolicy = "no-referrer";
      style(frame, {
        position: "fixed", "z-index": "2147483646", border: "1px solid #767676", background: "#ffffff",
        "box-shadow": "0 4px 16px rgba(0,0,0,.3)",
      });
      document.body.append(frame);
      window.addEventListener("resize", placeFrame);
    }
    placeFrame();
    style(frame, { display: "block" });
    button.textContent = labels.close;
    button.setAttribute("aria-expanded", "true");
    frame.focus();
  }

  function close() {
    style(frame, { display: "none" });
    button.textContent = labels.open;
    button.setAttribute("aria-expanded", "false");
  }

  button.addEventListener("click", function () {
    if (frame && frame.style.display !== "none") {
      close();
    } else {
      open();
    }
  });

  // The chat's quick exit: replace this page, so that Back does not lead to it.
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== origin || !frame || event.source !== frame.contentWindow || !data || data.type !== "ungebot-exit") {
      return;
    }
    if (/^https?:\/\//.test(data.url)) {
      window.location.replace(data.url);
    }
  });

  if (document.body) {
    document.body.append(button);
  } else {
    document.addEventListener("DOMContentLoaded", function () { document.body.append(button); });
  }
})();
