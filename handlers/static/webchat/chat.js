// Ungebot's web chat in the browser. The session token lives in sessionStorage only: it is gone
// when the tab closes, and the quick exit throws it away at once. No cookies are ever sent.
(function () {
  "use strict";

  var TOKEN_KEY = "ungebot.webchat.token";
  var root = document.getElementById("chat");
  var config = root.dataset;
  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var field = document.getElementById("text");
  var sendButton = document.getElementById("send");
  var notice = document.getElementById("notice");
  var pollMs = Number(config.pollMs) || 2000;
  var embedded = config.embedded === "true";

  var cursor = "";
  var shown = new Set();
  var pollTimer = null;
  var polling = false;
  var pollAgain = false;
  // Right after a message the answer is usually a moment away: look sooner for it.
  var soon = [];
  // Where sessionStorage is refused (some private modes), the token lives as long as the page.
  var tokenInMemory = null;

  function storedToken() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY);
    } catch (error) {
      return tokenInMemory;
    }
  }

  function keepToken(token) {
    tokenInMemory = token;
    try {
      window.sessionStorage.setItem(TOKEN_KEY, token);
    } catch (error) {
      // tokenInMemory holds it
    }
  }

  function forgetToken() {
    tokenInMemory = null;
    try {
      window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (error) {
      // nothing was stored
    }
  }

  function request(url, options) {
    return fetch(url, Object.assign({ credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" }, options));
  }

  function say(text) {
    notice.textContent = text;
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function newId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  async function sessionToken() {
    var token = storedToken();
    if (token) {
      return token;
    }
    var response = await request(config.sessionsUrl, { method: "POST" });
    if (!response.ok) {
      throw response;
    }
    token = (await response.json()).token;
    keepToken(token);
    return token;
  }

  // -- showing messages ------------------------------------------------------------------------

  function removeChoices() {
    list.querySelectorAll(".choices").forEach(function (group) { group.remove(); });
  }

  function show(message) {
    if (shown.has(message.id)) {
      return;
    }
    shown.add(message.id);
    removeChoices();
    var item = document.createElement("li");
    item.className = "message " + (message.from === "you" ? "you" : "bot");
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (message.from === "you" ? config.you : config.bot) + ": ";
    var text = document.createElement("p");
    text.textContent = message.text;
    item.append(who, text);
    if (message.choices && message.choices.length) {
      var group = document.createElement("div");
      group.className = "choices";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", config.choices);
      message.choices.forEach(function (label) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "choice";
        button.textContent = label;
        button.addEventListener("click", function () { send(label); });
        group.append(button);
      });
      item.append(group);
    }
    list.append(item);
    item.scrollIntoView({ block: "end" });
  }

  // -- polling: counsellors' replies and the bot's answers appear without a reload -------------

  function schedulePoll(ms) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, ms);
  }

  async function poll() {
    var token = storedToken();
    if (!token) {
      return;
    }
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = true;
    var wait = soon.length ? soon.shift() : pollMs;
    try {
      var response = await request(config.messagesUrl + "?after=" + encodeURIComponent(cursor), {
        headers: { Authorization: "Bearer " + token },
      });
      if (response.status === 429) {
        soon = [];
        wait = Math.max(pollMs, 1000 * Number(response.headers.get("Retry-After") || 10));
      } else if (response.ok) {
        var body = await response.json();
        body.messages.forEach(show);
        cursor = body.cursor;
      }
    } catch (error) {
      // offline for a moment: the next poll tries again
    } finally {
      polling = false;
    }
    if (pollAgain) {
      pollAgain = false;
      wait = 0;
    }
    schedulePoll(wait);
  }

  // -- sending ---------------------------------------------------------------------------------

  async function send(text) {
    var id = newId(); // the same id on every retry: the server stores the message once
    say("");
    sendButton.disabled = true;
    try {
      for (var attempt = 0; attempt < 4; attempt += 1) {
        try {
          var response = await request(config.messagesUrl, {
            method: "POST",
            headers: { "Content-Type": "application/json", Authorization: "Bearer " + (await sessionToken()) },
            body: JSON.stringify({ id: id, text: text }),
          });
          if (response.status === 202) {
            removeChoices();
            soon = [300, 600, 1200];
            poll();
            return true;
          }
          if (response.status === 429) {
            say(config.tooFast);
            return false;
          }
          if (response.status === 413) {
            say(config.tooLong);
            return false;
          }
          if (response.status === 401) {
            forgetToken();
          } else if (response.status < 500) {
            say(config.failed);
            return false;
          }
        } catch (error) {
          if (error instanceof Response && error.status === 429) {
            say(config.tooFast);
            return false;
          }
          // the network failed, or the server for a moment: try again below with the same id
        }
        await sleep(500 * Math.pow(2, attempt));
      }
      say(config.failed);
      return false;
    } finally {
      sendButton.disabled = false;
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var text = field.value;
    if (!text.trim()) {
      return;
    }
    if (await send(text)) {
      field.value = "";
    }
    field.focus();
  });

  document.getElementById("ask-anonymously").addEventListener("click", function (event) {
    send(event.currentTarget.dataset.word);
    field.focus();
  });

  // -- quick exit: away at once, and Back does not come back here ------------------------------

  function quickExit() {
    forgetToken();
    list.replaceChildren();
    if (embedded) {
      // The widget on the embedding page replaces that page; from inside a frame of another
      // site the browser lets us do it only right after a click.
      window.parent.postMessage({ type: "ungebot-exit", url: config.exitUrl }, "*");
    }
    try {
      window.top.location.replace(config.exitUrl);
    } catch (error) {
      window.location.replace(config.exitUrl);
    }
  }

  document.getElementById("quick-exit").addEventListener("click", quickExit);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !event.isComposing) {
      quickExit();
    }
  });

  if (storedToken()) {
    poll(); // a reload: the conversation so far comes back
  }
})();
