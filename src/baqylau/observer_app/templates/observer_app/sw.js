/* Baqylau observer app: service worker (app shell cache + Background Sync of the outbox). */
"use strict";
const CFG = {{ config|safe }};
const CACHE = "bq-observe-" + CFG.lang + "-" + CFG.version;
importScripts(CFG.outbox);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(CFG.precache)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  const prefix = "bq-observe-" + CFG.lang + "-";
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(prefix) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith(CFG.api)) return;
  if (req.mode === "navigate" && url.pathname === CFG.home) {
    // The shell: answer from the cache at once (a blocked network must not leave a blank page),
    // refresh the cached copy in the background.
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(CFG.home).then((hit) => {
          const fresh = fetch(req).then((res) => {
            if (res.ok) cache.put(CFG.home, res.clone());
            return res;
          });
          if (hit) {
            event.waitUntil(fresh.catch(() => null));
            return hit;
          }
          return fresh;
        })
      )
    );
    return;
  }
  event.respondWith(caches.match(req).then((hit) => hit || fetch(req)));
});

self.addEventListener("sync", (event) => {
  if (event.tag !== "bq-outbox") return;
  event.waitUntil(
    BQ.flush({ api: CFG.api }).then((result) => {
      if (result && result.blocked) throw new Error("network unavailable; retry later");
    })
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "flush") event.waitUntil(BQ.flush({ api: CFG.api }, { force: true }));
});
