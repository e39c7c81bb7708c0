// The inspector's task page (templates/inspections/field/task_work.html). Every change is an item of the
// outbox, kept on the phone first (IndexedDB: storage.js, outbox.js) with its idempotency key and the device
// time it was done at, and then sent, in order, whenever the network allows (sync.js): on each change, when
// the browser says it is back online, on a timer, and when the page opens. Nothing typed is lost to a bad
// connection, a reload, a closed browser or an update of the app; each item shows its state. The page passes
// its settings and words as JSON (json_script "inspection-config"; the offline words: "field-app").
import { setupCheckin } from "./checkin.js";
import { newClientId, resize } from "./camera.js";
import { iccidCheck } from "./logic.js";
import { addItem, deviceTime, discardPhoto, makeItem, newOutbox } from "./outbox.js";
import { guardLeaving, savePages } from "./offline.js";
import { createPage } from "./page.js";
import { loadOutbox, photoForget, photoKeep, photosWaiting, saveOutbox } from "./storage.js";
import { createSync } from "./sync.js";

const RETRY_MS = 15000;
const TYPING_MS = 800;
const REFRESH_MS = 5000;
let refreshTimer = null;
const CHECKOUT_GEO_OPTIONS = { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 };

function start(config, fieldApp, outbox, durable) {
  const T = config.text;
  const O = Object.assign({}, fieldApp.text, { signInUrl: fieldApp.login + "?next=" + encodeURIComponent(location.pathname) });
  const page = createPage(T, O);
  const form = page.form;
  config.myTasks = fieldApp.scope;
  const app = {
    config,
    T,
    outbox,
    photos: new Map(), // client_id -> Blob of photos not sent yet
    located: null, // {position, distance, time} of a check-in waiting for a reason
    save() {
      if (!durable) return;
      saveOutbox(app.outbox).catch(() => { page.showNotice(O.no_storage); });
    },
    // The page saved for offline, fetched again a little after the last change was sent (one fetch for a
    // burst of answers; items sent since the saved copy are shown over it anyway: see "start" below).
    refreshSaved(urls) {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => { savePages(urls); }, REFRESH_MS);
    },
    showForm() { page.showForm(!config.checked_in && !app.outbox.checkedIn ? app.outbox.checkinLabel : ""); },
    // A new action: into the outbox with a new key and the device time it happened at.
    queue(kind, fields, time) {
      const item = addItem(app.outbox, makeItem(kind, config.task, fields, newClientId(), time || deviceTime()));
      app.save();
      return item;
    },
  };
  if (!durable) page.showNotice(O.no_storage);
  const sync = createSync(app, page);
  const { flush, render } = sync;
  setupCheckin(app, page, sync);

  // --- answers and remarks ----------------------------------------------------------------------
  let typingTimer = null;
  function sendSoon(typing) {
    clearTimeout(typingTimer);
    if (typing) typingTimer = setTimeout(flush, TYPING_MS); else flush();
  }

  function answerChanged(event, typing) {
    const item = event.target.closest("[data-item]");
    if (!item || event.target.matches("[data-photo-input]")) return;
    const answer = page.answerOf(item);
    app.queue("answer", { code: item.dataset.item, value: answer.value, note: answer.note });
    render();
    page.itemError(item.dataset.item, "");
    page.refreshItem(item);
    page.refreshProgress();
    sendSoon(typing);
  }

  function remarksChanged(typing) {
    app.queue("remarks", { remarks: page.remarksBox.value });
    render();
    sendSoon(typing);
  }

  // --- photos -----------------------------------------------------------------------------------
  // `source`: "camera" (the capture input) or "gallery" (picked from the phone's files).
  function photoChosen(input) {
    const files = Array.from(input.files || []);
    const code = input.dataset.itemCode || "";
    const source = input.dataset.source === "gallery" ? "gallery" : "camera";
    const time = deviceTime(); // when the inspector took or picked it
    input.value = ""; // the same photo may be chosen again
    files.forEach((file) => {
      resize(file).then((blob) => {
        const photo = { client_id: newClientId(), task: config.task, item_code: code, blob };
        page.itemError(code, "");
        return photoKeep(photo).then(() => true, () => false).then((kept) => {
          // Not kept on the phone (storage full, private mode): it is sent from memory while the page is
          // open, and the inspector is told so; never dropped without a word.
          if (!kept) page.itemError(code, O.photo_not_stored);
          app.photos.set(photo.client_id, blob);
          app.queue("photo", { client_id: photo.client_id, item_code: code, source }, time);
          page.pendingThumb(photo);
          page.refreshProgress();
          render();
          flush();
        });
      }).catch(() => { page.itemError(code, T.photo_failed); });
    });
  }

  form.addEventListener("input", (event) => {
    if (event.target === page.remarksBox) { remarksChanged(true); return; }
    if (event.target.matches("input[type=radio]")) return; // "change" covers them
    if (event.target.closest("[data-item]")) answerChanged(event, true);
  });
  form.addEventListener("change", (event) => {
    if (event.target === page.remarksBox) { remarksChanged(false); return; }
    if (event.target.matches("[data-photo-input]")) { photoChosen(event.target); return; }
    if (event.target.closest("[data-item]")) answerChanged(event, false);
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); });

  form.addEventListener("click", (event) => {
    const target = event.target;
    if (target.matches("[data-photo-discard]")) {
      const clientId = target.dataset.photoDiscard;
      if (!discardPhoto(app.outbox, clientId)) return; // already on its way: it will show as sent
      app.save();
      app.photos.delete(clientId);
      photoForget(clientId);
      target.closest("figure").remove();
      page.refreshProgress();
      render();
    } else if (target.matches("[data-photo-remove]")) {
      app.queue("photo_remove", { url: target.dataset.photoRemove });
      target.closest("figure").remove();
      page.refreshProgress();
      flush();
    } else if (target.matches("[data-sim-remove]")) {
      app.queue("sim_remove", { iccid: target.dataset.simRemove });
      target.closest("li").remove();
      render();
      flush();
    }
  });

  // --- SIMs found: ICCID with its Luhn check digit ----------------------------------------------
  function checkIccid() {
    const check = iccidCheck(page.iccidInput.value);
    page.showIccidCheck(check);
    return check;
  }

  page.iccidInput.addEventListener("input", checkIccid);
  page.simAdd.addEventListener("click", () => {
    const check = checkIccid();
    if (check.verdict !== "ok") return;
    const iccid = check.digits;
    const typed = page.takeSimInput();
    page.setSimError("");
    if (!page.simRow(iccid)) {
      const sim = { iccid, note: typed.note };
      app.queue("sim", sim);
      page.pendingSimRow(sim);
    }
    checkIccid();
    render();
    flush();
  });

  // --- check-out and submit ---------------------------------------------------------------------
  document.querySelector("[data-action=submit]").addEventListener("click", () => {
    const problems = page.missing();
    if (problems.length) { page.showProblems(problems, T.submit_blocked); return; }
    page.setSubmitMessage("");
    const tapped = deviceTime(); // the check-out is the tap, not the moment a position was found
    const queue = (position) => {
      app.queue("checkout", { position: position || {} }, tapped);
      app.queue("submit", { remarks: page.remarksBox.value }, tapped);
      flush();
      render();
    };
    if (!navigator.geolocation) { queue(null); return; }
    navigator.geolocation.getCurrentPosition((found) => {
      queue({ latitude: found.coords.latitude, longitude: found.coords.longitude, accuracy_m: Math.round(found.coords.accuracy) });
    }, () => { queue(null); }, CHECKOUT_GEO_OPTIONS);
  });

  // --- start: put back what the page (maybe saved on the phone a while ago) does not show yet ------
  app.outbox.items.forEach((entry) => {
    if (entry.kind === "answer") {
      const item = page.item(entry.code);
      if (item) page.applyAnswer(item, entry);
    } else if (entry.kind === "remarks" || entry.kind === "submit") {
      page.remarksBox.value = entry.remarks;
    } else if (entry.kind === "sim" && entry.state !== "refused") {
      if (!page.simRow(entry.iccid)) {
        if (entry.html) page.simSent(entry, { ok: true, html: entry.html }); else page.pendingSimRow(entry);
      }
    } else if (entry.kind === "sim_remove" && entry.state !== "refused") {
      page.hideSim(entry.iccid);
    } else if (entry.kind === "photo" && entry.state === "sent") {
      page.sentPhoto(entry);
    } else if (entry.kind === "photo_remove" && entry.state !== "refused") {
      page.hidePhoto(entry.url);
    }
  });
  const checkedIn = config.checked_in || app.outbox.checkedIn ||
    app.outbox.items.some((entry) => entry.kind === "checkin" && entry.state !== "refused");
  if (checkedIn) app.showForm();
  page.items().forEach(page.refreshItem);
  page.refreshProgress();
  render();

  // The buttons that only this script can act on stay disabled until it is wired (a tap before that
  // would do nothing, and browser tests wait for them to be enabled).
  document.querySelectorAll("[data-needs-script]").forEach((button) => { button.disabled = false; });

  window.addEventListener("online", flush);
  window.addEventListener("offline", () => { sync.setProblem("network"); });
  setInterval(() => { if (sync.pending() && !sync.isSending()) flush(); }, RETRY_MS);
  guardLeaving(() => sync.pending(), O, fieldApp.scope);
  photosWaiting(config.task).then((waiting) => {
    waiting.forEach((photo) => {
      let entry = app.outbox.items.find((other) => other.kind === "photo" && other.client_id === photo.client_id);
      if (entry && entry.state === "sent") { photoForget(photo.client_id); return; }
      // A photo the first page kept with no outbox item: it goes after what is already waiting.
      if (!entry) entry = app.queue("photo", { client_id: photo.client_id, item_code: photo.item_code, source: "camera" });
      app.photos.set(photo.client_id, photo.blob);
      page.pendingThumb(photo);
    });
    page.refreshProgress();
    render();
    flush();
  });
}

function boot() {
  const configNode = document.getElementById("inspection-config");
  const appNode = document.getElementById("field-app");
  if (!appNode) return;
  if (!configNode) return;
  const fieldApp = JSON.parse(appNode.textContent);
  const config = JSON.parse(configNode.textContent);
  const who = { task: config.task, user: fieldApp.user, key: newClientId, time: deviceTime() };
  loadOutbox(who)
    .then((outbox) => start(config, fieldApp, outbox, true))
    .catch(() => {
      // No IndexedDB (a private window): work from memory, and say so.
      start(config, fieldApp, newOutbox(config.task, fieldApp.user), false);
    });
}

boot();
