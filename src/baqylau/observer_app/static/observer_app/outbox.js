/* Baqylau outbox: reports waiting to be sent, kept in IndexedDB (photos as blobs).
   Shared by the page and the service worker (Background Sync). Rules:
   - every item has a client UUID, sent as Idempotency-Key: a resend never counts twice;
   - a network failure, a timeout, a 5xx, 409 or 429 keeps the item queued (retry with backoff);
   - a rejection keeps the item, with the server's reasons, until the observer edits and resends
     it or discards it explicitly. Nothing is ever removed without the observer's action. */
(function (g) {
  "use strict";
  const NAME = "baqylau-observe";
  const TIMEOUT = 60000;
  let opening = null;
  let running = null;

  function db() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const req = indexedDB.open(NAME, 1);
        req.onupgradeneeded = () => {
          const d = req.result;
          if (!d.objectStoreNames.contains("kv")) d.createObjectStore("kv");
          if (!d.objectStoreNames.contains("outbox")) d.createObjectStore("outbox", { keyPath: "id" });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => { opening = null; reject(req.error); };
      });
    }
    return opening;
  }

  async function tx(store, mode, fn) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const t = d.transaction(store, mode);
      const req = fn(t.objectStore(store));
      let out;
      if (req) req.onsuccess = () => { out = req.result; };
      t.oncomplete = () => resolve(out);
      t.onerror = t.onabort = () => reject(t.error);
    });
  }

  const kvGet = (k) => tx("kv", "readonly", (s) => s.get(k));
  const kvSet = (k, v) => tx("kv", "readwrite", (s) => s.put(v, k));
  const kvDel = (k) => tx("kv", "readwrite", (s) => s.delete(k));
  const all = () => tx("outbox", "readonly", (s) => s.getAll());
  const get = (id) => tx("outbox", "readonly", (s) => s.get(id));
  const put = (item) => tx("outbox", "readwrite", (s) => s.put(item));

  function uuid() {
    if (g.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function notify() {
    if (g.BroadcastChannel) new BroadcastChannel("bq-outbox").postMessage("changed");
  }

  /* Add a new item, or put an edited one back in the queue (same id: same idempotency key). */
  async function enqueue(kind, data, photos, id) {
    const now = Date.now();
    const old = id ? await get(id) : null;
    const item = {
      id: id || uuid(), kind, data, photos: photos || [], state: "queued",
      created: old ? old.created : now, updated: now, attempts: 0, next: 0, reply: null, note: "",
    };
    await put(item);
    notify();
    return item;
  }

  async function discard(id) {
    await tx("outbox", "readwrite", (s) => s.delete(id));
    notify();
  }

  async function requeue(id) {
    const item = await get(id);
    if (!item) return;
    Object.assign(item, { state: "queued", next: 0, attempts: 0, updated: Date.now() });
    await put(item);
    notify();
  }

  function backoff(item, note) {
    item.attempts = (item.attempts || 0) + 1;
    const base = Math.min(300000, 2000 * 2 ** Math.min(item.attempts, 8));
    item.next = Date.now() + Math.round(base * (0.5 + Math.random()));
    item.note = note;
    return put(item);
  }

  async function sendOne(cfg, token, item) {
    const form = new FormData();
    form.append("data", JSON.stringify(item.data));
    for (const p of item.photos || []) form.append("photos", p.blob, p.name || "photo.jpg");
    const ctrl = g.AbortController ? new AbortController() : null;
    const timer = ctrl ? setTimeout(() => ctrl.abort(), TIMEOUT) : null;
    let res;
    let body = null;
    try {
      res = await fetch(cfg.api + "reports/" + item.kind, {
        method: "POST", body: form, credentials: "omit", cache: "no-store",
        headers: { Authorization: "Bearer " + token, "Idempotency-Key": item.id },
        signal: ctrl ? ctrl.signal : undefined,
      });
      body = await res.json().catch(() => null);
    } catch (e) {
      await backoff(item, "network");
      return "network";
    } finally {
      if (timer) clearTimeout(timer);
    }
    const current = await get(item.id);
    if (!current || current.state !== "queued") return "gone"; // discarded or edited meanwhile
    const ours = body && body.client_id === item.id;
    if (res.status === 401) {
      await backoff(current, "auth");
      return "auth";
    }
    if (ours && ["recorded", "waiting", "accepted", "review"].includes(body.status)) {
      Object.assign(current, { state: body.status, reply: body, done: Date.now(), note: "" });
      current.photoCount = (current.photos || []).length;
      current.photos = []; // the server holds them now
      await put(current);
      return "sent";
    }
    if (ours && body.status === "rejected") {
      Object.assign(current, { state: "rejected", reply: body, note: "" });
      await put(current);
      return "rejected";
    }
    if (res.status >= 400 && res.status < 500 && ![408, 409, 425, 429].includes(res.status)) {
      // Refused, but not with our answer (e.g. a proxy's 413): keep it, with the reason.
      const reason = body && body.message ? body.message : "HTTP " + res.status;
      Object.assign(current, { state: "rejected", reply: { status: "rejected", message: reason, errors: [] } });
      await put(current);
      return "rejected";
    }
    // 5xx, 409 (being processed), 429, or an answer that is not ours (a captive portal): retry.
    await backoff(current, "HTTP " + res.status);
    return "retry";
  }

  async function flushAll(cfg, opts) {
    const token = await kvGet("token");
    if (!token) return { sent: 0, blocked: false, auth: true };
    const due = (await all())
      .filter((i) => i.state === "queued" && (opts.force || !i.next || i.next <= Date.now()))
      .sort((a, b) => a.created - b.created);
    const result = { sent: 0, blocked: false, auth: false };
    for (const item of due) {
      const r = await sendOne(cfg, token, item);
      notify();
      if (r === "sent" || r === "rejected") result.sent++;
      if (r === "network") { result.blocked = true; break; }
      if (r === "auth") { result.auth = true; await kvSet("authFailed", true); break; }
    }
    if (result.blocked) {
      // Offline: the next attempt of everything waits as long as the item that just failed.
      const failed = await all();
      const next = Math.max(...failed.filter((i) => i.state === "queued").map((i) => i.next || 0));
      await Promise.all(failed.filter((i) => i.state === "queued" && (i.next || 0) < next)
        .map((i) => put(Object.assign(i, { next }))));
    }
    return result;
  }

  /* Send what is due (or everything, with force). One run at a time per page/worker, and one
     across them where the Web Locks API exists; the server's idempotency covers the rest. */
  function flush(cfg, opts) {
    opts = opts || {};
    if (running) return running;
    const run = () => flushAll(cfg, opts);
    const locked = g.navigator && navigator.locks ? navigator.locks.request("bq-outbox", run) : run();
    running = locked.finally(() => { running = null; notify(); });
    return running;
  }

  g.BQ = { db, kvGet, kvSet, kvDel, all, get, put, enqueue, discard, requeue, flush, uuid, notify };
})(self);
