// The inspector's task page (templates/inspections/field/task_work.html). Every change is kept on the phone
// first (storage.js) and then sent, in order, whenever the network allows (sync.js): on each change, when
// the browser says it is back online, and on a timer. Nothing typed is lost to a bad connection, and a
// reload shows what is still waiting to be sent. The page passes its settings and words as JSON
// (json_script "inspection-config").
import { setupCheckin } from "./checkin.js";
import { newClientId, resize } from "./camera.js";
import {
  forgetAnswersExcept, iccidCheck, queueAnswer, queuePhotoRemoval, queueRemarks, queueSim, queueSimRemoval,
  queueSubmit,
} from "./logic.js";
import { createPage } from "./page.js";
import { loadOutbox, photoKeep, photoForget, photosWaiting, saveOutbox } from "./storage.js";
import { createSync } from "./sync.js";

const RETRY_MS = 15000;
const TYPING_MS = 800;
const CHECKOUT_GEO_OPTIONS = { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 };

function start(configNode) {
  const config = JSON.parse(configNode.textContent);
  const T = config.text;
  const page = createPage(T);
  const form = page.form;
  const app = {
    config,
    T,
    state: loadOutbox(config.task), // the outbox (logic.js)
    photos: [], // photos waiting: {client_id, task, item_code, blob}
    located: null, // {position, distance} of a check-in waiting for a reason
    save() { saveOutbox(config.task, app.state); },
    showForm() { page.showForm(!config.checked_in ? app.state.checkinLabel : ""); },
  };
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
    queueAnswer(app.state, item.dataset.item, page.answerOf(item));
    app.save();
    render();
    page.itemError(item.dataset.item, "");
    page.refreshItem(item);
    page.refreshProgress();
    sendSoon(typing);
  }

  function remarksChanged(typing) {
    queueRemarks(app.state, page.remarksBox.value);
    app.save();
    render();
    sendSoon(typing);
  }

  // --- photos -----------------------------------------------------------------------------------
  function photoChosen(input) {
    const files = Array.from(input.files || []);
    const code = input.dataset.itemCode || "";
    input.value = ""; // the same photo may be chosen again
    files.forEach((file) => {
      resize(file).then((blob) => {
        const photo = { client_id: newClientId(), task: config.task, item_code: code, blob };
        app.photos.push(photo);
        page.pendingThumb(photo);
        page.refreshProgress();
        page.itemError(code, "");
        return photoKeep(photo).then(flush);
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
      app.photos = app.photos.filter((photo) => photo.client_id !== clientId);
      photoForget(clientId);
      target.closest("figure").remove();
      page.refreshProgress();
      render();
    } else if (target.matches("[data-photo-remove]")) {
      queuePhotoRemoval(app.state, target.dataset.photoRemove);
      app.save();
      target.closest("figure").remove();
      page.refreshProgress();
      flush();
    } else if (target.matches("[data-sim-remove]")) {
      queueSimRemoval(app.state, target.dataset.simRemove);
      app.save();
      target.closest("li").remove();
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
      queueSim(app.state, sim);
      app.save();
      page.pendingSimRow(sim);
    }
    checkIccid();
    flush();
  });

  // --- check-out and submit ---------------------------------------------------------------------
  document.querySelector("[data-action=submit]").addEventListener("click", () => {
    const problems = page.missing();
    if (problems.length) { page.showProblems(problems, T.submit_blocked); return; }
    page.setSubmitMessage("");
    const queue = (position) => {
      queueSubmit(app.state, position, page.remarksBox.value);
      app.save();
      flush();
      render();
    };
    if (!navigator.geolocation) { queue(null); return; }
    navigator.geolocation.getCurrentPosition((found) => {
      queue({ latitude: found.coords.latitude, longitude: found.coords.longitude, accuracy_m: Math.round(found.coords.accuracy) });
    }, () => { queue(null); }, CHECKOUT_GEO_OPTIONS);
  });

  // --- start: put back what is still waiting, then send it --------------------------------------
  Object.keys(app.state.answers).forEach((code) => {
    const item = page.item(code);
    if (item) page.applyAnswer(item, app.state.answers[code]);
  });
  forgetAnswersExcept(app.state, (code) => Boolean(page.item(code)));
  if (app.state.remarks !== null) page.remarksBox.value = app.state.remarks;
  app.state.sims.forEach((sim) => { if (!page.simRow(sim.iccid)) page.pendingSimRow(sim); });
  app.state.simRemovals.forEach(page.hideSim);
  app.state.photoRemovals.forEach(page.hidePhoto);
  if (config.checked_in || app.state.checkin) app.showForm();
  page.items().forEach(page.refreshItem);
  page.refreshProgress();
  render();

  // The buttons that only this script can act on stay disabled until it is wired (a tap before that
  // would do nothing, and browser tests wait for them to be enabled).
  document.querySelectorAll("[data-needs-script]").forEach((button) => { button.disabled = false; });

  window.addEventListener("online", flush);
  window.addEventListener("offline", () => { sync.setProblem("network"); });
  setInterval(() => { if (sync.pending() && !sync.isSending()) flush(); }, RETRY_MS);
  photosWaiting(config.task).then((waiting) => {
    waiting.forEach((photo) => { app.photos.push(photo); page.pendingThumb(photo); });
    page.refreshProgress();
    flush();
  });
}

const configNode = document.getElementById("inspection-config");
if (configNode) start(configNode);
