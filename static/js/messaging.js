// CareHub messaging: live delivery over one WebSocket per tab.
// The pages work without this file (plain forms, reloads); the server is the
// source of truth: on every (re)connection the client asks for what it missed
// after the last message number (seq) it saw, and messages are placed by server id.
// A message whose broadcast was lost comes later from the server's repair (a "repaired" frame).
(function () {
  "use strict";
  if (window.CareHubMessaging) { return; }
  window.CareHubMessaging = true;
  if (!("WebSocket" in window)) { return; }

  var page = document.querySelector("[data-messaging-page]");
  var badge = document.querySelector("[data-messaging-badge]");
  if (!page && !badge) { return; }

  var wsPath = (page && page.dataset.wsPath) || "/ws/messages/";
  var conversation = page && page.dataset.conversation;
  var userId = page ? parseInt(page.dataset.userId || "0", 10) : 0;
  var lastId = page ? parseInt(page.dataset.lastId || "0", 10) : 0;
  var lastSeq = page ? parseInt(page.dataset.lastSeq || "0", 10) : 0;
  var list = document.querySelector("[data-message-list]");
  // Only a conversation's composer sends over the socket (a first message is a plain form POST).
  var composer = conversation ? document.querySelector("[data-composer]") : null;
  var statusEl = document.querySelector("[data-live-status]");
  var unread = {};
  var counted = {}; // conversation → highest message id already in its unread count
  var banners = {}; // message id → shown
  var socket = null;
  var retry = 0;
  var heartbeatTimer = null;
  var pending = null; // {token, timer}
  var lastActivity = Date.now();
  var removed = false;
  var unavailable = ""; // the server's "live messaging unavailable" text, shown until the next hello

  function text(name) {
    var el = page && page.querySelector("[data-text-" + name + "]");
    return el ? el.textContent.trim() : "";
  }
  function setStatus(message) { if (statusEl) { statusEl.textContent = message; } }

  function uuid4() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // --- unread badges -----------------------------------------------------------------------
  function renderBadges() {
    var total = 0;
    Object.keys(unread).forEach(function (key) { total += unread[key] || 0; });
    if (badge) {
      badge.textContent = String(total);
      badge.hidden = total === 0;
    }
    document.querySelectorAll("[data-conversation] [data-unread-count]").forEach(function (el) {
      var item = el.closest("[data-conversation]");
      var n = unread[item.dataset.conversation] || 0;
      el.textContent = String(n);
      el.hidden = n === 0;
      item.classList.toggle("is-new", n > 0);
    });
  }

  // --- rendering --------------------------------------------------------------------------
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
  function appendLinkified(parent, body) {
    body.split("\n").forEach(function (line, index) {
      if (index > 0) { parent.appendChild(document.createElement("br")); }
      var last = 0;
      line.replace(URL_RE, function (match, offset) {
        var url = match.replace(/[.,;:!?)\]}»]+$/, "");
        parent.appendChild(document.createTextNode(line.slice(last, offset)));
        var a = document.createElement("a");
        a.href = url; // only http(s) matches reach here
        a.rel = "noopener noreferrer nofollow";
        a.target = "_blank";
        a.textContent = url;
        parent.appendChild(a);
        last = offset + url.length;
        return match;
      });
      parent.appendChild(document.createTextNode(line.slice(last)));
    });
  }

  function slot(el, name) { return el.querySelector('[data-slot="' + name + '"]'); }

  function fillBody(el, message) {
    var body = slot(el, "body");
    body.textContent = "";
    if (message.deleted) {
      var em = document.createElement("em");
      em.textContent = text("deleted");
      body.appendChild(em);
      el.classList.add("message-item--deleted");
      var own = slot(el, "own");
      if (own) { own.hidden = true; }
    } else {
      appendLinkified(body, message.body);
    }
    var edited = slot(el, "edited");
    if (edited) { edited.hidden = !message.edited || message.deleted; }
  }

  function fillAttachments(el, message) {
    var box = slot(el, "attachments");
    if (!box) { return; }
    box.textContent = "";
    var files = message.deleted ? [] : (message.attachments || []);
    files.forEach(function (file) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = file.url;
      link.setAttribute("download", "");
      link.textContent = file.name;
      var size = document.createElement("span");
      size.className = "muted";
      size.textContent = " (" + file.size_label + ")";
      li.appendChild(link);
      li.appendChild(size);
      box.appendChild(li);
    });
    box.hidden = files.length === 0;
  }

  function buildMessage(message) {
    var template = document.getElementById("message-template");
    var el = template.content.firstElementChild.cloneNode(true);
    el.id = "m-" + message.id;
    el.dataset.messageId = message.id;
    el.dataset.publicId = message.public_id;
    el.dataset.senderId = message.sender.id;
    slot(el, "sender").textContent = message.sender.name;
    var time = slot(el, "time");
    time.dateTime = message.created_at;
    // Written by the server in the conversation's zone, as the page writes it: never the browser's zone.
    time.textContent = message.time || "";
    if (message.urgent) {
      el.classList.add("priority--urgent");
      slot(el, "urgent").hidden = false;
      if (!message.deleted) {
        slot(el, "acks").hidden = false;
        if (message.acks.length) { slot(el, "ack-names").textContent = message.acks.join(", "); }
        if (message.sender.id !== userId) {
          var form = el.querySelector("[data-ack-form]");
          form.action = page.dataset.ackUrlTemplate.replace("00000000-0000-0000-0000-000000000000", message.public_id);
          form.hidden = false;
        }
      }
    }
    if (message.duty_role) {
      slot(el, "role").hidden = false;
      slot(el, "role-label").textContent = message.duty_role;
      slot(el, "reached").textContent = message.reached.join(", ");
    }
    if (message.sender.id === userId && !message.deleted) { slot(el, "own").hidden = false; }
    fillBody(el, message);
    fillAttachments(el, message);
    return el;
  }

  function insertMessage(message) {
    if (!list || document.getElementById("m-" + message.id)) { return; }
    var empty = list.querySelector("[data-empty]");
    if (empty) { empty.remove(); }
    var el = buildMessage(message);
    // Ordered by server id, whatever the arrival order.
    var after = null;
    var items = list.querySelectorAll("[data-message-id]");
    for (var i = items.length - 1; i >= 0; i--) {
      if (parseInt(items[i].dataset.messageId, 10) < message.id) { after = items[i]; break; }
    }
    if (after) { after.after(el); } else { list.prepend(el); }
    bindAck(el.querySelector("[data-ack-form]"));
    lastId = Math.max(lastId, message.id);
    lastSeq = Math.max(lastSeq, message.seq || 0);
    updateSeen();
  }

  function members() {
    return Array.prototype.map.call(document.querySelectorAll("[data-member]"), function (li) {
      return { id: parseInt(li.dataset.member, 10), lastRead: parseInt(li.dataset.lastRead || "0", 10), name: li.dataset.name, el: li };
    });
  }

  function updateSeen() {
    if (!list) { return; }
    var all = members();
    var others = all.filter(function (m) { return m.id !== userId; });
    var namesUpTo = parseInt(page.dataset.seenNamesUpTo || "10", 10);
    list.querySelectorAll("[data-message-id]").forEach(function (el) {
      if (parseInt(el.dataset.senderId, 10) !== userId) { return; }
      var seen = slot(el, "seen");
      if (!seen) { return; }
      var id = parseInt(el.dataset.messageId, 10);
      var readers = others.filter(function (m) { return m.lastRead >= id; });
      if (all.length <= namesUpTo) {
        seen.textContent = readers.length
          ? text("seen-by") + " " + readers.map(function (m) { return m.name; }).join(", ")
          : text("not-seen");
      } else {
        seen.textContent = text("seen-of").replace("{count}", readers.length).replace("{total}", others.length);
      }
    });
  }

  // --- the conversation list, urgent banner, presence ----------------------------------------
  var conversationList = document.querySelector("[data-conversation-list]");

  function listItem(id) {
    return conversationList ? conversationList.querySelector('[data-conversation="' + id + '"]') : null;
  }

  function setUrgent(id, change, absolute) {
    var item = listItem(id);
    if (!item) { return; }
    var n = absolute !== undefined ? absolute : Math.max(0, parseInt(item.dataset.urgent || "0", 10) + change);
    item.dataset.urgent = String(n);
    item.classList.toggle("is-urgent", n > 0);
    var mark = item.querySelector("[data-urgent-mark]");
    if (mark) { mark.hidden = n === 0; }
  }

  function listConversation(frame) {
    var template = document.getElementById("conversation-item-template");
    if (!conversationList || !template) { return; }
    var item = listItem(frame.conversation);
    if (!item) {
      item = template.content.firstElementChild.cloneNode(true);
      item.dataset.conversation = frame.conversation;
      item.querySelector("a").href = frame.url;
      slot(item, "title").textContent = frame.title;
      slot(item, "kind").textContent = frame.kind;
      conversationList.prepend(item);
      var none = document.querySelector("[data-no-conversation]");
      if (none) { none.hidden = true; }
    }
    setUrgent(frame.conversation, 0, frame.urgent || 0);
  }

  function showBanner(id, title, message, url) {
    var box = document.querySelector("[data-urgent-banner]");
    var template = document.getElementById("urgent-banner-template");
    if (!box || !template || banners[message.id]) { return; }
    banners[message.id] = true;
    var item = listItem(id);
    if (!title && item) { title = item.querySelector(".conversation-list__title").textContent.trim(); }
    var who = title
      ? text("urgent-from").replace("{name}", message.sender.name).replace("{title}", title)
      : text("urgent-from-short").replace("{name}", message.sender.name);
    var el = template.content.firstElementChild.cloneNode(true);
    var body = message.body.length > 160 ? message.body.slice(0, 157) + "…" : message.body;
    slot(el, "banner-text").textContent = who + " " + body;
    slot(el, "banner-link").href = url || box.dataset.urlTemplate.replace("00000000-0000-0000-0000-000000000000", id);
    slot(box, "banner-list").prepend(el);
    box.hidden = false;
  }

  function showPresence(user, value) {
    document.querySelectorAll('[data-presence-user="' + user + '"]').forEach(function (dot) {
      dot.classList.remove("presence--online", "presence--away", "presence--offline");
      dot.classList.add("presence--" + value);
      var label = dot.querySelector("[data-presence-label]");
      if (label) { label.textContent = text("presence-" + value); }
    });
  }

  // --- socket -----------------------------------------------------------------------------
  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  // Only what is on screen counts as seen: the conversation is displayed and the tab visible.
  function markRead() {
    if (conversation && !removed && document.visibilityState === "visible" && lastId) {
      send({ type: "read", conversation: conversation, last_id: lastId });
      unread[conversation] = 0;
      renderBadges();
    }
  }

  function state() {
    return document.hidden || Date.now() - lastActivity > 5 * 60 * 1000 ? "away" : "online";
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + wsPath);
    socket.onopen = function () { retry = 0; };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function (event) {
      clearInterval(heartbeatTimer);
      setStatus(unavailable || text("offline"));
      // A send the socket did not answer goes by the plain form now (same client token: stored once).
      if (pending) { clearTimeout(pending.timer); postOverHttp(composerParts()); }
      if (event.code === 4401 || event.code === 4403 || event.code === 4408) {
        // Signed out, second factor missing or session over: the page reload shows why.
        if (page) { setTimeout(function () { window.location.reload(); }, 2000); }
        return;
      }
      retry = Math.min(retry + 1, 6);
      var delay = Math.min(30000, 1000 * Math.pow(2, retry - 1)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  function handle(frame) {
    switch (frame.type) {
      case "hello":
        unavailable = "";
        unread = frame.unread || {};
        renderBadges();
        setStatus(text("live"));
        clearInterval(heartbeatTimer);
        heartbeatTimer = setInterval(function () { send({ type: "heartbeat", state: state() }); }, (frame.heartbeat || 25) * 1000);
        if (conversation && !removed) { send({ type: "sync", conversation: conversation, after_seq: lastSeq }); }
        break;
      case "message":
        var message = frame.message;
        if (message.conversation === conversation) {
          insertMessage(message);
          if (!frame.replay && message.sender.id !== userId) {
            if (document.visibilityState === "visible") { markRead(); }
            else { unread[conversation] = (unread[conversation] || 0) + 1; renderBadges(); }
          }
        } else if (!frame.replay && message.sender.id !== userId && message.id > (counted[message.conversation] || 0)) {
          counted[message.conversation] = message.id;
          unread[message.conversation] = (unread[message.conversation] || 0) + 1;
          var moved = listItem(message.conversation);
          if (moved) { conversationList.prepend(moved); } // latest activity first, as the server lists them
          if (message.urgent && !message.deleted) {
            setUrgent(message.conversation, 1);
            showBanner(message.conversation, null, message);
          }
          renderBadges();
        }
        break;
      case "joined":
        counted[frame.conversation] = Math.max(counted[frame.conversation] || 0, frame.last_id || 0);
        unread[frame.conversation] = frame.unread || 0;
        listConversation(frame);
        if (frame.urgent_message && frame.conversation !== conversation) {
          showBanner(frame.conversation, frame.title, frame.urgent_message, frame.url);
        }
        renderBadges();
        break;
      case "presence":
        showPresence(frame.user, frame.state);
        break;
      case "synced":
        if (frame.conversation === conversation) {
          if (!frame.complete) { window.location.reload(); return; }
          markRead();
        }
        break;
      case "updated":
        var existing = document.getElementById("m-" + frame.message.id);
        if (existing) { fillBody(existing, frame.message); fillAttachments(existing, frame.message); }
        break;
      case "read":
        if (frame.conversation === conversation) {
          members().forEach(function (m) {
            if (m.id === frame.user && frame.last_read > m.lastRead) { m.el.dataset.lastRead = frame.last_read; }
          });
          updateSeen();
        }
        break;
      case "unread":
        unread[frame.conversation] = frame.count;
        renderBadges();
        break;
      case "ack":
        var target = document.getElementById("m-" + frame.message);
        if (target) {
          var names = slot(target, "ack-names");
          if (names) {
            var current = target.dataset.ackers ? target.dataset.ackers.split("\u0000") : [];
            if (current.indexOf(frame.name) === -1) { current.push(frame.name); }
            target.dataset.ackers = current.join("\u0000");
            names.textContent = current.join(", ");
          }
          if (frame.user === userId) {
            var form = target.querySelector("[data-ack-form]");
            if (form) { form.hidden = true; }
          }
        }
        if (frame.user === userId) { setUrgent(frame.conversation, -1); }
        break;
      case "removed":
        if (frame.conversation === conversation) {
          removed = true;
          setStatus(text("removed"));
          if (composer) { composer.hidden = true; }
        }
        delete unread[frame.conversation];
        renderBadges();
        break;
      case "sent":
        if (pending && frame.client_token === pending.token) { sentOk(); }
        break;
      case "error":
        // "live_unavailable": Redis is down, the server closes next (4503) and this page retries later;
        // "retry": the database was briefly gone, nothing was saved, the draft stays in the box.
        if (frame.code === "live_unavailable") { unavailable = frame.message; }
        if (pending && frame.client_token === pending.token) { sentFailed(frame.message); }
        else { setStatus(frame.message); }
        if (frame.code === "retry" && !pending && frame.conversation === conversation) {
          setTimeout(function () { send({ type: "sync", conversation: conversation, after_seq: lastSeq }); }, (frame.retry_after || 10) * 1000);
        }
        break;
    }
  }

  // --- composer ---------------------------------------------------------------------------
  function composerParts() {
    return {
      body: composer.querySelector("textarea"),
      urgent: composer.querySelector('input[type="checkbox"]'),
      files: composer.querySelector('input[type="file"]'),
      token: composer.querySelector('input[name="client_token"]'),
      button: composer.querySelector('button[type="submit"]'),
      error: composer.querySelector("[data-composer-error]")
    };
  }

  function sentOk() {
    var parts = composerParts();
    clearTimeout(pending.timer);
    pending = null;
    parts.body.value = "";
    if (parts.urgent) { parts.urgent.checked = false; }
    parts.token.value = uuid4();
    parts.button.disabled = false;
    parts.error.hidden = true;
    parts.body.focus();
  }

  function sentFailed(message) {
    var parts = composerParts();
    clearTimeout(pending.timer);
    pending = null;
    parts.button.disabled = false;
    parts.error.textContent = message; // the text stays in the box: nothing is lost
    parts.error.hidden = false;
  }

  function postOverHttp(parts) {
    // Same client token: if the socket send did land, the server stores it once.
    var data = new FormData(composer);
    fetch(page.dataset.postUrl, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json().then(function (json) { return { ok: response.ok, json: json }; }); })
      .then(function (result) {
        if (!pending) { return; }
        if (result.ok) { sentOk(); } else { sentFailed((result.json.errors || []).join(" ")); }
      })
      .catch(function () { if (pending) { sentFailed(text("offline")); } });
  }

  if (composer) {
    composer.addEventListener("submit", function (event) {
      var parts = composerParts();
      // Files go with the plain form (multipart POST, checked by the documents app's rules).
      if (parts.files && parts.files.files.length) { return; }
      if (!parts.body.value.trim()) { return; }
      event.preventDefault();
      if (pending) { return; } // a double click sends once
      var token = parts.token.value;
      parts.button.disabled = true;
      pending = { token: token, timer: null };
      var frame = { type: "send", conversation: conversation, body: parts.body.value, client_token: token, urgent: !!(parts.urgent && parts.urgent.checked) };
      if (send(frame)) {
        pending.timer = setTimeout(function () { postOverHttp(parts); }, 8000);
      } else {
        postOverHttp(parts);
      }
    });
    composer.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { composer.requestSubmit(); }
    });
  }

  function bindAck(form) {
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      var item = form.closest("[data-public-id]");
      if (item && send({ type: "ack", message: item.dataset.publicId })) {
        event.preventDefault();
        form.hidden = true;
      }
    });
  }
  document.querySelectorAll("[data-ack-form]").forEach(bindAck);

  ["keydown", "pointerdown", "scroll"].forEach(function (name) {
    document.addEventListener(name, function () { lastActivity = Date.now(); }, { passive: true });
  });
  document.addEventListener("visibilitychange", function () {
    send({ type: "heartbeat", state: state() });
    markRead();
  });

  connect();
})();
