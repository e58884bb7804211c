/* Baqylau observer app: login, report forms, the outbox view. No framework, no build step. */
(function () {
  "use strict";
  const body = document.body;
  const API = body.dataset.api;
  const LANG = body.dataset.lang;
  const T = JSON.parse(document.getElementById("bq-texts").textContent);
  const cfg = { api: API };
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  let profile = null;
  let pendingEdit = null; // the outbox item to open in its form on the next screen change

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  }

  function toast(text) {
    const t = $("#toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
  }

  const pick = (m) => (m == null ? "" : typeof m === "string" ? m : m[LANG] || m.ru || m.en || "");
  const hhmm = () => new Date().toTimeString().slice(0, 5);

  /* --- screens ------------------------------------------------------------------------------ */

  function show() {
    const loggedIn = !!profile;
    const id = (location.hash || "#").slice(1);
    $("#login").hidden = loggedIn;
    $("#foot").hidden = !loggedIn;
    $("#home").hidden = !loggedIn || id !== "";
    $("#outbox").hidden = !loggedIn || id !== "outbox";
    for (const f of $$("form.report")) {
      const open = loggedIn && f.id === "f-" + id;
      if (open && f.hidden) {
        prepare(f, pendingEdit);
        pendingEdit = null;
      }
      f.hidden = !open;
    }
    if (loggedIn && id === "outbox") render();
    window.scrollTo(0, 0);
  }

  function prepare(form, item) {
    form.reset();
    delete form.dataset.editing;
    form.keptPhotos = [];
    $(".err", form).textContent = "";
    const kept = $(".kept", form);
    if (kept) kept.hidden = true;
    const places = (profile && profile.placements) || [];
    for (const sel of $$("select[name=station]", form)) {
      sel.replaceChildren(...places.map((p, i) => el("option", { value: i }, "№ " + p.code + (p.address ? " · " + p.address : ""))));
    }
    if (!places.length) $(".err", form).textContent = T.noPlacement;
    const vio = $("select[name=violation]", form);
    if (vio) {
      vio.replaceChildren(el("option", { value: "" }, "—"),
        ...profile.violation_types.map((v) => el("option", { value: v.code }, pick(v.name))));
    }
    for (const t of $$("input[type=time]", form)) t.value = hhmm();
    if (item) fill(form, item);
  }

  function fill(form, item) {
    const d = item.data;
    form.dataset.editing = item.id;
    const i = profile.placements.findIndex((p) => p.station === d.station && p.election === d.election);
    if (i >= 0) form.elements.station.value = i;
    for (const [k, v] of Object.entries(d)) {
      const field = form.elements[k];
      if (!field || k === "station" || k === "photos") continue;
      if (field instanceof RadioNodeList) field.value = v;
      else field.value = v == null ? "" : v;
    }
    for (const [q, v] of Object.entries(d.answers || {})) {
      if (form.elements["q_" + q]) form.elements["q_" + q].value = v ? "yes" : "no";
    }
    form.keptPhotos = item.photos || [];
    const kept = $(".kept", form);
    if (kept && form.keptPhotos.length) {
      kept.textContent = T.photos + " " + form.keptPhotos.length;
      kept.hidden = false;
    }
  }

  /* --- reading a form: data for the server, or the problem to show at once --------------------- */

  function count(form, name, place, required) {
    const raw = form.elements[name].value.trim();
    if (raw === "") return required ? { error: T.required } : { value: null };
    if (!/^\d+$/.test(raw)) return { error: T.notNumber };
    const n = parseInt(raw, 10);
    if (place.registered_voters != null && n > place.registered_voters) {
      return { error: T.tooMany.replace("{n}", place.registered_voters) };
    }
    return { value: n };
  }

  function read(form) {
    const kind = form.dataset.kind;
    const place = profile.placements[form.elements.station.value];
    if (!place) return { error: T.noPlacement };
    const data = { election: place.election, station: place.station, station_id: place.station_id };
    const val = (n) => form.elements[n].value.trim();
    if (kind === "checkin") {
      data.status = form.elements.status.value;
      data.reason = val("reason");
      data.at = val("at");
      if (!data.status || !data.at) return { error: T.required };
      if (["not_admitted", "removed"].includes(data.status) && !data.reason) return { error: T.reasonRequired };
    } else if (kind === "turnout") {
      data.at = val("at");
      const c = count(form, "count", place, true);
      const cc = count(form, "commission_count", place, false);
      if (c.error || cc.error) return { error: c.error || cc.error };
      if (!data.at) return { error: T.required };
      data.count = c.value;
      if (cc.value != null) data.commission_count = cc.value;
    } else if (kind === "incident") {
      data.violation = val("violation");
      data.at = val("at");
      data.text = val("text");
      if (!data.violation || !data.at) return { error: T.required };
    } else if (kind === "checklist") {
      data.form = form.dataset.form;
      data.answers = {};
      for (const f of $$("fieldset.q", form)) {
        const name = $("input", f).name;
        const v = form.elements[name].value;
        if (!v) return { error: T.answerAll };
        data.answers[name.slice(2)] = v === "yes";
      }
    }
    const files = form.elements.photos ? Array.from(form.elements.photos.files) : [];
    const photos = (form.keptPhotos || []).concat(files.map((f) => ({ name: f.name, type: f.type, blob: f })));
    return { kind, data, photos };
  }

  async function submit(event) {
    event.preventDefault();
    const form = event.target;
    const button = $("button[type=submit]", form);
    const got = read(form);
    if (got.error) {
      $(".err", form).textContent = got.error;
      return;
    }
    button.disabled = true; // one tap, one report
    try {
      await BQ.enqueue(got.kind, got.data, got.photos, form.dataset.editing);
      toast(T.saved);
      syncSoon();
      location.hash = "#outbox";
    } finally {
      button.disabled = false;
    }
  }

  /* --- the outbox ---------------------------------------------------------------------------- */

  const ORDER = { rejected: 0, queued: 1, waiting: 2, review: 2, recorded: 3, accepted: 3 };

  async function render() {
    const items = await BQ.all();
    const pending = items.filter((i) => i.state === "queued" || i.state === "rejected").length;
    $("#badge").textContent = pending;
    $("#badge").hidden = !pending;
    if ($("#outbox").hidden) return;
    items.sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.created - a.created);
    $("#empty").hidden = items.length > 0;
    const list = $("#items");
    const rows = items.map(keptRow);
    const shown = new Set(items.map((i) => i.id));
    for (const id of drawn.keys()) if (!shown.has(id)) drawn.delete(id);
    const current = Array.from(list.children);
    if (current.length !== rows.length || current.some((li, i) => li !== rows[i])) list.replaceChildren(...rows);
  }

  /* A row is drawn again only when what it shows changed: the list is refreshed after every sync,
     service-worker message and 15-second tick, and a button replaced under the finger loses the
     tap (Discard, Edit, Resend did nothing when a refresh landed between press and release). */
  const drawn = new Map();

  function keptRow(item) {
    const sig = JSON.stringify([item.kind, item.state, item.reply || null, item.next || 0, item.data || null, !!profile]);
    const old = drawn.get(item.id);
    if (old && old.sig === sig) return old.li;
    const li = row(item);
    drawn.set(item.id, { sig, li });
    return li;
  }

  function row(item) {
    const li = el("li", { class: "item " + item.state, "data-id": item.id, "data-state": item.state });
    const d = item.data || {};
    const when = d.at ? " · " + d.at : "";
    li.append(el("b", {}, T.titles[item.kind] || item.kind), el("span", {}, " № " + (d.station || "").split("/").pop() + when));
    const vio = item.kind === "incident" && profile && profile.violation_types.find((v) => v.code === d.violation);
    const detail = item.kind === "turnout" ? d.count : vio ? pick(vio.name) : item.kind === "incident" ? d.violation : d.status;
    if (detail != null && detail !== "") li.append(el("span", {}, " · " + detail));
    li.append(el("p", { class: "state" }, T[item.state] || item.state));
    const reply = item.reply || {};
    if (item.state === "rejected") {
      const reasons = (reply.errors || [])
        .map((e) => (e.messages && e.messages[LANG]) || e[LANG] || e.message || "")
        .filter(Boolean);
      const box = el("ul", { class: "reasons" });
      for (const r of reasons.length ? reasons : [pick(reply.message)]) box.append(el("li", {}, r));
      li.append(box);
      const edit = el("button", { type: "button", "data-act": "edit" }, T.edit);
      const again = el("button", { type: "button", "data-act": "resend" }, T.resend);
      li.append(edit, again, el("button", { type: "button", "data-act": "discard", class: "danger" }, T.discard));
    } else if (item.state === "queued") {
      if (item.next && item.next > Date.now()) {
        li.append(el("p", { class: "hint" }, T.retryAt + " " + new Date(item.next).toTimeString().slice(0, 5)));
      }
      li.append(el("button", { type: "button", "data-act": "discard", class: "danger" }, T.discard));
    } else {
      li.append(el("p", { class: "msg" }, pick(reply.message)));
      const ref = reply.id != null ? reply.id + " · " + String(reply.submission || "").slice(0, 8) : "";
      if (ref) li.append(el("p", { class: "receipt" }, T.receipt + " " + ref));
    }
    return li;
  }

  async function act(event) {
    const button = event.target.closest("button[data-act]");
    if (!button) return;
    const id = button.closest("li.item").dataset.id;
    const item = await BQ.get(id);
    if (!item) return;
    if (button.dataset.act === "discard") {
      if (confirm(T.discardConfirm)) await BQ.discard(id);
    } else if (button.dataset.act === "resend") {
      await BQ.requeue(id);
      syncSoon();
    } else if (button.dataset.act === "edit") {
      const target = item.kind === "checklist" ? "checklist-" + item.data.form : item.kind;
      pendingEdit = item;
      location.hash = "#" + target;
    }
    render();
  }

  /* --- sending ------------------------------------------------------------------------------- */

  async function syncSoon(force) {
    if (navigator.serviceWorker && navigator.serviceWorker.ready) {
      navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register("bq-outbox")).catch(() => null);
    }
    if (!navigator.onLine) return;
    const result = await BQ.flush(cfg, { force: !!force });
    if (result && result.auth) $("#relogin").hidden = false;
    render();
  }

  function network() {
    const on = navigator.onLine;
    const n = $("#net");
    n.textContent = on ? T.online : T.offline;
    n.className = "net " + (on ? "on" : "off");
  }

  /* --- login --------------------------------------------------------------------------------- */

  async function login(event) {
    event.preventDefault();
    const form = event.target;
    const err = $(".err", form);
    err.textContent = "";
    let res;
    let answer = null;
    try {
      res = await fetch(API + "login", {
        method: "POST", credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: form.elements.username.value, password: form.elements.password.value }),
      });
      answer = await res.json().catch(() => null);
    } catch (e) {
      err.textContent = T.loginFailed;
      return;
    }
    if (!res.ok || !answer || !answer.token) {
      err.textContent = answer ? pick(answer.message) : T.loginFailed;
      return;
    }
    await BQ.kvSet("token", answer.token);
    await BQ.kvSet("profile", answer.profile);
    await BQ.kvDel("authFailed");
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => null);
    form.reset();
    $("#relogin").hidden = true;
    start(answer.profile);
    syncSoon(true);
  }

  async function refreshProfile() {
    const token = await BQ.kvGet("token");
    if (!token || !navigator.onLine) return;
    try {
      const res = await fetch(API + "me", { headers: { Authorization: "Bearer " + token }, credentials: "omit", cache: "no-store" });
      if (res.status === 401) $("#relogin").hidden = false;
      if (!res.ok) return;
      const fresh = await res.json();
      await BQ.kvSet("profile", fresh);
      profile = fresh;
    } catch (e) { /* offline: keep the cached catalogues */ }
  }

  async function logout() {
    if (!confirm(T.logoutConfirm)) return;
    const token = await BQ.kvGet("token");
    if (token && navigator.onLine) {
      fetch(API + "logout", { method: "POST", headers: { Authorization: "Bearer " + token }, credentials: "omit" }).catch(() => null);
    }
    await BQ.kvDel("token");
    await BQ.kvDel("profile");
    profile = null;
    location.hash = "";
    show();
  }

  function start(p) {
    profile = p;
    $("#who").textContent = p ? p.observer : "";
    show();
    render();
  }

  /* --- wiring -------------------------------------------------------------------------------- */

  $("#login-form").addEventListener("submit", login);
  for (const f of $$("form.report")) f.addEventListener("submit", submit);
  $("#items").addEventListener("click", act);
  $("#send-now").addEventListener("click", () => syncSoon(true));
  $("#logout").addEventListener("click", logout);
  window.addEventListener("hashchange", show);
  window.addEventListener("online", () => { network(); syncSoon(true); });
  window.addEventListener("offline", network);
  if (window.BroadcastChannel) new BroadcastChannel("bq-outbox").onmessage = () => render();
  setInterval(() => syncSoon(false), 15000);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register(body.dataset.sw).catch(() => null);
  network();

  Promise.all([BQ.kvGet("token"), BQ.kvGet("profile"), BQ.kvGet("authFailed")]).then(([token, p, failed]) => {
    if (failed) $("#relogin").hidden = false;
    start(token && p ? p : null);
    if (token) refreshProfile().then(() => syncSoon(true));
  });
})();
