// socialdesk web chat widget: plain JavaScript, no build step, no dependencies.
//
// socialdesk serves this file as the body of
//   (function (CONFIG) { …this file… })({site, base, title, greeting, colour, followupEmail,
//                                        maxChars});
// so a site includes it with one tag: <script src="https://desk.example/widget/7.js" async>.
//
// What it does: a launcher button opens a chat panel (a non-modal dialog in a shadow root, so
// the host page's styles do not leak in). The visitor's session is a token the server issues
// (kept in localStorage); messages go to POST /hooks/webchat/<site>/messages, agents' replies
// arrive by server-sent events (GET …/events), or by polling (GET …/messages?after=) where
// EventSource is missing or keeps failing. The widget confirms what it received (delivered)
// and what it showed in the open panel (read) with POST …/receipts.
// Accessibility: real buttons and labels, Escape closes and focus returns to the launcher,
// new messages are announced (role="log", aria-live="polite"), motion only when the visitor
// has not asked for reduced motion.
"use strict";

var registry = (window.__socialdeskWebchat = window.__socialdeskWebchat || {});
if (registry[CONFIG.site]) return; // the script is on the page twice
registry[CONFIG.site] = true;

var STORE_KEY = "socialdesk-webchat:" + CONFIG.base + ":" + CONFIG.site;
var HOOKS = CONFIG.base + "/hooks/webchat/" + CONFIG.site;
var POLL_MS = 5000;
var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

var state = {
  token: null,
  visitorId: null,
  name: "",
  email: "",
  open: false,
  online: null,
  lastId: 0,
  seen: {},
  unread: 0,
  maxOut: 0,
  ackedDelivered: 0,
  ackedRead: 0,
  ackTimer: null,
  source: null,
  pollTimer: null,
  historyLoaded: false,
};

// ------------------------------------------------------------------ storage

function restore() {
  try {
    var saved = JSON.parse(window.localStorage.getItem(STORE_KEY) || "null");
    if (saved && typeof saved.token === "string") {
      state.token = saved.token;
      state.visitorId = saved.visitorId || null;
      state.name = saved.name || "";
      state.email = saved.email || "";
    }
  } catch (e) {
    /* storage disabled: the session lasts as long as the page */
  }
}

function persist() {
  try {
    if (state.token) {
      window.localStorage.setItem(
        STORE_KEY,
        JSON.stringify({
          token: state.token,
          visitorId: state.visitorId,
          name: state.name,
          email: state.email,
        })
      );
    } else {
      window.localStorage.removeItem(STORE_KEY);
    }
  } catch (e) {
    /* ignore */
  }
}

// ------------------------------------------------------------------ DOM

var STYLE =
  ":host{all:initial}" +
  "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
  ".sd-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;" +
  "border-radius:999px;padding:12px 20px;font-size:16px;font-weight:600;color:#fff;" +
  "background:var(--sd-colour);cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
  ".sd-launcher:focus-visible,.sd-panel button:focus-visible,.sd-panel textarea:focus-visible," +
  ".sd-panel input:focus-visible,.sd-log:focus-visible{outline:3px solid #111;outline-offset:2px}" +
  ".sd-badge{display:inline-block;min-width:22px;margin-left:8px;padding:1px 6px;" +
  "border-radius:999px;background:#fff;color:#111;font-size:13px}" +
  ".sd-panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;" +
  "width:min(360px,calc(100vw - 40px));max-height:min(560px,calc(100vh - 120px));" +
  "display:flex;flex-direction:column;background:#fff;color:#111;border-radius:12px;" +
  "box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden;font-size:15px;" +
  "transition:opacity .18s ease,transform .18s ease}" +
  ".sd-panel[hidden]{display:none}" +
  ".sd-panel.sd-entering{opacity:0;transform:translateY(12px)}" +
  ".sd-head{display:flex;align-items:center;justify-content:space-between;padding:12px 14px;" +
  "background:var(--sd-colour);color:#fff}" +
  ".sd-head h2{margin:0;font-size:17px}" +
  ".sd-close{border:0;background:transparent;color:#fff;font-size:24px;line-height:1;" +
  "cursor:pointer;padding:2px 8px;border-radius:6px}" +
  ".sd-notice{margin:0;padding:10px 14px;background:#fff7e0;color:#3d2e00;font-size:14px}" +
  ".sd-log{flex:1;overflow-y:auto;padding:12px 14px;display:flex;flex-direction:column;gap:8px;" +
  "min-height:160px}" +
  ".sd-msg{max-width:85%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;" +
  "overflow-wrap:anywhere;margin:0}" +
  ".sd-out{align-self:flex-start;background:#eef0f3}" +
  ".sd-in{align-self:flex-end;background:var(--sd-colour);color:#fff}" +
  ".sd-pending{opacity:.7}" +
  ".sd-error{margin:0;padding:8px 14px;color:#8a1111;background:#fdecec;font-size:14px}" +
  ".sd-form{display:flex;flex-direction:column;gap:8px;padding:10px 14px;border-top:1px solid #ddd}" +
  ".sd-about{display:flex;flex-direction:column;gap:6px}" +
  ".sd-form label{display:flex;flex-direction:column;gap:2px;font-size:13px;color:#333}" +
  ".sd-form input,.sd-form textarea{font-size:15px;padding:7px 9px;border:1px solid #767676;" +
  "border-radius:6px;color:#111;background:#fff;resize:vertical}" +
  ".sd-row{display:flex;gap:8px;align-items:flex-end}" +
  ".sd-row textarea{flex:1}" +
  ".sd-send{border:0;border-radius:6px;padding:9px 14px;font-size:15px;font-weight:600;" +
  "color:#fff;background:var(--sd-colour);cursor:pointer}" +
  ".sd-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);" +
  "white-space:nowrap}" +
  "@media (prefers-reduced-motion: reduce){.sd-panel{transition:none}" +
  ".sd-panel.sd-entering{opacity:1;transform:none}}";

function el(tag, attrs, text) {
  var node = document.createElement(tag);
  for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
  if (text != null) node.textContent = text;
  return node;
}

var host = el("div", { id: "socialdesk-webchat-" + CONFIG.site, "data-socialdesk-webchat": "" });
var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
var style = el("style", {}, STYLE);
var wrapper = el("div", { style: "--sd-colour:" + CONFIG.colour });

var panelId = "sd-panel-" + CONFIG.site;
var launcher = el("button", {
  type: "button",
  class: "sd-launcher",
  "aria-expanded": "false",
  "aria-controls": panelId,
});
var launcherLabel = el("span", {}, CONFIG.title);
var badge = el("span", { class: "sd-badge", hidden: "" });
launcher.appendChild(launcherLabel);
launcher.appendChild(badge);

var panel = el("div", {
  id: panelId,
  class: "sd-panel",
  role: "dialog",
  "aria-labelledby": "sd-title",
  hidden: "",
});
var head = el("div", { class: "sd-head" });
head.appendChild(el("h2", { id: "sd-title" }, CONFIG.title));
var closeButton = el("button", { type: "button", class: "sd-close", "aria-label": "Close chat" }, "\u00d7");
head.appendChild(closeButton);

var notice = el("p", { class: "sd-notice", hidden: "" });
var log = el("div", {
  class: "sd-log",
  role: "log",
  "aria-live": "polite",
  "aria-label": "Messages",
  tabindex: "0",
});
if (CONFIG.greeting) log.appendChild(el("p", { class: "sd-msg sd-out sd-greeting" }, CONFIG.greeting));
var errorLine = el("p", { class: "sd-error", role: "alert", hidden: "" });

var form = el("form", { class: "sd-form", novalidate: "" });
var about = el("div", { class: "sd-about" });
var nameLabel = el("label", {}, "Your name (optional)");
var nameInput = el("input", { type: "text", name: "name", autocomplete: "name", maxlength: "300" });
nameLabel.appendChild(nameInput);
var emailLabel = el("label", {});
var emailText = el("span", {}, "Your email (optional)");
var emailInput = el("input", { type: "email", name: "email", autocomplete: "email", maxlength: "320" });
emailLabel.appendChild(emailText);
emailLabel.appendChild(emailInput);
about.appendChild(nameLabel);
about.appendChild(emailLabel);

var row = el("div", { class: "sd-row" });
var textId = "sd-text-" + CONFIG.site;
var textLabel = el("label", { for: textId, class: "sd-hidden" }, "Your message");
var textarea = el("textarea", {
  id: textId,
  name: "text",
  rows: "2",
  maxlength: String(CONFIG.maxChars),
  placeholder: "Write a message\u2026",
});
var sendButton = el("button", { type: "submit", class: "sd-send" }, "Send");
row.appendChild(textLabel);
row.appendChild(textarea);
row.appendChild(sendButton);
form.appendChild(about);
form.appendChild(row);

panel.appendChild(head);
panel.appendChild(notice);
panel.appendChild(log);
panel.appendChild(errorLine);
panel.appendChild(form);
wrapper.appendChild(panel);
wrapper.appendChild(launcher);
root.appendChild(style);
root.appendChild(wrapper);

// ------------------------------------------------------------------ view updates

function showError(text) {
  errorLine.textContent = text || "";
  errorLine.hidden = !text;
}

function setOnline(online) {
  state.online = online;
  if (online === false) {
    var from = CONFIG.followupEmail ? " from " + CONFIG.followupEmail : "";
    notice.textContent =
      "No one is available to chat right now. Leave your message and your email address: " +
      "we will answer you by email" + from + ".";
    notice.hidden = false;
    emailText.textContent = "Your email (needed for our answer)";
    emailInput.required = true;
  } else {
    notice.hidden = true;
    emailText.textContent = "Your email (optional)";
    emailInput.required = false;
  }
  updateAbout();
}

function updateAbout() {
  // Before the first message, and whenever an offline answer needs an address.
  about.hidden = !!state.token && !(state.online === false && !state.email);
}

function setUnread(count) {
  state.unread = count;
  badge.textContent = count ? String(count) : "";
  badge.hidden = !count;
  launcher.setAttribute(
    "aria-label",
    count ? CONFIG.title + " (" + count + " unread " + (count === 1 ? "reply" : "replies") + ")" : CONFIG.title
  );
}

function scrollDown() {
  var smooth = !(reducedMotion && reducedMotion.matches);
  if (log.scrollTo) log.scrollTo({ top: log.scrollHeight, behavior: smooth ? "smooth" : "auto" });
  else log.scrollTop = log.scrollHeight;
}

function bubble(direction, text, pending) {
  var node = el("p", { class: "sd-msg " + (direction === "in" ? "sd-in" : "sd-out") });
  node.appendChild(el("span", { class: "sd-hidden" }, direction === "in" ? "You: " : "Agent: "));
  node.appendChild(document.createTextNode(text));
  if (pending) node.classList.add("sd-pending");
  log.appendChild(node);
  scrollDown();
  return node;
}

// ------------------------------------------------------------------ server

function problemText(response, fallback) {
  return response
    .json()
    .then(function (body) {
      return (body && body.detail) || fallback;
    })
    .catch(function () {
      return fallback;
    });
}

function call(method, path, body) {
  var headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (state.token) headers.Authorization = "Bearer " + state.token;
  return fetch(HOOKS + path, {
    method: method,
    headers: headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    mode: "cors",
  });
}

function forgetSession() {
  state.token = null;
  state.visitorId = null;
  disconnect();
  persist();
  updateAbout();
}

function ensureSession() {
  if (state.token) return Promise.resolve();
  return call("POST", "/sessions", {}).then(function (response) {
    if (!response.ok) {
      return problemText(response, "The chat is not available right now.").then(function (t) {
        throw new Error(t);
      });
    }
    return response.json().then(function (session) {
      state.token = session.token;
      state.visitorId = session.visitor_id;
      state.historyLoaded = true; // a new visitor has no history
      persist();
      setOnline(session.online);
    });
  });
}

function refreshStatus() {
  return call("GET", "/status")
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(function (status) {
      if (status) setOnline(status.online);
    })
    .catch(function () {});
}

function receive(item) {
  if (state.seen[item.id]) return;
  state.seen[item.id] = true;
  if (item.id > state.lastId) state.lastId = item.id;
  bubble(item.direction, item.text, false);
  if (item.direction === "out") {
    if (item.id > state.maxOut) state.maxOut = item.id;
    if (!state.open) setUnread(state.unread + 1);
    scheduleAck();
  }
}

function loadHistory() {
  return call("GET", "/messages?after=" + state.lastId).then(function (response) {
    if (response.status === 401) {
      forgetSession();
      return;
    }
    if (!response.ok) return;
    return response.json().then(function (page) {
      state.historyLoaded = true;
      page.items.forEach(receive);
      setOnline(page.online);
    });
  });
}

function scheduleAck() {
  if (state.ackTimer) return;
  state.ackTimer = window.setTimeout(function () {
    state.ackTimer = null;
    ack();
  }, 250);
}

function ack() {
  if (!state.token || !state.maxOut) return;
  var visible = state.open && document.visibilityState !== "hidden";
  var body = {};
  if (state.maxOut > state.ackedDelivered) body.delivered_up_to = state.maxOut;
  if (visible && state.maxOut > state.ackedRead) body.read_up_to = state.maxOut;
  if (body.delivered_up_to === undefined && body.read_up_to === undefined) return;
  call("POST", "/receipts", body)
    .then(function (response) {
      if (!response.ok) return;
      if (body.delivered_up_to) state.ackedDelivered = Math.max(state.ackedDelivered, body.delivered_up_to);
      if (body.read_up_to) state.ackedRead = Math.max(state.ackedRead, body.read_up_to);
    })
    .catch(function () {});
}

function connect() {
  if (!state.token || state.source || state.pollTimer) return;
  if (!window.EventSource) {
    startPolling();
    return;
  }
  var url = HOOKS + "/events?token=" + encodeURIComponent(state.token) + "&after=" + state.lastId;
  var source = new EventSource(url);
  state.source = source;
  source.addEventListener("message", function (event) {
    try {
      receive(JSON.parse(event.data));
    } catch (e) {
      /* not ours */
    }
  });
  source.onerror = function () {
    // EventSource reconnects by itself; when it gives up (an HTTP error), poll instead.
    if (source.readyState === 2) {
      source.close();
      state.source = null;
      startPolling();
    }
  };
}

function startPolling() {
  if (state.pollTimer || !state.token) return;
  state.pollTimer = window.setInterval(function () {
    if (!state.token) return disconnect();
    loadHistory().catch(function () {});
  }, POLL_MS);
}

function disconnect() {
  if (state.source) state.source.close();
  state.source = null;
  if (state.pollTimer) window.clearInterval(state.pollTimer);
  state.pollTimer = null;
}

function newMessageId() {
  if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
  var bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.prototype.map
    .call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    })
    .join("");
}

function postMessage(id, text, retried) {
  return call("POST", "/messages", {
    id: id,
    text: text,
    name: state.name || null,
    email: state.email || null,
    page: String(window.location.href).slice(0, 2000),
  }).then(function (response) {
    if (response.status === 401 && !retried) {
      forgetSession();
      return ensureSession().then(function () {
        return postMessage(id, text, true);
      });
    }
    if (response.status === 429) {
      var wait = response.headers.get("Retry-After") || "a few";
      throw new Error("You are sending messages quickly: please wait " + wait + " seconds.");
    }
    if (!response.ok) {
      return problemText(response, "Your message could not be sent.").then(function (t) {
        throw new Error(t);
      });
    }
    return response.json();
  });
}

// ------------------------------------------------------------------ interaction

function openPanel() {
  state.open = true;
  panel.hidden = false;
  launcher.setAttribute("aria-expanded", "true");
  if (!(reducedMotion && reducedMotion.matches)) {
    panel.classList.add("sd-entering");
    window.requestAnimationFrame(function () {
      panel.classList.remove("sd-entering");
    });
  }
  setUnread(0);
  updateAbout();
  (about.hidden ? textarea : nameInput.value ? textarea : nameInput).focus();
  refreshStatus();
  if (state.token && !state.historyLoaded) loadHistory().then(connect).catch(function () {});
  scheduleAck();
}

function closePanel() {
  state.open = false;
  panel.hidden = true;
  launcher.setAttribute("aria-expanded", "false");
  launcher.focus();
}

launcher.addEventListener("click", function () {
  if (state.open) closePanel();
  else openPanel();
});
closeButton.addEventListener("click", closePanel);
panel.addEventListener("keydown", function (event) {
  if (event.key === "Escape") {
    event.preventDefault();
    closePanel();
  }
});
textarea.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    if (form.requestSubmit) form.requestSubmit();
    else form.dispatchEvent(new Event("submit", { cancelable: true }));
  }
});
document.addEventListener("visibilitychange", function () {
  if (state.open) scheduleAck();
});

form.addEventListener("submit", function (event) {
  event.preventDefault();
  var text = textarea.value.trim();
  if (!text) {
    textarea.focus();
    return;
  }
  if (!about.hidden) {
    var email = emailInput.value.trim();
    if (email && !emailInput.checkValidity()) {
      showError("Please check your email address.");
      emailInput.focus();
      return;
    }
    if (state.online === false && !email) {
      showError("Please leave your email address so that we can answer you.");
      emailInput.focus();
      return;
    }
    state.name = nameInput.value.trim();
    state.email = email;
  }
  showError("");
  var pending = bubble("in", text, true);
  textarea.value = "";
  sendButton.disabled = true;
  var id = newMessageId();
  ensureSession()
    .then(function () {
      return postMessage(id, text, false);
    })
    .then(function (accepted) {
      pending.classList.remove("sd-pending");
      state.seen[accepted.message.id] = true;
      if (accepted.message.id > state.lastId && !state.source) state.lastId = accepted.message.id;
      persist();
      setOnline(!accepted.offline);
      if (accepted.offline && accepted.email_followup) {
        notice.textContent =
          "Thank you. We will answer you by email at " + state.email + " as soon as we can.";
        notice.hidden = false;
      }
      connect();
    })
    .catch(function (error) {
      pending.remove();
      textarea.value = text;
      showError(error && error.message ? error.message : "Your message could not be sent.");
      textarea.focus();
    })
    .then(function () {
      sendButton.disabled = false;
    });
});

// ------------------------------------------------------------------ start

function start() {
  document.body.appendChild(host);
  restore();
  nameInput.value = state.name;
  emailInput.value = state.email;
  updateAbout();
  if (state.token) loadHistory().then(connect).catch(function () {});
}

if (document.body) start();
else document.addEventListener("DOMContentLoaded", start);
