// Every page of a field inspector (templates/base.html loads it through {% field_app_head %}): the service
// worker that keeps the field pages for use with no network, the sign-out that warns while changes are
// unsent, the storage the phone is asked to keep. On "My tasks" (templates/inspections/field/my_tasks.html)
// every task page listed is saved for use offline, each card says whether it is, and how many changes
// wait on the phone for it.
import { format } from "./logic.js";
import { counts } from "./outbox.js";
import { guardSignOut, registerWorker, savePages, watchStorage } from "./offline.js";
import { allOutboxes } from "./storage.js";

function notice(text) {
  const box = document.querySelector("[data-field-notice]");
  if (!box) return;
  box.textContent = text;
  box.hidden = !text;
}

function myTasks(fieldApp) {
  const list = document.querySelector("[data-my-tasks]");
  if (!list) return;
  const T = fieldApp.text;
  const cards = Array.from(list.querySelectorAll("[data-task-page]"));
  const mark = (card, state) => {
    const badge = card.querySelector("[data-offline-state]");
    if (!badge) return;
    badge.dataset.offlineState = state;
    badge.textContent = T["offline_" + state];
  };
  if (navigator.onLine === false) notice(T.offline_now);
  window.addEventListener("offline", () => { notice(T.offline_now); });
  window.addEventListener("online", () => { notice(""); });
  // What waits on the phone, per task.
  allOutboxes(fieldApp.user).then((outboxes) => {
    outboxes.forEach((outbox) => {
      const c = counts(outbox);
      const card = list.querySelector('[data-task-page][data-task="' + outbox.task + '"]');
      const box = card && card.querySelector("[data-task-waiting]");
      if (box && c.waiting + c.sending) {
        box.textContent = format(T.waiting_here, { n: c.waiting + c.sending });
        box.hidden = false;
      }
    });
  });
  if (navigator.onLine === false && window.caches) {
    // With no network: which task pages this phone has (they open), and which it never saved.
    caches.open("field-pages").then((cache) => Promise.all(cards.map((card) => cache.match(location.origin + card.dataset.taskPage, { ignoreVary: true })
      .then((page) => { mark(card, page ? "ready" : "missing"); }))));
    return;
  }
  if (!("serviceWorker" in navigator)) return;
  cards.forEach((card) => { mark(card, "saving"); });
  const urls = [location.pathname, ...cards.map((card) => card.dataset.taskPage)];
  savePages(urls).then((saved) => {
    cards.forEach((card) => { mark(card, saved.includes(card.dataset.taskPage) ? "ready" : "failed"); });
    list.dataset.offlineReady = saved.includes(location.pathname) ? "yes" : "no";
  });
}

function boot() {
  const node = document.getElementById("field-app");
  if (!node) return;
  const fieldApp = JSON.parse(node.textContent);
  registerWorker(fieldApp);
  guardSignOut(fieldApp);
  watchStorage(fieldApp.text, notice);
  myTasks(fieldApp);
}

boot();
