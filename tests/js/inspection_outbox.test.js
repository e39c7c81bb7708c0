// Unit tests of static/js/inspection/outbox.js (the outbox of issue 14), run in Chromium by
// tests/e2e/test_js_units.py.
import { assertEqual, test } from "./harness.js";
import * as outbox from "../../static/js/inspection/outbox.js";

let counter = 0;
const key = () => "key-" + (counter += 1);
const TIME = "2026-12-07T10:15:03.120+07:00";
const item = (kind, fields, time = TIME) => outbox.makeItem(kind, 7, fields, key(), time);
const kinds = (box) => box.items.map((entry) => entry.kind + (entry.code || entry.iccid || ""));

const URLS = {
  checkin: "/c", answers: "/a", remarks: "/r", photo: "/p", sim: "/s", sim_remove: "/sr", checkout: "/co", submit: "/su",
};

export const tests = [
  // --- device time ---------------------------------------------------------------------------------
  test("device time: ISO 8601 with milliseconds and the phone's own offset", () => {
    const date = new Date(2026, 11, 7, 10, 15, 3, 120); // local time of the browser running the test
    const text = outbox.deviceTime(date);
    assertEqual(/^2026-12-07T10:15:03\.120[+-]\d\d:\d\d$/.test(text), true, text);
    assertEqual(new Date(text).getTime(), date.getTime(), "the same instant");
  }),
  test("device time: the offset is the browser's, sign and minutes included", () => {
    const date = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 5));
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    const expected = sign + String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0") + ":" + String(Math.abs(offset) % 60).padStart(2, "0");
    assertEqual(outbox.deviceTime(date).slice(-6), expected);
    assertEqual(new Date(outbox.deviceTime(date)).getTime(), date.getTime());
  }),

  // --- adding, in order -----------------------------------------------------------------------------
  test("items keep the order they were done in, each with its key, time and state", () => {
    const box = outbox.newOutbox(7, 3);
    outbox.addItem(box, item("checkin", { position: {}, location_note: "", label: "" }));
    outbox.addItem(box, item("answer", { code: "a", value: "YES", note: "" }));
    outbox.addItem(box, item("sim", { iccid: "1", note: "" }));
    assertEqual(kinds(box), ["checkin", "answera", "sim1"]);
    assertEqual(box.items.map((entry) => entry.state), ["waiting", "waiting", "waiting"]);
    assertEqual(new Set(box.items.map((entry) => entry.key)).size, 3);
    assertEqual(box.items[0].device_time, TIME);
  }),
  test("a newer answer to the same item replaces the waiting one in place, with the newer key and time", () => {
    const box = outbox.newOutbox(7, 3);
    outbox.addItem(box, item("answer", { code: "a", value: "YES", note: "" }));
    outbox.addItem(box, item("answer", { code: "b", value: "NO", note: "" }));
    const newer = item("answer", { code: "a", value: "NO", note: "x" }, "2026-12-07T10:16:00.000+07:00");
    outbox.addItem(box, newer);
    assertEqual(kinds(box), ["answera", "answerb"]);
    assertEqual(box.items[0].key, newer.key);
    assertEqual(box.items[0].value, "NO");
    assertEqual(box.items[0].device_time, "2026-12-07T10:16:00.000+07:00");
  }),
  test("an answer being sent is not replaced: the newer one goes after it", () => {
    const box = outbox.newOutbox(7, 3);
    const first = outbox.addItem(box, item("answer", { code: "a", value: "YES", note: "" }));
    outbox.setState(first, "sending");
    outbox.addItem(box, item("answer", { code: "a", value: "NO", note: "" }));
    assertEqual(box.items.map((entry) => entry.value), ["YES", "NO"]);
  }),
  test("a refused answer is replaced by the corrected one", () => {
    const box = outbox.newOutbox(7, 3);
    const first = outbox.addItem(box, item("answer", { code: "n", value: "abc", note: "" }));
    outbox.setState(first, "refused", "Enter a number.");
    outbox.addItem(box, item("answer", { code: "n", value: "3", note: "" }));
    assertEqual(box.items.length, 1);
    assertEqual([box.items[0].value, box.items[0].state, box.items[0].message], ["3", "waiting", ""]);
  }),
  test("what is done after a waiting submit goes before the check-out and submit", () => {
    const box = outbox.newOutbox(7, 3);
    outbox.addItem(box, item("checkout", { position: {} }));
    outbox.addItem(box, item("submit", { remarks: "" }));
    outbox.addItem(box, item("photo", { client_id: "p1", item_code: "", source: "camera" }));
    assertEqual(kinds(box), ["photo", "checkout", "submit"]);
  }),
  test("a SIM removed before it was sent is only forgotten; one recorded again cancels its removal", () => {
    const box = outbox.newOutbox(7, 3);
    outbox.addItem(box, item("sim", { iccid: "1", note: "" }));
    assertEqual(outbox.addItem(box, item("sim_remove", { iccid: "1" })), null);
    assertEqual(box.items.length, 0);
    outbox.addItem(box, item("sim_remove", { iccid: "2" }));
    outbox.addItem(box, item("sim", { iccid: "2", note: "" }));
    assertEqual(kinds(box), ["sim2"]);
  }),
  test("a photo not sent yet can be discarded; one on its way cannot", () => {
    const box = outbox.newOutbox(7, 3);
    outbox.addItem(box, item("photo", { client_id: "p1", item_code: "", source: "camera" }));
    const second = outbox.addItem(box, item("photo", { client_id: "p2", item_code: "", source: "gallery" }));
    assertEqual(outbox.discardPhoto(box, "p1"), true);
    outbox.setState(second, "sending");
    assertEqual(outbox.discardPhoto(box, "p2"), false);
    assertEqual(kinds(box), ["photo"]);
  }),

  // --- sending --------------------------------------------------------------------------------------
  test("the next item to send is the first waiting one; sent and refused ones are not pending", () => {
    const box = outbox.newOutbox(7, 3);
    const a = outbox.addItem(box, item("answer", { code: "a", value: "YES", note: "" }));
    const b = outbox.addItem(box, item("answer", { code: "b", value: "YES", note: "" }));
    const c = outbox.addItem(box, item("remarks", { remarks: "r" }));
    outbox.setState(a, "sent");
    outbox.setState(b, "refused", "no");
    assertEqual(outbox.nextToSend(box), c);
    assertEqual(outbox.hasPending(box), true);
    outbox.setState(c, "sent");
    assertEqual(outbox.nextToSend(box), null);
    assertEqual(outbox.hasPending(box), false);
    assertEqual(outbox.counts(box), { waiting: 0, sending: 0, sent: 2, refused: 1 });
  }),
  test("every request carries the item's device time; each endpoint its fields", () => {
    const cases = [
      [item("checkin", { position: { latitude: 1, longitude: 2, accuracy_m: 5 }, location_note: "n", label: "" }), "/c", { latitude: 1, longitude: 2, accuracy_m: 5, location_note: "n" }],
      [item("answer", { code: "a", value: "NO", note: "t" }), "/a", { answers: { a: { value: "NO", note: "t" } } }],
      [item("remarks", { remarks: "r" }), "/r", { remarks: "r" }],
      [item("sim", { iccid: "1", note: "x" }), "/s", { iccid: "1", note: "x" }],
      [item("sim_remove", { iccid: "1" }), "/sr", { iccid: "1" }],
      [item("photo", { client_id: "p", item_code: "", source: "gallery" }), "/p", { item_code: "", client_id: "p", source: "gallery" }],
      [item("photo_remove", { url: "/x/remove/" }), "/x/remove/", {}],
      [item("checkout", { position: {} }), "/co", {}],
      [item("submit", { remarks: "r" }), "/su", { remarks: "r" }],
    ];
    cases.forEach(([entry, url, fields]) => {
      const request = outbox.requestFor(entry, URLS);
      assertEqual(request.url, url, entry.kind);
      assertEqual(request.body, Object.assign({}, fields, { device_time: TIME }), entry.kind);
      assertEqual(Boolean(request.multipart), entry.kind === "photo", entry.kind);
    });
  }),

  // --- versions -------------------------------------------------------------------------------------
  test("the first page's localStorage outbox becomes items, in the order it sent them", () => {
    const old = JSON.stringify({
      checkin: { latitude: 21, longitude: 105, accuracy_m: 9, location_note: "" }, checkinLabel: "Checked in",
      answers: { a: { value: "YES", note: "" }, b: { value: "3", note: "n" } }, remarks: "r",
      sims: [{ iccid: "9", note: "" }], simRemovals: ["8"], photoRemovals: ["/p/1/remove/"], checkout: null, submit: false,
    });
    const box = outbox.upgradeOutbox(old, { task: 7, user: 3, key, time: TIME });
    assertEqual(box.version, outbox.OUTBOX_VERSION);
    assertEqual(kinds(box), ["checkin", "answera", "answerb", "remarks", "sim_remove8", "sim9", "photo_remove"]);
    assertEqual(box.items[0].position, { latitude: 21, longitude: 105, accuracy_m: 9 });
    assertEqual(box.checkinLabel, "Checked in");
    assertEqual(box.items.every((entry) => entry.state === "waiting" && entry.device_time === TIME && entry.key), true);
  }),
  test("a first-page outbox waiting to submit keeps its remarks with the submit", () => {
    const old = JSON.stringify({ answers: {}, remarks: "final", sims: [], simRemovals: [], photoRemovals: [], checkout: {}, submit: true });
    const box = outbox.upgradeOutbox(old, { task: 7, user: 3, key, time: TIME });
    assertEqual(kinds(box), ["checkout", "submit"]);
    assertEqual(box.items[1].remarks, "final");
  }),
  test("an outbox of this version is kept as it is; an item caught sending waits again, with its key", () => {
    const box = outbox.newOutbox(7, 3);
    const a = outbox.addItem(box, item("answer", { code: "a", value: "YES", note: "" }));
    outbox.setState(a, "sending");
    const again = outbox.upgradeOutbox(JSON.parse(JSON.stringify(box)), { task: 7, user: 3, key, time: TIME });
    assertEqual(again.items[0].state, "waiting");
    assertEqual(again.items[0].key, a.key);
  }),
  test("nothing stored, or unreadable text: an empty outbox", () => {
    assertEqual(outbox.upgradeOutbox(null, { task: 7, user: 3, key, time: TIME }).items, []);
    assertEqual(outbox.upgradeOutbox("{not json", { task: 7, user: 3, key, time: TIME }).items, []);
  }),

  // --- showing --------------------------------------------------------------------------------------
  test("labels name the checklist item by its number, SIMs by their ICCID", () => {
    const T = { kind_answer: "Answer to item %(n)s", kind_sim: "SIM %(iccid)s", kind_photo: "Photo", kind_photo_item: "Photo for item %(n)s", kind_submit: "Submit" };
    const position = (code) => ({ a: "4" })[code];
    assertEqual(outbox.itemLabel(item("answer", { code: "a" }), T, position), "Answer to item 4");
    assertEqual(outbox.itemLabel(item("sim", { iccid: "123" }), T, position), "SIM 123");
    assertEqual(outbox.itemLabel(item("photo", { item_code: "a" }), T, position), "Photo for item 4");
    assertEqual(outbox.itemLabel(item("photo", { item_code: "" }), T, position), "Photo");
    assertEqual(outbox.itemLabel(item("submit", {}), T, position), "Submit");
    assertEqual(outbox.itemClock(item("submit", {})), "10:15");
  }),
  test("storage: near the quota from 80 % used, in MB", () => {
    assertEqual(outbox.quotaState({ usage: 79 * 1048576, quota: 100 * 1048576 }), { near: false, used: 79, quota: 100 });
    assertEqual(outbox.quotaState({ usage: 80 * 1048576, quota: 100 * 1048576 }), { near: true, used: 80, quota: 100 });
    assertEqual(outbox.quotaState(null).near, false);
    assertEqual(outbox.quotaState({ usage: 5, quota: 0 }).near, false);
  }),
];
