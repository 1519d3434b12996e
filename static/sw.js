// CareHub service worker, served at /sw.js by carehub.pwa.service_worker, which puts
// self.CAREHUB_SHELL (offline page URL, static assets, version) in front of this file.
//
// What it keeps: the static files (CSS, JS, icons) and one offline page rendered for nobody.
// What it never keeps: a page, a fragment, a file or an answer of the application, since those
// hold residents' data and a tablet is shared by a team.
/* global self, caches, fetch, Request, Response, URL */
"use strict";

var SHELL = self.CAREHUB_SHELL;
var CACHE = "carehub-shell-" + SHELL.version;
var OFFLINE_KEY = new URL(SHELL.offline, self.location.origin).href;

function offlineRequest(lang) {
  var url = new URL(SHELL.offline, self.location.origin);
  if (lang) { url.searchParams.set("lang", lang); }
  // No cookies: the page is the same for everyone, and rendered so.
  return new Request(url.href, { credentials: "omit", cache: "no-store" });
}

function keepOfflinePage(cache, lang) {
  return fetch(offlineRequest(lang)).then(function (response) {
    if (response.ok) { return cache.put(OFFLINE_KEY, response); }
    return undefined;
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all([cache.addAll(SHELL.assets), keepOfflinePage(cache, null)]);
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("carehub-shell-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

// drafts.js tells the language of the page shown, so that the offline page speaks it too.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "offline-language" && typeof data.lang === "string" && /^[a-z-]{2,8}$/.test(data.lang)) {
    event.waitUntil(caches.open(CACHE).then(function (cache) { return keepOfflinePage(cache, data.lang); }));
  }
});

function isStatic(url) {
  return url.origin === self.location.origin && url.pathname.indexOf(SHELL.static) === 0;
}

function fromNetworkThenCache(request) {
  // Network first: a deployment's new files are used at once; the cache is only the fallback.
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (cached) { return cached || Response.error(); });
  });
}

function offlinePage() {
  return caches.match(OFFLINE_KEY).then(function (cached) { return cached || Response.error(); });
}

function navigate(event) {
  var request = event.request;
  if (request.method === "GET") {
    return fetch(request).catch(offlinePage);
  }
  // A form posted while the network was gone: back to the page it came from (which shows the
  // offline page while the network is still gone). drafts.js kept what was typed, with its token.
  return fetch(request).catch(function () {
    var back = request.referrer && new URL(request.referrer).origin === self.location.origin ? request.referrer : "/";
    return Response.redirect(back, 303);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  } else if (request.method === "GET" && isStatic(url)) {
    event.respondWith(fromNetworkThenCache(request));
  }
  // Anything else (htmx fragments, fetch calls, downloads) goes to the network untouched.
});
