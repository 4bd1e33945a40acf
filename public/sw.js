// moot's service worker: keeps the app shell on this device so it opens with the network off.
// `cargo xtask build` fills in the version and the list of files of this build.
const VERSION = "__MOOT_VERSION__";
const FILES = __MOOT_FILES__;
const CACHE = `moot-${VERSION}`;

self.addEventListener("install", (event) => {
  // All files of one build are cached together, or the new version is not installed at all.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("moot-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/sync")) return;
  if (request.mode === "navigate") {
    // The page: fresh from the network when there is one, else this build's copy.
    event.respondWith(
      fetch(request).catch(() => caches.match("./index.html", { cacheName: CACHE }).then((r) => r || caches.match("./index.html"))),
    );
    return;
  }
  // Content-hashed files never change: the cache answers first.
  event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
});
