// The field app's service worker (issue 14), served by inspections/views/offline.py from
// /inspections/my-tasks/sw.js with its settings in front (self.FIELD_APP: version, scope, offline page, photo
// URLs, static files). A classic script, hand-written rather than Workbox: three small routes, no bundler in
// the project, and Workbox's loader imports its modules lazily, which a worker may not do after it installed.
//
// - The field pages ("My tasks" and each task page): from the network when it answers (within NETWORK_WAIT_MS),
//   kept in PAGES as they come; from PAGES without a network; else the offline page.
// - The static files: kept at install in a cache named after the version; answered from there first.
// - The inspector's photos (/inspections/photos/<id>/): kept in PHOTOS the first time they are seen.
// - Everything else, and every POST, goes to the network untouched: the outbox (main.js) sends and retries.
//
// Updating: a new version installs its static files and fetches the saved pages again (they name the new
// static files), then takes over at once. The old static cache is dropped only if every page was fetched
// again (else a saved page would miss its scripts offline). Nothing here touches the outbox (IndexedDB).
/* global FIELD_APP */
"use strict";

const APP = self.FIELD_APP;
const STATIC_PREFIX = "field-static-";
const STATIC = STATIC_PREFIX + APP.version;
const PAGES = "field-pages";
const PHOTOS = "field-photos";
const KEEP_OLD = "/__field-keep-old-static__";
const NETWORK_WAIT_MS = 6000;
const FIELD_PAGE = new RegExp("^" + APP.scope.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "(\\d+/)?$");

function isFieldPage(url) {
  return url.origin === self.location.origin && FIELD_PAGE.test(url.pathname);
}

function pageKey(url) {
  return new URL(url, self.location.origin).origin + new URL(url, self.location.origin).pathname;
}

// A page worth keeping: the page itself, not a sign-in page it was redirected to.
function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

// Fetch a field page and keep it; resolves true when kept.
function savePage(url, cache) {
  return fetch(url, { credentials: "same-origin", cache: "no-store" })
    .then((response) => {
      if (!keepable(response)) return false;
      return cache.put(pageKey(url), response).then(() => true);
    })
    .catch(() => false);
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const assets = await caches.open(STATIC);
    await assets.addAll([...APP.assets, APP.offline]);
    // The saved pages again, naming the new static files; any that cannot be fetched keeps the old files.
    const pages = await caches.open(PAGES);
    const saved = await pages.keys();
    const fresh = await Promise.all(saved.map((request) => savePage(request.url, pages)));
    if (fresh.includes(false)) await assets.put(KEEP_OLD, new Response("1"));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const assets = await caches.open(STATIC);
    const keepOld = Boolean(await assets.match(KEEP_OLD));
    if (!keepOld) {
      const names = await caches.keys();
      await Promise.all(names.filter((name) => name.startsWith(STATIC_PREFIX) && name !== STATIC).map((name) => caches.delete(name)));
    }
    await self.clients.claim();
  })());
});

// Network first, within NETWORK_WAIT_MS; a late answer still refreshes the saved page. A redirect (the
// session ended with the browser: to the sign-in page) shows the saved page where there is one: the inspector
// keeps working, and the page's sending says to sign in again (nothing is lost meanwhile).
function fieldPage(request) {
  const key = pageKey(request.url);
  const saved = () => caches.open(PAGES).then((cache) => cache.match(key, { ignoreVary: true }));
  const network = fetch(request).then((response) => {
    if (keepable(response)) {
      const copy = response.clone();
      caches.open(PAGES).then((cache) => cache.put(key, copy));
      return response;
    }
    if (response.type === "opaqueredirect" || response.redirected) return saved().then((page) => page || response);
    return response;
  });
  const offlinePage = () => caches.match(APP.offline).then((page) => page || Response.error());
  const slow = new Promise((resolve) => { setTimeout(() => resolve(null), NETWORK_WAIT_MS); })
    .then(() => saved());
  return Promise.race([network.catch(() => null), slow.then((page) => page || network)])
    .then((response) => response || saved())
    .catch(() => saved())
    .then((response) => response || offlinePage());
}

function staticFile(request) {
  return caches.match(request, { ignoreSearch: true, ignoreVary: true }).then((hit) => hit || fetch(request));
}

function photo(request) {
  return caches.open(PHOTOS).then((cache) => cache.match(request).then((hit) => hit || fetch(request).then((response) => {
    if (keepable(response)) cache.put(request, response.clone());
    return response;
  })));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && isFieldPage(url)) {
    event.respondWith(fieldPage(request));
  } else if (url.pathname === APP.offline || APP.assets.includes(url.pathname)) {
    event.respondWith(staticFile(request));
  } else if (url.pathname.startsWith(APP.photos)) {
    event.respondWith(photo(request));
  }
});

// From the pages (offline.js): {type: "save-pages", urls} keeps those field pages now (My tasks lists the
// inspector's tasks); {type: "forget"} drops the pages and photos (signing out). The answer goes back on the
// message's port: {saved: [urls kept]} or {forgotten: true}.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = (answer) => { if (event.ports[0]) event.ports[0].postMessage(answer); };
  if (data.type === "save-pages") {
    const urls = (data.urls || []).filter((url) => isFieldPage(new URL(url, self.location.origin)));
    event.waitUntil(caches.open(PAGES)
      .then((cache) => Promise.all(urls.map((url) => savePage(url, cache).then((kept) => (kept ? url : null)))))
      .then((kept) => reply({ saved: kept.filter(Boolean) })));
  } else if (data.type === "forget") {
    event.waitUntil(Promise.all([caches.delete(PAGES), caches.delete(PHOTOS)]).then(() => reply({ forgotten: true })));
  } else if (data.type === "version") {
    reply({ version: APP.version });
  }
});
