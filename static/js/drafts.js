// Drafts that survive a lost connection. Every page works without this file.
//
// A form marked data-draft="<kind>" is kept in this browser as it is typed (localStorage, one
// entry per signed-in person: body[data-user]), restored after a reload, and, when it is sent
// without a connection, queued ("waiting to be sent") and posted again with fetch once the
// connection returns: the same fields, the same client token, so the server stores it once.
// Signing out clears every draft of the browser; a page for someone else clears the drafts of
// anyone else found here. The words shown come from the page (body[data-draft-*]), translated.
(function () {
  "use strict";

  var PREFIX = "carehub.drafts.";
  // Who the offline page (rendered for nobody) may list drafts for, and until when: the end of
  // their idle timeout, after which the server has signed them out anyway.
  var SESSION_KEY = "carehub.drafts-session";
  var LANGUAGE_KEY = "carehub.offline-language";
  var SKIPPED_TYPES = ["file", "submit", "button", "reset", "image", "password"];
  var TEXT_TYPES = ["text", "search", "email", "number", "tel", "url", "date", "time"];
  // A page reached after a post says it was saved: coordination's saved_redirect adds ?saved=,
  // messaging's conversation view lands on #m-<id>. Only then is a form sent without fetch
  // forgotten here: a draft kept too long costs a tap on "discard", a draft lost costs a note.
  var SAVED = {
    note: function () { return new URLSearchParams(window.location.search).has("saved"); },
    message: function () { return /^#m-\d+$/.test(window.location.hash); }
  };
  var SENDING_FOR_MS = 5 * 60 * 1000;
  var RETRY_EVERY_MS = 30 * 1000;

  var store;
  try { store = window.localStorage; store.getItem(PREFIX); } catch (error) { return; }

  var body = document.body;
  var user = body.dataset.user || "";
  var offlinePage = document.querySelector("[data-drafts-offline]");

  function text(name) {
    return (offlinePage || body).getAttribute("data-draft-" + name) || "";
  }

  function uuid4() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // --- storage ---------------------------------------------------------------------------------
  function load(owner) {
    var box = null;
    try { box = JSON.parse(store.getItem(PREFIX + owner)); } catch (error) { box = null; }
    if (!box || typeof box !== "object") { box = {}; }
    box.drafts = box.drafts || {};
    box.outbox = box.outbox || [];
    return box;
  }

  function save(owner, box) {
    if (!Object.keys(box.drafts).length && !box.outbox.length) {
      store.removeItem(PREFIX + owner);
    } else {
      store.setItem(PREFIX + owner, JSON.stringify(box));
    }
  }

  function draftOwners() {
    var owners = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) { owners.push(key.slice(PREFIX.length)); }
    }
    return owners;
  }

  function forgetEveryone() {
    draftOwners().forEach(function (owner) { store.removeItem(PREFIX + owner); });
    store.removeItem(SESSION_KEY);
  }

  // --- forms -----------------------------------------------------------------------------------
  // Form properties are read with getAttribute: the note form has fields named "action" and
  // "target", which shadow form.action and form.target.
  function actionOf(form) {
    var url = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    url.hash = "";
    return url.href;
  }

  function baseKeyOf(form) {
    var url = new URL(actionOf(form));
    return form.getAttribute("data-draft") + " " + url.pathname + url.search;
  }

  // A form for a chosen subject (data-draft-subject="resident": the handover's note form) keeps
  // one draft per subject: opened for Mme B, it never shows the words written for M. A.
  function subjectOf(form) {
    var name = form.getAttribute("data-draft-subject");
    var field = name ? form.elements.namedItem(name) : null;
    return field && field.value ? field.value : "";
  }

  function keyOf(form) {
    var subject = subjectOf(form);
    return baseKeyOf(form) + (subject ? " " + subject : "");
  }

  // The draft a form shows: its subject's, or, when it has none chosen, the last one written in it.
  function draftFor(form, box) {
    var draft = box.drafts[keyOf(form)];
    if (draft || subjectOf(form) || !form.getAttribute("data-draft-subject")) { return draft; }
    var base = baseKeyOf(form);
    return Object.keys(box.drafts).map(function (key) { return box.drafts[key]; })
      .filter(function (other) { return other.base === base; })
      .sort(function (a, b) { return b.at - a.at; })[0];
  }

  function draftForm(node) {
    var form = node && node.closest ? node.closest("form[data-draft]") : null;
    return form && form.getAttribute("method") && form.getAttribute("method").toLowerCase() === "post" ? form : null;
  }

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !el.disabled && el.name !== "csrfmiddlewaretoken" && SKIPPED_TYPES.indexOf(el.type) === -1;
    });
  }

  function entriesOf(form) {
    var entries = [];
    fieldsOf(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { entries.push([el.name, el.value]); }
      } else if (el.type === "select-multiple") {
        Array.prototype.forEach.call(el.options, function (o) { if (o.selected) { entries.push([el.name, o.value]); } });
      } else {
        entries.push([el.name, el.value]);
      }
    });
    return entries;
  }

  function tokenOf(form) {
    var input = form.querySelector('input[name="client_token"]');
    return input ? input.value : "";
  }

  function hasWords(form) {
    return fieldsOf(form).some(function (el) {
      return (el.tagName === "TEXTAREA" || TEXT_TYPES.indexOf(el.type) !== -1) && el.value.trim() !== "";
    });
  }

  function summaryOf(form) {
    var words = fieldsOf(form).filter(function (el) { return el.tagName === "TEXTAREA" && el.value.trim(); })
      .map(function (el) { return el.value.trim(); }).join(" — ");
    return words.length > 160 ? words.slice(0, 159) + "…" : words;
  }

  function snapshot(form) {
    return {
      kind: form.getAttribute("data-draft"),
      key: keyOf(form),
      base: baseKeyOf(form),
      action: actionOf(form),
      entries: entriesOf(form),
      token: tokenOf(form),
      summary: summaryOf(form),
      title: document.title.trim(),
      url: window.location.href.split("#")[0],
      at: Date.now()
    };
  }

  function restore(form, entries) {
    var left = entries.slice();
    function take(name, value) {
      for (var i = 0; i < left.length; i++) {
        if (left[i][0] === name && (value === undefined || left[i][1] === value)) { return left.splice(i, 1)[0]; }
      }
      return null;
    }
    fieldsOf(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = take(el.name, el.value) !== null;
      } else if (el.type === "select-multiple") {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = take(el.name, o.value) !== null; });
      } else {
        var entry = take(el.name);
        if (entry) { el.value = entry[1]; }
      }
    });
    for (var node = form.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  }

  var signingOut = false;

  function saveDraft(form, extra) {
    if (!user || signingOut) { return; }
    var box = load(user);
    var key = keyOf(form);
    var token = tokenOf(form);
    // The subject changed in this very form (same token): its draft moves with it.
    Object.keys(box.drafts).forEach(function (other) {
      if (other !== key && box.drafts[other].base === baseKeyOf(form) && token && box.drafts[other].token === token) {
        delete box.drafts[other];
      }
    });
    if (!hasWords(form)) {
      delete box.drafts[key];
    } else {
      box.drafts[key] = Object.assign(snapshot(form), extra || {});
    }
    save(user, box);
    touchSession();
  }

  function discardDraft(form) {
    var box = load(user);
    delete box.drafts[keyOf(form)];
    save(user, box);
  }

  // --- what the person sees ----------------------------------------------------------------------
  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content) { node.textContent = content; }
    return node;
  }

  function itemLine(item, withPlace) {
    var status = item.status === "failed" ? "failed" : item.status === "sent" ? "sent" : "pending";
    var kind = status === "failed" ? "message--error" : status === "sent" ? "message--success" : "message--warning";
    var line = element("li", "message " + kind);
    line.setAttribute("data-draft-item", status);
    line.appendChild(element("strong", "", text(status)));
    if (withPlace && item.title) {
      line.appendChild(document.createTextNode(" · "));
      var link = element("a", "", item.title);
      link.href = item.url;
      line.appendChild(link);
    }
    if (item.summary) { line.appendChild(document.createTextNode(" — " + item.summary)); }
    return line;
  }

  function regionOf(form) {
    var region = form.querySelector("[data-drafts-status]");
    if (!region) {
      region = element("div", "drafts-status");
      region.setAttribute("data-drafts-status", "");
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      form.insertBefore(region, form.firstChild);
    }
    return region;
  }

  var justSent = {};

  function renderForm(form, restored) {
    var base = baseKeyOf(form);
    var box = user ? load(user) : { drafts: {}, outbox: [] };
    var region = regionOf(form);
    region.textContent = "";
    var list = element("ul", "messages");
    box.outbox.filter(function (item) { return (item.base || item.key) === base; }).forEach(function (item) {
      list.appendChild(itemLine(item, false));
    });
    (justSent[base] || []).forEach(function (item) { list.appendChild(itemLine(item, false)); });
    var draft = box.drafts[keyOf(form)];
    if (draft && draft.status === "failed") { list.appendChild(itemLine(draft, false)); }
    if (list.children.length) { region.appendChild(list); }
    if (restored && draft) {
      var note = element("p", "message");
      note.appendChild(document.createTextNode(text("restored") + " "));
      var discard = element("button", "button button--secondary", text("discard"));
      discard.type = "button";
      discard.addEventListener("click", function () {
        discardDraft(form);
        form.reset();
        var token = form.querySelector('input[name="client_token"]');
        if (token && token.value === draft.token) { token.value = uuid4(); }
        renderForm(form, false);
      });
      note.appendChild(discard);
      region.appendChild(note);
    }
  }

  function renderAll() {
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      renderForm(form, !!form.querySelector("[data-drafts-status] button"));
    });
  }

  // --- sending ---------------------------------------------------------------------------------
  function queue(form) {
    var box = load(user);
    var item = snapshot(form);
    item.id = item.token || uuid4();
    item.status = "queued";
    box.outbox = box.outbox.filter(function (other) { return other.id !== item.id; });
    box.outbox.push(item);
    delete box.drafts[item.key];
    save(user, box);
    touchSession();
    // The form is free for the next note; the queued one keeps its token.
    form.reset();
    var token = form.querySelector('input[name="client_token"]');
    if (token) { token.value = uuid4(); }
    renderForm(form, false);
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function outcome(response) {
    var landed = new URL(response.url || window.location.href);
    var login = body.dataset.loginUrl;
    if (login && landed.pathname.indexOf(new URL(login, window.location.href).pathname) === 0) {
      return "later"; // signed out meanwhile: sent after the next sign-in, by the same person
    }
    var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
    if (response.ok && (response.redirected || json)) { return "sent"; }
    if (response.status >= 500 || response.status === 429 || response.status === 408) { return "later"; }
    return "failed";
  }

  var flushing = false;

  function flush() {
    if (!user || offlinePage || flushing || !navigator.onLine) { return; }
    var item = load(user).outbox.filter(function (queued) { return queued.status === "queued"; })[0];
    if (!item) { return; }
    flushing = true;
    var data = new FormData();
    item.entries.forEach(function (entry) { data.append(entry[0], entry[1]); });
    data.set("csrfmiddlewaretoken", csrfToken());
    fetch(item.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      var result = outcome(response);
      var box = load(user);
      box.outbox = box.outbox.filter(function (queued) { return queued.id !== item.id; });
      if (result === "later") {
        box.outbox.push(item);
      } else if (result === "failed") {
        // Back in its form, as typed, with its token: the person checks it and saves it again
        // (or, when that form holds another draft already, listed as not sent until then).
        item.status = "failed";
        if (box.drafts[item.key]) { box.outbox.push(item); } else { box.drafts[item.key] = item; }
      } else {
        item.status = "sent";
        (justSent[item.base || item.key] = justSent[item.base || item.key] || []).push(item);
      }
      save(user, box);
      flushing = false;
      if (result === "failed" && box.drafts[item.key] === item) {
        document.querySelectorAll("form[data-draft]").forEach(function (form) {
          // Into its form if that one is not being written in.
          if (baseKeyOf(form) === (item.base || item.key) && !hasWords(form)) { restore(form, item.entries); }
        });
      }
      renderAll();
      if (result === "sent") { flush(); }
    }).catch(function () {
      flushing = false; // still no network: it stays queued
    });
  }

  // A form another script sends itself (the message composer, over its socket): once that
  // script gives the form a new client token, the message left; its draft goes.
  function watchSent(form, token) {
    var started = Date.now();
    var timer = setInterval(function () {
      if (tokenOf(form) !== token) {
        clearInterval(timer);
        var box = load(user);
        var key = keyOf(form);
        if (box.drafts[key] && box.drafts[key].token === token) { delete box.drafts[key]; save(user, box); }
        if (hasWords(form)) { saveDraft(form); }
      } else if (Date.now() - started > SENDING_FOR_MS) {
        clearInterval(timer);
      }
    }, 1000);
  }

  // --- page load -----------------------------------------------------------------------------
  function restoreForms(announce) {
    if (!user) { return; }
    var box = load(user);
    var changed = false;
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      var draft = draftFor(form, box);
      if (!draft) { renderForm(form, false); return; }
      var key = draft.key;
      if (draft.sending) {
        var saved = SAVED[draft.kind];
        if (saved && saved() && tokenOf(form) !== draft.token) {
          delete box.drafts[key];
          changed = true;
          renderForm(form, false);
          return;
        }
        delete draft.sending;
        changed = true;
      }
      // After a refusal the server shows the form as it was sent (same token): nothing to announce.
      var serverHasIt = tokenOf(form) === draft.token;
      restore(form, draft.entries);
      renderForm(form, announce && !serverHasIt);
    });
    // A post answered by the saved page, whose form is not on it.
    Object.keys(box.drafts).forEach(function (key) {
      var draft = box.drafts[key];
      var saved = draft.sending && SAVED[draft.kind];
      if (saved && saved() && Date.now() - draft.at < SENDING_FOR_MS) { delete box.drafts[key]; changed = true; }
    });
    if (changed) { save(user, box); }
  }

  function touchSession() {
    if (!user) { return; }
    var timeout = parseInt(body.dataset.idleTimeout || "0", 10) || 3600;
    store.setItem(SESSION_KEY, JSON.stringify({ user: user, until: Date.now() + timeout * 1000 }));
  }

  function sessionUser() {
    try {
      var session = JSON.parse(store.getItem(SESSION_KEY));
      return session && session.until > Date.now() ? session.user : "";
    } catch (error) {
      return "";
    }
  }

  function showOffline() {
    var owner = sessionUser();
    var holder = offlinePage.querySelector("[data-drafts-list]");
    holder.textContent = "";
    if (!owner) {
      if (draftOwners().length) { holder.appendChild(element("p", "message", text("hidden"))); }
      return;
    }
    var box = load(owner);
    // A form posted when the network had just gone (the service worker brought the browser
    // back here): what it held waits in the queue, with its token.
    Object.keys(box.drafts).forEach(function (key) {
      var draft = box.drafts[key];
      if (draft.sending && Date.now() - draft.at < SENDING_FOR_MS) {
        delete box.drafts[key];
        draft.id = draft.token || uuid4();
        draft.status = "queued";
        delete draft.sending;
        box.outbox.push(draft);
      }
    });
    save(owner, box);
    var list = element("ul", "messages");
    box.outbox.forEach(function (item) { list.appendChild(itemLine(item, true)); });
    Object.keys(box.drafts).forEach(function (key) {
      var draft = box.drafts[key];
      var line = itemLine(draft, true);
      if (draft.status !== "failed") {
        line.className = "message";
        line.setAttribute("data-draft-item", "editing");
        line.firstChild.textContent = text("editing");
      }
      list.appendChild(line);
    });
    if (list.children.length) { holder.appendChild(list); }
  }

  function tellLanguage() {
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    var lang = document.documentElement.lang;
    if (!worker || !lang) { return; }
    var known = null;
    try { known = JSON.parse(store.getItem(LANGUAGE_KEY)); } catch (error) { known = null; }
    if (known && known.lang === lang && Date.now() - known.at < 3600 * 1000) { return; }
    worker.postMessage({ type: "offline-language", lang: lang });
    store.setItem(LANGUAGE_KEY, JSON.stringify({ lang: lang, at: Date.now() }));
  }

  // --- wiring ------------------------------------------------------------------------------------
  var pending = {};
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var form = draftForm(event.target);
      if (!form || !user) { return; }
      if (type === "change" && event.target.name === form.getAttribute("data-draft-subject") && !hasWords(form)) {
        // A subject chosen in an empty form: the draft kept for that subject comes back.
        var kept = load(user).drafts[keyOf(form)];
        if (kept && kept.token !== tokenOf(form)) { restore(form, kept.entries); renderForm(form, true); return; }
      }
      var key = baseKeyOf(form);
      clearTimeout(pending[key]);
      pending[key] = setTimeout(function () { saveDraft(form); }, 300);
    });
  });

  function isSignOut(form) {
    var logout = body.dataset.logoutUrl;
    return !!logout && new URL(actionOf(form)).pathname === new URL(logout, window.location.href).pathname;
  }

  function filesChosen(form) {
    return Array.prototype.some.call(form.querySelectorAll('input[type="file"]'), function (input) {
      return input.files && input.files.length;
    });
  }

  // Capture phase: before the form's own scripts (messaging.js sends over its socket), and only
  // when the browser knows it has no network. Files cannot wait in a browser: such a form goes
  // as it is (and the text typed stays in its draft).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (isSignOut(form)) {
      signingOut = true;
      Object.keys(pending).forEach(function (key) { clearTimeout(pending[key]); });
      forgetEveryone();
      return;
    }
    form = draftForm(form);
    if (!form || !user || navigator.onLine) { return; }
    if (event.submitter && event.submitter.name === "_preview") { return; }
    if (!hasWords(form) || filesChosen(form)) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    queue(form);
  }, true);

  // Bubble phase: the form is on its way (plain post, or another script's own sending).
  document.addEventListener("submit", function (event) {
    var form = draftForm(event.target);
    if (!form || !user || (event.submitter && event.submitter.name === "_preview")) { return; }
    clearTimeout(pending[baseKeyOf(form)]);
    if (!hasWords(form)) { return; }
    saveDraft(form, { sending: true });
    if (event.defaultPrevented) { watchSent(form, tokenOf(form)); }
  });

  // The offline page goes back to the page asked for as soon as the server answers again.
  var probing = false;
  function probe() {
    if (probing || !navigator.onLine) { return; }
    probing = true;
    fetch(offlinePage.getAttribute("data-probe-url"), { cache: "no-store", credentials: "omit" })
      .then(function (response) { if (response.ok) { window.location.reload(); } })
      .catch(function () {})
      .then(function () { probing = false; });
  }

  window.addEventListener("online", function () {
    if (offlinePage) { probe(); } else { flush(); }
  });

  if (offlinePage) {
    showOffline();
    setInterval(probe, 5000);
    return;
  }
  if (user) {
    // Someone else's drafts never show: whoever signs in on this browser only finds their own.
    draftOwners().forEach(function (owner) { if (owner !== user) { store.removeItem(PREFIX + owner); } });
    touchSession();
    restoreForms(true);
    flush();
    setInterval(flush, RETRY_EVERY_MS);
  } else {
    store.removeItem(SESSION_KEY);
  }
  if (body.dataset.swUrl && navigator.serviceWorker) {
    navigator.serviceWorker.register(body.dataset.swUrl, { scope: "/" }).then(tellLanguage, function () {});
    navigator.serviceWorker.addEventListener("controllerchange", tellLanguage);
  }
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { renderAll(); flush(); }
  });
})();
