// Sending one change to the server. The endpoints are the page's (config.urls); each answers JSON.
// Every POST carries `Idempotency-Key` (the outbox item's key, the same on every retry: the server answers a
// replay with its first answer) and `X-Device-Clock` (the phone's clock at the moment of sending, so the
// server can measure how far the phone's clock is from its own).
import { answerProblem, responseProblem } from "./logic.js";
import { deviceTime } from "./outbox.js";

// The CSRF cookie when there is one (it can change after signing in again), else the page's token.
function csrfToken(fallback) {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : fallback;
}

// Resolves with the server's JSON answer (ok false: refused, HTTP 400, with a message); rejects with
// "network" (no answer: try again later), "signed_out" (sign in again, then reload; nothing is lost) or
// "gone" (the task is no longer this inspector's).
export function post(url, body, csrf, idempotencyKey) {
  const headers = { "X-CSRFToken": csrfToken(csrf), "Accept": "application/json", "X-Device-Clock": deviceTime(new Date()) };
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  if (!(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body || {});
  }
  return fetch(url, { method: "POST", credentials: "same-origin", headers, body })
    .catch(() => { throw "network"; })
    .then((response) => {
      const problem = responseProblem({
        status: response.status,
        redirected: response.redirected,
        contentType: response.headers.get("Content-Type"),
      });
      if (problem) throw problem;
      return response.json().then((data) => {
        if (answerProblem(data, response.status)) throw "network";
        return data;
      });
    });
}
