// What is waiting to be sent, kept on the phone: the outbox as JSON in localStorage (one key per task) and
// the photos as Blobs in IndexedDB (kept in memory only where IndexedDB is missing). The key, database and
// record shapes are those of the page's first script: an update must find what an inspector left unsent.
import { readOutbox } from "./logic.js";

const PHOTO_DB = "inspection-photos";
const PHOTO_STORE = "photos";

function outboxKey(task) {
  return "inspection-task-" + task;
}

export function loadOutbox(task) {
  return readOutbox(localStorage.getItem(outboxKey(task)));
}

export function saveOutbox(task, outbox) {
  localStorage.setItem(outboxKey(task), JSON.stringify(outbox));
}

export function forgetOutbox(task) {
  localStorage.removeItem(outboxKey(task));
}

// --- photo blobs: {client_id, task, item_code, blob} by client_id ----------------------------------
let dbPromise = null;

// Runs `action` on the photo store; resolves with its request's result, or null when there is no
// IndexedDB or it fails (the photo then lives in memory only, as before).
function photoStore(mode, action) {
  if (!window.indexedDB) return Promise.resolve(null);
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(PHOTO_DB, 1);
      request.onupgradeneeded = () => { request.result.createObjectStore(PHOTO_STORE, { keyPath: "client_id" }); };
      request.onsuccess = () => { resolve(request.result); };
      request.onerror = () => { reject(request.error); };
    });
  }
  return dbPromise.then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(PHOTO_STORE, mode);
    const request = action(tx.objectStore(PHOTO_STORE));
    tx.oncomplete = () => { resolve(request.result); };
    tx.onerror = () => { reject(tx.error); };
  })).catch(() => null);
}

export function photoKeep(photo) {
  return photoStore("readwrite", (store) => store.put(photo));
}

export function photoForget(clientId) {
  return photoStore("readwrite", (store) => store.delete(clientId));
}

export function photosWaiting(task) {
  return photoStore("readonly", (store) => store.getAll())
    .then((all) => (all || []).filter((photo) => photo.task === task));
}
