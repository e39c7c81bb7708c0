// Unit tests of static/js/inspection/logic.js, run in Chromium by tests/e2e/test_js_units.py.
// globalThis.serverCases holds the server's own answers (computed by calling its Python functions) on the
// inputs below and more: the phone must agree with the server on each.
import { assertClose, assertEqual, test } from "./harness.js";
import * as logic from "../../static/js/inspection/logic.js";

const server = globalThis.serverCases;

// One case per row of a table the server filled, so a disagreement names its input.
function agreesWithServer(table, name, check) {
  return server[table].map((row) => test(name + " " + JSON.stringify(row.input), () => check(row.input, row.expected)));
}

export const tests = [
  // --- Luhn and ICCID ----------------------------------------------------------------------------
  test("luhn: the textbook number passes, a changed last digit fails", () => {
    assertEqual(logic.luhnValid("79927398713"), true);
    assertEqual(logic.luhnValid("79927398710"), false);
  }),
  test("luhn: a 19- and a 20-digit ICCID", () => {
    assertEqual(logic.luhnValid("8984048000000000019"), true);
    assertEqual(logic.luhnValid("89840480000000000127"), true);
    assertEqual(logic.luhnValid("89840480000000000128"), false);
  }),
  test("luhn: empty, letters and spaces are not valid; a single 0 is", () => {
    assertEqual(logic.luhnValid(""), false);
    assertEqual(logic.luhnValid("7992739871a"), false);
    assertEqual(logic.luhnValid("7992 7398 713"), false);
    assertEqual(logic.luhnValid("0"), true);
  }),
  test("luhn: two swapped neighbours are caught", () => {
    assertEqual(logic.luhnValid("79927398731"), false);
  }),
  test("iccid: grouped by spaces as printed, it is read without them", () => {
    assertEqual(logic.iccidCheck(" 8984 0480 0000 0000 019 "), { digits: "8984048000000000019", length: 19, verdict: "ok" });
  }),
  test("iccid: empty, short, long, not digits, wrong check digit", () => {
    assertEqual(logic.iccidCheck("   ").verdict, "empty");
    assertEqual(logic.iccidCheck("898404800000000001").verdict, "length");
    assertEqual(logic.iccidCheck("898404800000000001271").verdict, "length");
    assertEqual(logic.iccidCheck("898404800000000001X").verdict, "length");
    assertEqual(logic.iccidCheck("8984048000000000018").verdict, "bad");
    assertEqual(logic.iccidCheck("898404800000000001").length, 18);
  }),
  ...agreesWithServer("iccid", "iccid: as sim_add judges", (input, expected) => {
    assertEqual(logic.iccidCheck(input).verdict, expected);
  }),
  ...agreesWithServer("luhn", "luhn: as stdnum.luhn.is_valid", (input, expected) => {
    assertEqual(logic.luhnValid(input), expected);
  }),

  // --- distance ----------------------------------------------------------------------------------
  test("distance: zero between a point and itself", () => {
    assertEqual(logic.haversineM(21.0245, 105.8572, 21.0245, 105.8572), 0);
  }),
  test("distance: one degree along a meridian, a quarter and half of the equator", () => {
    const radius = logic.EARTH_RADIUS_M;
    assertClose(logic.haversineM(10, 105, 11, 105), radius * Math.PI / 180, 1e-6);
    assertClose(logic.haversineM(0, 0, 0, 90), radius * Math.PI / 2, 1e-6);
    assertClose(logic.haversineM(0, 0, 0, 180), radius * Math.PI, 1e-6);
  }),
  test("distance: the same both ways", () => {
    assertEqual(logic.haversineM(21.0248, 105.8574, 10.7769, 106.7009), logic.haversineM(10.7769, 106.7009, 21.0248, 105.8574));
  }),
  ...agreesWithServer("haversine", "distance: as fieldwork.haversine_m", (input, expected) => {
    assertClose(logic.haversineM(...input), expected, 1e-6);
  }),
  test("check-in distance: to 0.1 m, from the position kept to 6 decimals; none without a point or position", () => {
    const point = { latitude: 21.0245, longitude: 105.8572 };
    assertEqual(logic.checkinDistanceM({ latitude: 21.0245, longitude: 105.8572 }, point), 0);
    assertEqual(logic.checkinDistanceM({ latitude: 21.02450049, longitude: 105.8572 }, point), 0);
    assertEqual(logic.checkinDistanceM({ latitude: 21.0248, longitude: 105.8574 }, null), null);
    assertEqual(logic.checkinDistanceM({}, point), null);
  }),
  ...agreesWithServer("checkin", "check-in distance: as fieldwork.inspection_check_in", (input, expected) => {
    assertEqual(logic.checkinDistanceM(input.position, input.point), expected);
  }),
  test("rounding to 0.1 as Python's round(): half to even on the exact value", () => {
    assertEqual(logic.roundTenth(0.25), 0.2);
    assertEqual(logic.roundTenth(0.75), 0.8);
    assertEqual(logic.roundTenth(0.15), 0.1); // 0.1499999... as a float
    assertEqual(logic.roundTenth(200.04), 200);
    assertEqual(logic.roundTenth(0.04), 0);
  }),
  test("too far: only beyond the limit, never without a distance", () => {
    assertEqual(logic.tooFar(200, 200), false);
    assertEqual(logic.tooFar(200.1, 200), true);
    assertEqual(logic.tooFar(null, 200), false);
  }),

  // --- failing answer ----------------------------------------------------------------------------
  test("failing answer: YES_NO_NA fails on the rule's answer, any case, never on another", () => {
    assertEqual(logic.failingAnswer("YES_NO_NA", "NO", "NO"), true);
    assertEqual(logic.failingAnswer("YES_NO_NA", "NO", " no "), true);
    assertEqual(logic.failingAnswer("YES_NO_NA", "NO", "YES"), false);
    assertEqual(logic.failingAnswer("YES_NO_NA", "NO", "NA"), false);
    assertEqual(logic.failingAnswer("YES_NO_NA", "YES", "YES"), true);
  }),
  test("failing answer: NUMBER against >n and <n, with a comma or exponent", () => {
    assertEqual(logic.failingAnswer("NUMBER", ">0", "1"), true);
    assertEqual(logic.failingAnswer("NUMBER", ">0", "0"), false);
    assertEqual(logic.failingAnswer("NUMBER", ">0", "0,5"), true);
    assertEqual(logic.failingAnswer("NUMBER", "<1", "0.999"), true);
    assertEqual(logic.failingAnswer("NUMBER", "<1", "1e0"), false);
    assertEqual(logic.failingAnswer("NUMBER", ">-2", "-1.5"), true);
    assertEqual(logic.failingAnswer("NUMBER", "<-2", "-2.5"), true);
    assertEqual(logic.failingAnswer("NUMBER", ">1", "1.0000000000000000000001"), true);
  }),
  test("failing answer: a number the server refuses never fails", () => {
    assertEqual(logic.failingAnswer("NUMBER", ">0", "abc"), false);
    assertEqual(logic.failingAnswer("NUMBER", ">0", "Infinity"), false);
    assertEqual(logic.failingAnswer("NUMBER", ">0", "1,5,5"), false);
  }),
  test("failing answer: blank answer or rule, TEXT and PHOTO never fail", () => {
    assertEqual(logic.failingAnswer("YES_NO_NA", "NO", ""), false);
    assertEqual(logic.failingAnswer("YES_NO_NA", "", "NO"), false);
    assertEqual(logic.failingAnswer("NUMBER", ">0", "   "), false);
    assertEqual(logic.failingAnswer("TEXT", "NO", "NO"), false);
    assertEqual(logic.failingAnswer("PHOTO", ">0", "5"), false);
    assertEqual(logic.failingAnswer("NUMBER", "=0", "0"), false);
  }),
  ...agreesWithServer("failing", "failing answer: as _clean_value then ChecklistItem.fails", (input, expected) => {
    assertEqual(logic.failingAnswer(...input), expected);
  }),
  test("submitting: an item's problem and whether it counts as answered", () => {
    assertEqual(logic.itemProblem({ kind: "YES_NO_NA", answered: "", hasPhoto: false, requiresPhoto: false }), "unanswered");
    assertEqual(logic.itemProblem({ kind: "YES_NO_NA", answered: "NO", hasPhoto: false, requiresPhoto: true }), "photo");
    assertEqual(logic.itemProblem({ kind: "YES_NO_NA", answered: "NO", hasPhoto: true, requiresPhoto: true }), "");
    assertEqual(logic.itemProblem({ kind: "PHOTO", answered: "", hasPhoto: false, requiresPhoto: false }), "photo");
    assertEqual(logic.itemProblem({ kind: "PHOTO", answered: "", hasPhoto: true, requiresPhoto: false }), "");
    assertEqual(logic.itemAnswered({ kind: "PHOTO", answered: "", hasPhoto: true }), true);
    assertEqual(logic.itemAnswered({ kind: "NUMBER", answered: "", hasPhoto: true }), false);
  }),

  // --- the first page's outbox (localStorage), read once to move it into IndexedDB (outbox.js) ------
  test("outbox: read back as the first version of the page stored it", () => {
    const stored = '{"checkin":null,"checkinLabel":"Checked in · 40 m","answers":{"camera":{"value":"NO","note":"x"}},' +
      '"remarks":"r","sims":[{"iccid":"8984048000000000019","note":""}],"simRemovals":[],"photoRemovals":["/p/1/remove/"],' +
      '"checkout":null,"submit":false}';
    const outbox = logic.readOutbox(stored);
    assertEqual(outbox.answers.camera, { value: "NO", note: "x" });
    assertEqual(outbox.sims[0].iccid, "8984048000000000019");
    assertEqual(outbox.photoRemovals, ["/p/1/remove/"]);
    assertEqual(outbox.checkinLabel, "Checked in · 40 m");
    assertEqual(JSON.parse(JSON.stringify(outbox)), JSON.parse(stored), "written back unchanged");
  }),
  test("outbox: nothing stored or unreadable starts empty; missing fields take their defaults", () => {
    assertEqual(logic.readOutbox(null), logic.emptyOutbox());
    assertEqual(logic.readOutbox("{not json"), logic.emptyOutbox());
    assertEqual(logic.readOutbox('{"remarks":"kept"}').sims, []);
    assertEqual(logic.readOutbox('{"remarks":"kept"}').remarks, "kept");
  }),

  // --- server answers and the sync line ------------------------------------------------------------
  test("response: 404 gone, redirect or 403 signed out, not JSON network, else read", () => {
    assertEqual(logic.responseProblem({ status: 404, redirected: false, contentType: "application/json" }), "gone");
    assertEqual(logic.responseProblem({ status: 200, redirected: true, contentType: "text/html" }), "signed_out");
    assertEqual(logic.responseProblem({ status: 403, redirected: false, contentType: "text/html" }), "signed_out");
    assertEqual(logic.responseProblem({ status: 502, redirected: false, contentType: "text/html" }), "network");
    assertEqual(logic.responseProblem({ status: 200, redirected: false, contentType: null }), "network");
    assertEqual(logic.responseProblem({ status: 400, redirected: false, contentType: "application/json; charset=utf-8" }), "");
  }),
  test("response: a refusal is a 400 or a 409 (key conflict); a JSON error with another status is the network", () => {
    assertEqual(logic.answerProblem({ ok: false }, 400), "");
    assertEqual(logic.answerProblem({ ok: false }, 409), "");
    assertEqual(logic.answerProblem({ ok: true }, 200), "");
    assertEqual(logic.answerProblem({ ok: false }, 500), "network");
  }),
  test("sending: the reason thrown, anything unknown being the network", () => {
    ["signed_out", "gone", "refused"].forEach((reason) => assertEqual(logic.sendingProblem(reason), reason));
    assertEqual(logic.sendingProblem(new TypeError("x")), "network");
    assertEqual(logic.sendingProblem("network"), "network");
  }),
  test("a refusal closes the task unless it is still assigned, in progress or returned", () => {
    assertEqual(logic.taskClosed({ status: "SUBMITTED" }), true);
    assertEqual(logic.taskClosed({ status: "ACCEPTED" }), true);
    ["ASSIGNED", "IN_PROGRESS", "RETURNED"].forEach((status) => assertEqual(logic.taskClosed({ status }), false, status));
    assertEqual(logic.taskClosed({}), false);
  }),
  test("sync line: signed out or gone first, then sending, refused, waiting, sent", () => {
    assertEqual(logic.syncStatus({ problem: "gone", sending: true, pending: true }), { kind: "error", text: "gone" });
    assertEqual(logic.syncStatus({ problem: "refused", sending: true, pending: true }), { kind: "sending", text: "sending" });
    assertEqual(logic.syncStatus({ problem: "refused", sending: false, pending: false }), { kind: "error", text: "refused" });
    assertEqual(logic.syncStatus({ problem: "network", sending: false, pending: true }), { kind: "waiting", text: "waiting" });
    assertEqual(logic.syncStatus({ problem: "network", sending: false, pending: false }), { kind: "sent", text: "sent" });
  }),
  test("format: fills Python's %(name)s placeholders", () => {
    assertEqual(logic.format("%(n)s of %(total)s answered", { n: 3, total: 7 }), "3 of 7 answered");
  }),
];
