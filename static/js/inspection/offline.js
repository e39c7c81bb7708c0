// The field app with no network (issue 14), the page side: the service worker (sw.js, served by
// inspections/views/offline.py) is registered and asked to keep field pages; the phone is asked to keep the
// app's storage (navigator.storage.persist) and how full it is shown near the quota; leaving a page or signing
// out warns while changes are unsent, and signing out drops the saved pages and photos.
import { format } from "./logic.js";
import { pendingItems, quotaState } from "./outbox.js";
import { allOutboxes, legacyOutboxes } from "./storage.js";

const PAGES = "field-pages";
const PHOTOS = "field-photos";
const OWNER = "field-app-user"; // whose pages the worker keeps (a user id: no personal data)
const ASK_MS = 15000;

// Saved pages are one inspector's: another account on this phone starts with none.
export function forgetSaved() {
  if (!window.caches) return Promise.resolve();
  return Promise.all([caches.delete(PAGES), caches.delete(PHOTOS)]).then(() => undefined, () => undefined);
}

export function registerWorker(fieldApp) {
  try {
    const owner = localStorage.getItem(OWNER);
    if (owner !== null && owner !== String(fieldApp.user)) forgetSaved();
    localStorage.setItem(OWNER, String(fieldApp.user));
  } catch (e) { /* no localStorage: nothing to compare */ }
  if (!("serviceWorker" in navigator)) return Promise.resolve(null);
  return navigator.serviceWorker.register(fieldApp.worker, { scope: fieldApp.scope }).catch(() => null);
}

// Ask the worker to keep these field pages now; resolves with the URLs it kept ([] without a worker).
export function savePages(urls) {
  if (!("serviceWorker" in navigator) || !urls.length) return Promise.resolve([]);
  const timeout = new Promise((resolve) => { setTimeout(() => resolve([]), ASK_MS); });
  const asked = navigator.serviceWorker.ready.then((registration) => new Promise((resolve) => {
    const worker = registration.active;
    if (!worker) { resolve([]); return; }
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => { resolve((event.data && event.data.saved) || []); };
    worker.postMessage({ type: "save-pages", urls }, [channel.port2]);
  }));
  return Promise.race([asked, timeout]);
}

// Changes not sent yet, in every task of this inspector on the phone (and any the first page left).
export function unsentCount(user) {
  return allOutboxes(user).then((outboxes) => outboxes.reduce((n, outbox) => n + pendingItems(outbox).length, 0) +
    legacyOutboxes().length);
}

// Leaving the page (reload, closing, another site) while changes wait: the browser asks first. Going to
// another field page does not ask: the outbox stays on the phone and that page sends it on.
export function guardLeaving(pending, T, scope) {
  let inApp = false;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    inApp = Boolean(link && link.origin === location.origin && link.pathname.startsWith(scope));
  }, true);
  window.addEventListener("beforeunload", (event) => {
    if (inApp || leavingAllowed || !pending()) return;
    event.preventDefault();
    event.returnValue = T.unsent_leave; // older browsers show their own words anyway
  });
}

let leavingAllowed = false;

// Signing out: while changes wait, the inspector confirms first (they stay on the phone for the next
// sign-in); either way the saved pages and photos are dropped before the form goes.
export function guardSignOut(fieldApp) {
  const form = document.querySelector("form.logout-form");
  if (!form) return;
  let confirmed = false;
  form.addEventListener("submit", (event) => {
    if (confirmed) return;
    event.preventDefault();
    unsentCount(fieldApp.user).then((n) => {
      if (n && !window.confirm(format(fieldApp.text.unsent_signout, { n }))) return;
      confirmed = true;
      leavingAllowed = true;
      return forgetSaved().then(() => { form.submit(); });
    });
  });
}

// Ask the phone to keep the app's storage (not cleared under pressure), and warn near its quota.
export function watchStorage(T, show) {
  if (!navigator.storage) return Promise.resolve(null);
  const persist = navigator.storage.persist ? navigator.storage.persisted().then((done) => done || navigator.storage.persist()).catch(() => false) : Promise.resolve(false);
  return persist.then(() => (navigator.storage.estimate ? navigator.storage.estimate() : null)).then((estimate) => {
    const state = quotaState(estimate);
    if (state.near && show) show(format(T.storage_low, { used: state.used, quota: state.quota }));
    return state;
  }).catch(() => null);
}
