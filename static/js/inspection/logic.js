// The field inspector's page, pure part: the server's rules as the phone applies them before it asks, how
// its answers are read, and the first page's outbox (the outbox itself: outbox.js). No DOM, no network, no
// storage here, so
// each function is tested on its own in a browser (tests/js/inspection_logic.test.js); the other modules
// of static/js/inspection/ do the talking to the page, the phone and the server.
//
// Where a rule mirrors the server, the server's function is named above it: change both together.

// --- text ------------------------------------------------------------------------------------------

// Python's "%(name)s" placeholders, filled as the server's translated strings expect.
export function format(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_, name) => values[name]);
}

// The characters Python's str.isspace() and str.split() treat as whitespace (JS \s and trim() differ:
// they leave \x1c-\x1f and \x85 alone and take \ufeff).
const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp("^[" + PY_SPACE + "]+|[" + PY_SPACE + "]+$", "g");
const PY_SPACES = new RegExp("[" + PY_SPACE + "]+", "g");

// Python's str.strip().
export function pyStrip(text) {
  return String(text).replace(PY_STRIP, "");
}

// Unicode decimal digits (Python's str.isdecimal, which Decimal() accepts) as ASCII. Unicode encodes each
// set of decimal digits as one run of ten code points, 0 to 9, so a digit's value is its distance from the
// start of its run, modulo 10 (runs can follow each other, as the mathematical digits do).
const DECIMAL_DIGIT = /\p{Nd}/u;
function asciiDigits(text) {
  return Array.from(text, (char) => {
    if (char >= "0" && char <= "9") return char;
    if (!DECIMAL_DIGIT.test(char)) return char;
    const code = char.codePointAt(0);
    let start = code;
    while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
    return String((code - start) % 10);
  }).join("");
}

// --- SIMs: ICCID with its Luhn check digit --------------------------------------------------------

// stdnum.luhn.is_valid (python-stdnum), called by registrations.validators.is_valid_iccid: the check over
// the digits 0-9; empty or any other character is not valid.
export function luhnValid(number) {
  const text = String(number);
  if (!/^[0-9]+$/.test(text)) return false;
  let sum = 0;
  Array.from(text).reverse().forEach((d, i) => {
    let value = Number(d);
    if (i % 2 === 1) {
      value *= 2;
      if (value > 9) value -= 9; // sum(divmod(value, 10))
    }
    sum += value;
  });
  return sum % 10 === 0;
}

// inspections.services.fieldwork.normalise_iccid: the ICCID without the spaces a printed one is grouped by.
export function normaliseIccid(raw) {
  return String(raw ?? "").replace(PY_SPACES, "");
}

// The verdict of inspections.services.fieldwork.sim_add on an ICCID as typed:
// "empty"; "length" (not 19 or 20 digits: code "iccid_format"); "bad" (wrong check digit:
// "iccid_check_digit", which is also the server's answer for 19-20 digits that are not all ASCII, since
// registrations.validators.is_valid_iccid reads [0-9] only); "ok". `digits` is what is sent, `length`
// counts characters as Python's len() does.
export function iccidCheck(raw) {
  const digits = normaliseIccid(raw);
  const length = Array.from(digits).length;
  let verdict;
  if (!digits) verdict = "empty";
  else if (!/^\p{Nd}+$/u.test(digits) || (length !== 19 && length !== 20)) verdict = "length";
  else verdict = /^[0-9]+$/.test(digits) && luhnValid(digits) ? "ok" : "bad";
  return { digits, length, verdict };
}

// --- check-in: distance to the point --------------------------------------------------------------

// inspections.services.fieldwork.EARTH_RADIUS_M
export const EARTH_RADIUS_M = 6371008.8;
const DEGREE = Math.PI / 180; // math.radians(x) is x * (pi / 180)

// inspections.services.fieldwork.haversine_m, operation for operation: great-circle distance in metres
// between two WGS84 positions in degrees. (Math.sin and the like may differ from the server's C library in
// the last bit; the tests allow a millionth of a metre.)
export function haversineM(lat1, lon1, lat2, lon2) {
  const phi1 = Number(lat1) * DEGREE;
  const phi2 = Number(lat2) * DEGREE;
  const dphi = phi2 - phi1;
  const dlambda = (Number(lon2) - Number(lon1)) * DEGREE;
  const sinPhi = Math.sin(dphi / 2);
  const sinLambda = Math.sin(dlambda / 2);
  const a = sinPhi * sinPhi + Math.cos(phi1) * Math.cos(phi2) * sinLambda * sinLambda;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

// A decimal string ("-12.345", "1e-7") rounded half to even to `places` decimals, as Decimal.quantize does
// with the default context; returned as a plain decimal string.
function roundDecimalString(text, places) {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!match) return text;
  const sign = match[1] === "-" ? "-" : "";
  let whole = match[2] || "0";
  let fraction = match[3] || "";
  const exponent = Number(match[4] || 0);
  if (exponent > 0) {
    fraction = fraction.padEnd(exponent, "0");
    whole += fraction.slice(0, exponent);
    fraction = fraction.slice(exponent);
  } else if (exponent < 0) {
    whole = whole.padStart(-exponent + 1, "0");
    fraction = whole.slice(whole.length + exponent) + fraction;
    whole = whole.slice(0, whole.length + exponent);
  }
  const kept = BigInt(whole + fraction.slice(0, places).padEnd(places, "0"));
  const rest = fraction.slice(places);
  const half = rest[0] > "5" || (rest[0] === "5" && /[1-9]/.test(rest.slice(1)));
  const tie = rest[0] === "5" && !/[1-9]/.test(rest.slice(1));
  const rounded = half || (tie && kept % 2n === 1n) ? kept + 1n : kept;
  const digits = rounded.toString().padStart(places + 1, "0");
  const result = places ? digits.slice(0, -places) + "." + digits.slice(-places) : digits;
  return (rounded === 0n ? "" : sign) + result;
}

// Decimal(str(x)).quantize(Decimal("0.000001")) then float(): how fieldwork._position keeps a position.
// String(x) and Python's str(x) are both the shortest text that reads back as x.
export function quantizeDegrees(x) {
  return Number(roundDecimalString(String(x), 6));
}

// Python's round(x, 1) on a float: the float's exact value rounded half to even. toFixed(100) gives that
// exact value for every x from 0.05 up (below, the answer is 0 anyway).
export function roundTenth(x) {
  if (Math.abs(x) < 0.05) return 0;
  return Number(roundDecimalString(x.toFixed(100), 1));
}

// The distance inspections.services.fieldwork.inspection_check_in records and compares with
// CHECKIN_MAX_DISTANCE_M: from the position as it is stored (6 decimals) to the point, in metres rounded
// to 0.1. null without a position or without the point's.
export function checkinDistanceM(position, point) {
  if (!position || position.latitude == null || position.longitude == null || !point) return null;
  const lat = quantizeDegrees(position.latitude);
  const lon = quantizeDegrees(position.longitude);
  return roundTenth(haversineM(lat, lon, point.latitude, point.longitude));
}

// inspection_check_in asks for a reason ("too_far") when this holds and none is given.
export function tooFar(distance, limit) {
  return distance !== null && distance > limit;
}

// --- checklist: the failing answer ----------------------------------------------------------------

// A number as Python's Decimal() reads it (after fieldwork._clean_value turned commas into points):
// surrounding spaces, underscores anywhere and any Unicode decimal digits are accepted. Returns
// {negative, whole, fraction} (ASCII digit strings) for a finite number, else null (the server refuses
// the answer: "Enter a number.").
function parseDecimal(text) {
  const plain = asciiDigits(pyStrip(text)).replace(/_/g, "");
  const match = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:e([+-]?\d+))?$/i.exec(plain);
  if (!match) return null;
  let whole = match[2] ?? "";
  let fraction = match[3] ?? match[4] ?? "";
  const exponent = Number(match[5] || 0);
  // Far beyond any limit a rule can hold (12 characters); keeps a "1e999999" from growing a huge string.
  if (/[1-9]/.test(whole + fraction) && exponent > 64) return { negative: match[1] === "-", whole: "1" + "0".repeat(64), fraction: "" };
  if (exponent > 0) {
    fraction = fraction.padEnd(exponent, "0");
    whole += fraction.slice(0, exponent);
    fraction = fraction.slice(exponent);
  } else if (exponent < 0) {
    const shift = Math.min(-exponent, whole.length);
    fraction = whole.slice(whole.length - shift) + fraction;
    whole = whole.slice(0, whole.length - shift);
    // A further shift only puts zeros in front of the fraction: it stays non-zero or zero as it is.
  }
  return { negative: match[1] === "-", whole: whole || "0", fraction };
}

// Compare a parsed number with a whole number exactly (no floating point): -1, 0 or 1.
function compareWithWhole(number, limit) {
  const whole = BigInt(number.whole);
  const hasFraction = /[1-9]/.test(number.fraction);
  if (!number.negative) {
    // whole + fraction, with 0 <= fraction < 1
    if (whole !== limit) return whole > limit ? 1 : -1;
    return hasFraction ? 1 : 0;
  }
  // -(whole + fraction): with a fraction, strictly between -whole - 1 and -whole
  if (!hasFraction) return -whole === limit ? 0 : -whole > limit ? 1 : -1;
  return limit <= -whole - 1n ? 1 : -1;
}

// Whether an answer fails its checklist item, as the server records it in Answer.failed: the value cleaned
// by inspections.services.fieldwork._clean_value (a value the server refuses is never recorded, so never
// fails), then judged by inspections.models.ChecklistItem.fails. `rule` is the item's failing_answer:
// "YES"/"NO" for YES_NO_NA, "<n"/">n" with a whole number n for NUMBER; TEXT and PHOTO never fail.
export function failingAnswer(kind, rule, value) {
  const text = pyStrip(value ?? "");
  const failing = pyStrip(rule ?? "");
  if (!text || !failing) return false;
  if (kind === "YES_NO_NA") {
    const answer = text.toUpperCase();
    if (!["YES", "NO", "NA"].includes(answer)) return false; // refused: "Answer yes, no or not applicable."
    return answer === failing.toUpperCase();
  }
  // rule[1:].lstrip("-").isdigit(): more than one "-" makes the server's Decimal() raise, so take one.
  if (kind === "NUMBER" && /^[<>]-?\p{Nd}+$/u.test(failing)) {
    const number = parseDecimal(text.replace(/,/g, "."));
    if (number === null) return false;
    const limit = BigInt(asciiDigits(failing.slice(1)));
    const order = compareWithWhole(number, limit);
    return failing[0] === ">" ? order > 0 : order < 0;
  }
  return false;
}

// What submitting needs of one item (the server's own check is fieldwork's submit): "" when it is done,
// "photo" when a photo is missing, "unanswered" otherwise.
export function itemProblem({ kind, answered, hasPhoto, requiresPhoto }) {
  if (kind === "PHOTO") return !answered && !hasPhoto ? "photo" : "";
  if (!answered) return "unanswered";
  if (requiresPhoto && !hasPhoto) return "photo";
  return "";
}

// Whether an item counts as answered in "n of m answered".
export function itemAnswered({ kind, answered, hasPhoto }) {
  return Boolean(kind === "PHOTO" ? hasPhoto || answered : answered);
}

// --- the first page's outbox ----------------------------------------------------------------------
// The first page kept what was waiting as JSON in localStorage ("inspection-task-<task id>"). It is read
// once, when the task opens, and moved into IndexedDB as items (outbox.upgradeOutbox).

export function emptyOutbox() {
  return {
    checkin: null, checkinLabel: "", answers: {}, remarks: null, sims: [], simRemovals: [],
    photoRemovals: [], checkout: null, submit: false,
  };
}

// The outbox as stored (null when there is none); anything unreadable starts afresh.
export function readOutbox(text) {
  const outbox = emptyOutbox();
  try {
    Object.assign(outbox, JSON.parse(text) || {});
  } catch (e) {
    return emptyOutbox();
  }
  return outbox;
}

// --- talking to the server ------------------------------------------------------------------------

export const EDITABLE_STATUSES = ["IN_PROGRESS", "RETURNED"];

// Why a POST got no usable answer, from the response alone (the page's endpoints answer JSON):
// "gone" (404: the task is no longer this inspector's), "signed_out" (a redirect to the login page or 403),
// "network" (not JSON: a proxy's error page, a 5xx); "" when the JSON body is to be read.
export function responseProblem({ status, redirected, contentType }) {
  if (status === 404) return "gone";
  if (redirected || status === 403) return "signed_out";
  if ((contentType || "").indexOf("application/json") === -1) return "network";
  return "";
}

// A JSON answer that is neither ok nor a refusal is treated as no answer: try again later. Refusals: 400, and
// 409 (the item's Idempotency-Key already used for another change: sending it again would not help).
export function answerProblem(data, status) {
  return !data.ok && status !== 400 && status !== 409 ? "network" : "";
}

// What a failed round of sending leaves to show: the reasons thrown, anything else being the network.
export function sendingProblem(reason) {
  return ["signed_out", "gone", "refused"].indexOf(reason) !== -1 ? reason : "network";
}

// A refusal whose status says the task can no longer change (submitted, accepted...): stop sending.
export function taskClosed(data) {
  return Boolean(data.status && EDITABLE_STATUSES.indexOf(data.status) === -1 && data.status !== "ASSIGNED");
}

// The line at the bottom of the page: "sent", "sending", "waiting" or "error", and the text key to show.
export function syncStatus({ problem, sending, pending }) {
  if (problem === "signed_out" || problem === "gone") return { kind: "error", text: problem };
  if (sending) return { kind: "sending", text: "sending" };
  if (problem === "refused") return { kind: "error", text: "refused" };
  if (pending) return { kind: "waiting", text: "waiting" };
  return { kind: "sent", text: "sent" };
}
