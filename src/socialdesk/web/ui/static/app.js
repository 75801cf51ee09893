// socialdesk: keyboard shortcuts, live-connection indicator and error toasts.
// Server-rendered pages with htmx; this file only adds what HTML cannot say.
(function () {
  "use strict";

  function toast(message, kind) {
    var box = document.getElementById("toast");
    if (!box) return;
    var item = document.createElement("div");
    item.className = "toast" + (kind ? " " + kind : "");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 5000);
  }
  window.socialdesk = { toast: toast };

  // A refused action (personal-data guard 422, reply conflict 409, …) answers with the whole
  // conversation pane explaining why: swap it in like a success, not as a bare error toast.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 &&
        xhr.responseText.slice(0, 300).indexOf('id="conversation-pane"') !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // htmx swaps 2xx by default; show the problem detail of 4xx/5xx answers instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr, detail = "";
    try { detail = JSON.parse(xhr.responseText).detail || ""; } catch (e) { detail = ""; }
    if (!detail && xhr.status === 403) detail = "You are not allowed to do that.";
    toast(detail || ("Request failed (" + xhr.status + ")"), "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("Cannot reach socialdesk: check your connection.", "error");
  });
  // htmx's "throttle" ignores the events that arrive during its pause, so the last change of a
  // burst (a second new conversation, a quick follow-up message) would never be shown. When a
  // live event was ignored, refresh once more after the pause.
  var fired = new WeakSet(), catchUp = new WeakMap();
  document.addEventListener("htmx:trigger", function (event) { fired.add(event.target); });
  document.addEventListener("htmx:sseMessage", function (event) {
    var elt = event.target, name = event.detail && event.detail.type;
    var pause = /throttle:(\d+)(ms|s)\b/.exec(elt.getAttribute("hx-trigger") || "");
    if (fired.delete(elt) || !pause || !name) return;  // it went through, or nothing throttles it
    clearTimeout(catchUp.get(elt));
    catchUp.set(elt, setTimeout(function () {
      if (!document.body.contains(elt)) return;
      htmx.trigger(elt, "sse:" + name, event.detail);
      fired.delete(elt);
    }, +pause[1] * (pause[2] === "s" ? 1000 : 1)));
  });
  document.addEventListener("htmx:sseOpen", function () {
    var live = document.getElementById("live");
    if (live) { live.classList.add("on"); live.textContent = "live"; }
  });
  document.addEventListener("htmx:sseError", function () {
    var live = document.getElementById("live");
    if (live) { live.classList.remove("on"); live.textContent = "reconnecting…"; }
  });

  // Composer: the audience line, the live length counter, canned answers and "Move to DM".
  function composer() { return document.getElementById("composer"); }
  function currentMode(form) {
    var checked = form.querySelector("input[name=mode]:checked");
    return checked ? checked.value : "";
  }
  // SMS segments as domain/phone.py counts them (the server gives its GSM alphabet): 160 GSM-7
  // characters (extension characters take two) or 70 UCS-2 units in one segment, 153 or 67
  // per segment once split, a character never split across two.
  function smsSegments(text, basic, extended) {
    var chars = Array.from(text), units = [], gsm = true, i;
    for (i = 0; i < chars.length; i++) {
      if (basic.indexOf(chars[i]) !== -1) units.push(1);
      else if (extended.indexOf(chars[i]) !== -1) units.push(2);
      else { gsm = false; break; }
    }
    if (!gsm) units = chars.map(function (c) { return c.codePointAt(0) > 0xFFFF ? 2 : 1; });
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67, total = 0;
    units.forEach(function (u) { total += u; });
    var result = { encoding: gsm ? "GSM-7" : "UCS-2", segments: total ? 1 : 0 };
    if (total <= single) return result;
    var used = 0;
    units.forEach(function (u) { if (used + u > multi) { result.segments += 1; used = 0; } used += u; });
    return result;
  }
  window.socialdesk.smsSegments = smsSegments;
  function refreshComposer() {
    var form = composer();
    if (!form) return;
    var mode = currentMode(form), area = form.querySelector("textarea"), audience = document.getElementById("audience");
    var counter = document.getElementById("counter"), send = document.getElementById("send");
    if (audience) {
      audience.className = "audience " + (mode || "none");
      audience.textContent = (mode && audience.getAttribute("data-" + mode)) || audience.getAttribute("data-choose") || "";
    }
    if (area) area.className = mode;
    var limit = mode === "public" ? +form.dataset.limitPublic : mode === "private" ? +form.dataset.limitPrivate : 0;
    var length = area ? Array.from(area.value).length : 0;
    if (counter) {
      var shown = limit ? (length + " / " + limit) : (length ? length + " characters" : "");
      if (form.dataset.counter === "sms" && mode === "private" && length) {
        var sms = smsSegments(area.value, form.dataset.gsmBasic || "", form.dataset.gsmExtended || "");
        shown += " · " + sms.segments + " SMS segment" + (sms.segments === 1 ? "" : "s") + " (" + sms.encoding + ")";
      }
      counter.textContent = shown;
      counter.classList.toggle("over", !!limit && length > limit);
    }
    if (send) {
      send.disabled = !mode || !length || (!!limit && length > limit);
      send.textContent = mode === "public" ? "Send public reply" : mode === "private" ? "Send private message" : mode === "note" ? "Add note" : "Send";
      send.className = "btn " + (mode === "public" ? "btn-public" : mode === "private" ? "btn-private" : "btn-primary");
    }
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches(".composer input[name=mode]")) refreshComposer();
    if (target.matches && target.matches("select[data-canned]") && target.value) {
      var area = composer().querySelector("textarea");
      area.value = (area.value ? area.value + "\n" : "") + target.value;
      target.value = "";
      area.focus();
      refreshComposer();
    }
  });
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(".composer textarea")) refreshComposer();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-move-to-dm]");
    if (!button) return;
    var form = composer(), area = form.querySelector("textarea");
    var radio = form.querySelector("input[name=mode][value=public]");
    if (radio && !radio.disabled) radio.checked = true;
    area.value = (area.value ? area.value.replace(/\s+$/, "") + " " : "") + "Please send us a private message so we can look into it: " + button.getAttribute("data-move-to-dm");
    area.focus();
    refreshComposer();
  });
  function markSelectedRow() {
    var pane = document.getElementById("conversation-pane");
    var id = pane && pane.getAttribute("data-conversation");
    rows().forEach(function (row) { row.classList.toggle("selected", !!id && row.getAttribute("data-id") === id); });
  }
  // A conversation reads from its latest message: open the timeline at its end, and keep it
  // there when a live update re-renders it (unless the agent had scrolled up to read).
  var timelineAt = null;  // null: at the end; else the scroll position to keep
  function timelineEnd() {
    var timeline = document.getElementById("timeline");
    if (timeline) timeline.scrollTop = timelineAt === null ? timeline.scrollHeight : timelineAt;
    timelineAt = null;
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var timeline = document.getElementById("timeline");
    if (timeline && event.detail.target === timeline) {
      var fromEnd = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight;
      timelineAt = fromEnd < 80 ? null : timeline.scrollTop;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    refreshComposer(); markSelectedRow();
    var id = event.target && event.target.id;
    if (id === "timeline" || id === "conversation-pane") timelineEnd();
  });
  document.addEventListener("DOMContentLoaded", function () { refreshComposer(); markSelectedRow(); timelineEnd(); });

  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".conv-row")); }
  function selectedIndex(list) {
    for (var i = 0; i < list.length; i++) if (list[i].classList.contains("selected")) return i;
    return -1;
  }
  function select(list, index) {
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (row) { row.classList.remove("selected"); row.removeAttribute("aria-current"); });
    list[index].classList.add("selected");
    list[index].setAttribute("aria-current", "true");
    list[index].scrollIntoView({ block: "nearest" });
    var link = list[index].querySelector("a");
    if (link) link.focus({ preventScroll: true });
  }
  function clickIfPresent(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }
  function chooseMode(mode) {
    var radio = document.querySelector('.composer input[name=mode][value=' + mode + ']');
    if (!radio) return;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    var area = document.querySelector(".composer textarea");
    if (area) area.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var list = rows(), index = selectedIndex(list);
    switch (event.key) {
      case "j": select(list, index + 1); break;
      case "k": select(list, index < 0 ? 0 : index - 1); break;
      case "Enter":
        if (index >= 0) { var link = list[index].querySelector("a"); if (link) link.click(); }
        else return;
        break;
      case "r": chooseMode("public"); break;
      case "p": chooseMode("private"); break;
      case "n": chooseMode("note"); break;
      case "e": if (!clickIfPresent("[data-shortcut=resolve]")) return; break;
      case "a": if (!clickIfPresent("[data-shortcut=assign-me]")) return; break;
      case "/": var search = document.getElementById("search"); if (search) search.focus(); break;
      case "?": var dialog = document.getElementById("shortcuts"); if (dialog && dialog.showModal) dialog.showModal(); break;
      default: return;
    }
    event.preventDefault();
  });
})();
