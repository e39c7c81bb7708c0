// Cases whose outcome is known, run by test_js_units.py to prove a failing case is reported as failing.
import { assertClose, assertEqual, test } from "./harness.js";

export const tests = [
  test("passes", () => { assertEqual(1 + 1, 2); }),
  test("fails on a wrong value", () => { assertEqual("a", "b", "letters"); }),
  test("fails on a distance too far off", () => { assertClose(10, 11, 0.5, "metres"); }),
  test("fails when it throws", () => { throw new Error("boom"); }),
  test("fails when a promise rejects", async () => { await Promise.reject(new Error("later")); }),
];
