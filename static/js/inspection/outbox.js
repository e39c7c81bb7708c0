// The outbox, pure part (issue 14): what the inspector did on the phone, as a list of items sent one by one,
// in order, each with its idempotency key (the same on every retry, so the server answers a replay with its
// first answer and never stores a second copy) and the device time the inspector did it at. No DOM, no
// network, no storage here: tests/js/inspection_outbox.test.js tests each function in a browser.
//
// An outbox: {version, task, user, items: [item], checkedIn, checkinLabel}. An item:
// {key, kind, task, device_time, state, message, ...what it carries}; kind and what it carries:
//   checkin {position, location_note, label} · answer {code, value, note} · remarks {remarks}
//   sim {iccid, note} · sim_remove {iccid} · photo {client_id, item_code, source}
//   photo_remove {url} · checkout {position} · submit {remarks}
// state: "waiting" (to send), "sending", "sent" (kept until the report is submitted: a page saved on the
// phone before they were sent shows them again), "refused" (with the server's message).
import { format, readOutbox } from "./logic.js";

export const OUTBOX_VERSION = 2;
export const KINDS = ["checkin", "answer", "remarks", "sim", "sim_remove", "photo", "photo_remove", "checkout", "submit"];
const LAST = ["checkout", "submit"]; // what stays at the end of the list

// --- time ------------------------------------------------------------------------------------------

function pad(number, width = 2) {
  return String(Math.trunc(Math.abs(number))).padStart(width, "0");
}

// The phone's clock as ISO 8601 with its own offset and milliseconds: "2026-12-07T10:15:03.120+07:00".
export function deviceTime(date = new Date()) {
  const offset = -date.getTimezoneOffset(); // minutes east of UTC
  const sign = offset >= 0 ? "+" : "-";
  return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
    pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) + "." +
    pad(date.getMilliseconds(), 3) + sign + pad(offset / 60) + ":" + pad(offset % 60);
}

// --- the outbox --------------------------------------------------------------------------------------

export function newOutbox(task, user) {
  return { version: OUTBOX_VERSION, task, user, items: [], checkedIn: false, checkinLabel: "" };
}

export function makeItem(kind, task, fields, key, time) {
  return Object.assign({ key, kind, task, device_time: time, state: "waiting", message: "" }, fields);
}

// The outbox as stored in any version, or the first page's localStorage text (version 1), as the current
// version. `key()` makes a new idempotency key, `time` is the device time given to migrated items (their
// own time was never recorded). An item caught "sending" when the page went away is waiting again: its
// retry carries the same key.
export function upgradeOutbox(stored, { task, user, key, time }) {
  if (stored && stored.version === OUTBOX_VERSION) {
    const outbox = Object.assign(newOutbox(task, user), stored);
    outbox.items.forEach((item) => { if (item.state === "sending") item.state = "waiting"; });
    return outbox;
  }
  const outbox = newOutbox(task, user);
  if (!stored) return outbox;
  const old = typeof stored === "string" ? readOutbox(stored) : readOutbox(JSON.stringify(stored));
  const add = (kind, fields) => { outbox.items.push(makeItem(kind, task, fields, key(), time)); };
  if (old.checkin) {
    const { location_note: note, ...position } = old.checkin;
    add("checkin", { position, location_note: note || "", label: old.checkinLabel || "" });
    outbox.checkinLabel = old.checkinLabel || "";
  }
  Object.keys(old.answers).forEach((code) => { add("answer", { code, value: old.answers[code].value, note: old.answers[code].note }); });
  if (old.remarks !== null && !old.submit) add("remarks", { remarks: old.remarks });
  old.simRemovals.forEach((iccid) => { add("sim_remove", { iccid }); });
  old.sims.forEach((sim) => { add("sim", { iccid: sim.iccid, note: sim.note || "" }); });
  old.photoRemovals.forEach((url) => { add("photo_remove", { url }); });
  if (old.checkout) add("checkout", { position: old.checkout });
  if (old.submit) add("submit", { remarks: old.remarks === null ? "" : old.remarks });
  return outbox;
}

function waitingOf(outbox, kind, match) {
  return outbox.items.find((item) => item.kind === kind && (item.state === "waiting" || item.state === "refused") && match(item));
}

function insert(outbox, item) {
  const at = LAST.includes(item.kind) ? -1 : outbox.items.findIndex((other) => LAST.includes(other.kind) && other.state !== "sent");
  if (at === -1) outbox.items.push(item); else outbox.items.splice(at, 0, item);
}

function remove(outbox, item) {
  const at = outbox.items.indexOf(item);
  if (at !== -1) outbox.items.splice(at, 1);
}

// A new action into the outbox. An answer or remarks not sent yet is replaced by the newer one (the newer
// key and time: the older was never answered); a SIM removed before it was sent is only forgotten; a removal
// waiting for a SIM recorded again is cancelled. Everything goes before a waiting check-out and submit.
export function addItem(outbox, item) {
  let replaced = null;
  if (item.kind === "answer") replaced = waitingOf(outbox, "answer", (other) => other.code === item.code);
  else if (item.kind === "remarks") replaced = waitingOf(outbox, "remarks", () => true);
  else if (item.kind === "checkin" || item.kind === "checkout" || item.kind === "submit") replaced = waitingOf(outbox, item.kind, () => true);
  else if (item.kind === "sim_remove") {
    const sim = waitingOf(outbox, "sim", (other) => other.iccid === item.iccid);
    if (sim) { remove(outbox, sim); return null; }
  } else if (item.kind === "sim") {
    const removal = waitingOf(outbox, "sim_remove", (other) => other.iccid === item.iccid);
    if (removal) remove(outbox, removal);
  }
  if (replaced) {
    outbox.items[outbox.items.indexOf(replaced)] = item;
  } else {
    insert(outbox, item);
  }
  if (item.kind === "checkin") outbox.checkinLabel = item.label || "";
  return item;
}

// A photo not sent yet, discarded by the inspector: forgotten (true), or already on its way (false).
export function discardPhoto(outbox, clientId) {
  const item = outbox.items.find((other) => other.kind === "photo" && other.client_id === clientId);
  if (!item || item.state === "sending" || item.state === "sent") return false;
  remove(outbox, item);
  return true;
}

export function pendingItems(outbox) {
  return outbox.items.filter((item) => item.state === "waiting" || item.state === "sending");
}

export function hasPending(outbox) {
  return pendingItems(outbox).length > 0;
}

export function nextToSend(outbox) {
  return outbox.items.find((item) => item.state === "waiting") || null;
}

export function setState(item, state, message = "") {
  item.state = state;
  item.message = message;
}

export function counts(outbox) {
  const result = { waiting: 0, sending: 0, sent: 0, refused: 0 };
  outbox.items.forEach((item) => { result[item.state] += 1; });
  return result;
}

// --- sending -----------------------------------------------------------------------------------------

// The request that sends one item: the endpoint (config.urls), and the fields of its body, device_time
// included (a photo's body is multipart: its file is added by the caller).
export function requestFor(item, urls) {
  const time = { device_time: item.device_time };
  switch (item.kind) {
    case "checkin": return { url: urls.checkin, body: Object.assign({}, item.position, { location_note: item.location_note }, time) };
    case "answer": return { url: urls.answers, body: Object.assign({ answers: { [item.code]: { value: item.value, note: item.note } } }, time) };
    case "remarks": return { url: urls.remarks, body: Object.assign({ remarks: item.remarks }, time) };
    case "sim": return { url: urls.sim, body: Object.assign({ iccid: item.iccid, note: item.note }, time) };
    case "sim_remove": return { url: urls.sim_remove, body: Object.assign({ iccid: item.iccid }, time) };
    case "photo": return { url: urls.photo, multipart: true, body: Object.assign({ item_code: item.item_code || "", client_id: item.client_id, source: item.source }, time) };
    case "photo_remove": return { url: item.url, body: time };
    case "checkout": return { url: urls.checkout, body: Object.assign({}, item.position, time) };
    case "submit": return { url: urls.submit, body: Object.assign({ remarks: item.remarks }, time) };
    default: throw new Error("unknown item kind " + item.kind);
  }
}

// --- showing -----------------------------------------------------------------------------------------

// What an item is, in the inspector's words (T: offline_text of inspections/views/offline.py);
// `position(code)` is the item's number on the checklist.
export function itemLabel(item, T, position) {
  if (item.kind === "answer") return format(T.kind_answer, { n: position(item.code) || item.code });
  if (item.kind === "photo" && item.item_code) return format(T.kind_photo_item, { n: position(item.item_code) || item.item_code });
  if (item.kind === "sim" || item.kind === "sim_remove") return format(T["kind_" + item.kind], { iccid: item.iccid });
  return T["kind_" + item.kind] || item.kind;
}

// The time of day an item was done, as the phone shows it (HH:MM from its device time).
export function itemClock(item) {
  const match = /T(\d\d:\d\d)/.exec(item.device_time || "");
  return match ? match[1] : "";
}

// --- storage pressure --------------------------------------------------------------------------------

export const NEAR_QUOTA = 0.8;

// navigator.storage.estimate()'s answer: near the quota (a warning is shown), and the MB to show.
export function quotaState(estimate) {
  if (!estimate || !estimate.quota) return { near: false, used: 0, quota: 0 };
  const mb = (bytes) => Math.round((bytes / (1024 * 1024)) * 10) / 10;
  return { near: estimate.usage / estimate.quota >= NEAR_QUOTA, used: mb(estimate.usage || 0), quota: mb(estimate.quota) };
}
