// What is waiting to be sent, kept on the phone in IndexedDB (issue 14): the outbox of each task (store
// "outbox", one record per inspector and task, outbox.js) and the photos as Blobs (store "photos", by
// client_id). The database is the first page's photo database, upgraded: the photos it kept stay where they
// were, and the outbox the first page kept in localStorage ("inspection-task-<task id>") moves into it the
// first time the task opens (then the localStorage copy goes). An update of the app never loses either.
import { addItem, upgradeOutbox } from "./outbox.js";

const DB_NAME = "inspection-photos";
const DB_VERSION = 2; // 1: photos only (the first page); 2: + outbox
const PHOTOS = "photos";
const OUTBOX = "outbox";

function legacyKey(task) {
  return "inspection-task-" + task;
}

let dbPromise = null;

export function openDb() {
  if (!window.indexedDB) return Promise.reject(new Error("no IndexedDB"));
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) db.createObjectStore(PHOTOS, { keyPath: "client_id" });
        if (event.oldVersion < 2) db.createObjectStore(OUTBOX, { keyPath: "id" });
      };
      request.onsuccess = () => {
        // Another tab opening a newer version: let it, this page reloads into it.
        request.result.onversionchange = () => { request.result.close(); dbPromise = null; };
        resolve(request.result);
      };
      request.onerror = () => { reject(request.error); };
      request.onblocked = () => { reject(new Error("blocked")); };
    });
    dbPromise.catch(() => { dbPromise = null; });
  }
  return dbPromise;
}

// Runs `action` on one store; resolves with its request's result once the transaction is committed, rejects
// when it fails (a full disk: QuotaExceededError).
function inStore(name, mode, action) {
  return openDb().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const request = action(tx.objectStore(name));
    tx.oncomplete = () => { resolve(request.result); };
    tx.onerror = () => { reject(tx.error); };
    tx.onabort = () => { reject(tx.error || new Error("aborted")); };
  }));
}

function outboxId(user, task) {
  return user + ":" + task;
}

// The task's outbox, migrated to the current version (from localStorage the first time). Rejects without
// IndexedDB: the caller then keeps the outbox in memory and says so.
export function loadOutbox({ task, user, key, time }) {
  return inStore(OUTBOX, "readonly", (store) => store.get(outboxId(user, task))).then((stored) => {
    const legacy = window.localStorage ? localStorage.getItem(legacyKey(task)) : null;
    const outbox = upgradeOutbox(stored ? stored.outbox : null, { task, user, key, time });
    if (legacy === null) return outbox;
    // What the first page left goes after what this outbox holds (a tab of the first page still open after the
    // update may have written it), then leaves localStorage once it is safe in IndexedDB.
    upgradeOutbox(legacy, { task, user, key, time }).items.forEach((item) => { addItem(outbox, item); });
    if (!outbox.checkinLabel) outbox.checkinLabel = upgradeOutbox(legacy, { task, user, key, time }).checkinLabel;
    return saveOutbox(outbox).then(() => { localStorage.removeItem(legacyKey(task)); return outbox; });
  });
}

// Writes are queued so that they land in the order they were asked for.
let writes = Promise.resolve();

export function saveOutbox(outbox) {
  const copy = JSON.parse(JSON.stringify(outbox));
  const write = writes.then(() => inStore(OUTBOX, "readwrite", (store) => store.put({ id: outboxId(outbox.user, outbox.task), outbox: copy })));
  writes = write.catch(() => undefined);
  return write;
}

export function forgetOutbox(outbox) {
  const write = writes.then(() => inStore(OUTBOX, "readwrite", (store) => store.delete(outboxId(outbox.user, outbox.task))));
  writes = write.catch(() => undefined);
  return write;
}

// Every outbox of this inspector on the phone (My tasks shows what waits where; signing out warns).
export function allOutboxes(user) {
  return inStore(OUTBOX, "readonly", (store) => store.getAll())
    .then((records) => records.filter((record) => String(record.outbox.user) === String(user)).map((record) => record.outbox))
    .catch(() => []);
}

// Outboxes the first page left in localStorage and no page opened since (they count as unsent too).
export function legacyOutboxes() {
  if (!window.localStorage) return [];
  const found = [];
  for (let i = 0; i < localStorage.length; i += 1) {
    const name = localStorage.key(i);
    if (name && name.startsWith("inspection-task-")) found.push(name.slice("inspection-task-".length));
  }
  return found;
}

// --- photo blobs: {client_id, task, item_code, blob} by client_id --------------------------------------

// Resolves once the photo is on the phone; rejects when it cannot be kept (the page says so).
export function photoKeep(photo) {
  return inStore(PHOTOS, "readwrite", (store) => store.put(photo));
}

export function photoForget(clientId) {
  return inStore(PHOTOS, "readwrite", (store) => store.delete(clientId)).catch(() => null);
}

export function photoGet(clientId) {
  return inStore(PHOTOS, "readonly", (store) => store.get(clientId)).catch(() => null);
}

export function photosWaiting(task) {
  return inStore(PHOTOS, "readonly", (store) => store.getAll())
    .then((all) => (all || []).filter((photo) => photo.task === task))
    .catch(() => []);
}
