// Loads the suite named by ?suite= and runs it; the Python side waits for window.jsTestResults.
import { run } from "./harness.js";

const suite = new URLSearchParams(location.search).get("suite");
window.jsTestResults = (async () => {
  try {
    const module = await import("./" + suite);
    return { results: await run(module.tests), error: "" };
  } catch (error) {
    return { results: [], error: String(error && error.stack ? error.stack : error) };
  }
})();
