// A minimal test harness for ES modules run in Chromium by tests/e2e/test_js_units.py: no node, no npm.
// A suite file exports `tests`, a list built with test(); each case passes unless it throws.

export function test(name, fn) {
  return { name, fn };
}

function show(value) {
  return typeof value === "bigint" ? value + "n" : JSON.stringify(value);
}

export function assertEqual(actual, expected, what = "") {
  if (show(actual) !== show(expected)) {
    throw new Error((what ? what + ": " : "") + "expected " + show(expected) + ", got " + show(actual));
  }
}

export function assertClose(actual, expected, tolerance, what = "") {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error((what ? what + ": " : "") + "expected " + expected + " ± " + tolerance + ", got " + actual);
  }
}

// Runs every case, each on its own: [{name, ok, message}].
export async function run(tests) {
  const results = [];
  for (const { name, fn } of tests) {
    try {
      await fn();
      results.push({ name, ok: true, message: "" });
    } catch (error) {
      results.push({ name, ok: false, message: String(error && error.stack ? error.stack : error) });
    }
  }
  return results;
}
