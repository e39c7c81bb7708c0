// Sending the outbox (outbox.js), one item at a time, in the order the inspector did things. Each POST
// carries the item's idempotency key and device time (network.js, outbox.requestFor); a retry after a lost
// answer carries the same key, so the server answers it as it did the first time and stores nothing twice.
// Whatever the server refuses is marked on its item and shown where it belongs; what the network loses stays
// waiting for the next try (on each change, when the browser says it is back online, on a timer, and when
// the page opens).
import { sendingProblem, taskClosed } from "./logic.js";
import { hasPending, nextToSend, requestFor, setState } from "./outbox.js";
import { post } from "./network.js";
import { forgetOutbox, photoForget, photoGet } from "./storage.js";

// `app`: the page's shared session {config, T, outbox, photos (client_id -> Blob), located, save(),
// refreshSaved(urls)}; `page`: page.js.
export function createSync(app, page) {
  const urls = app.config.urls;
  const status = { sending: false, again: false, closed: false, problem: "", sent: 0 };
  // problem: "", "network", "refused", "signed_out", "gone"; closed: the task can no longer change

  function pending() {
    return hasPending(app.outbox);
  }

  function render() {
    const submitQueued = app.outbox.items.some((item) => item.kind === "submit" && item.state !== "refused");
    page.showSync({ problem: status.problem, sending: status.sending, pending: pending(), submitQueued });
    page.showOutbox(app.outbox);
  }

  function setProblem(problem) {
    status.problem = problem;
    render();
  }

  function flush() {
    if (status.closed) { render(); return; }
    if (status.sending) { status.again = true; return; }
    if (!pending()) { render(); return; }
    if (navigator.onLine === false) { status.problem = "network"; render(); return; }
    status.sending = true;
    status.problem = "";
    status.sent = 0;
    render();
    sendNext()
      .catch((reason) => { status.problem = sendingProblem(reason); })
      .then(() => {
        status.sending = false;
        render();
        // The page as the server now has it, for the next time it opens with no network.
        if (status.sent) app.refreshSaved([location.pathname]);
        if (status.again && status.problem === "") { status.again = false; flush(); }
        status.again = false;
      });
  }

  function sendNext() {
    const item = nextToSend(app.outbox);
    if (!item) return Promise.resolve();
    setState(item, "sending");
    app.save();
    render();
    return sendItem(item).then(() => {
      status.sent += 1;
      return sendNext();
    }, (reason) => {
      if (item.state === "sending") setState(item, "waiting"); // the next try sends it again, same key
      app.save();
      throw reason;
    });
  }

  function body(item, request) {
    if (!request.multipart) return Promise.resolve(request.body);
    const blob = app.photos.get(item.client_id);
    return (blob ? Promise.resolve({ blob }) : photoGet(item.client_id)).then((found) => {
      if (!found || !found.blob) return null;
      const form = new FormData();
      form.append("file", found.blob, "photo.jpg");
      Object.keys(request.body).forEach((name) => { form.append(name, request.body[name]); });
      return form;
    });
  }

  function sendItem(item) {
    const request = requestFor(item, urls);
    return body(item, request).then((payload) => {
      if (payload === null) { // a photo whose file the phone lost: say so, go on with the rest
        refuse(item, app.T.photo_failed);
        page.photoSent(item.client_id, { ok: false });
        page.itemError(item.item_code, app.T.photo_failed);
        return undefined;
      }
      return post(request.url, payload, app.config.csrf, item.key).then((data) => answered(item, data));
    });
  }

  function sent(item) {
    setState(item, "sent");
    app.save();
  }

  function refuse(item, message) {
    setState(item, "refused", message || "");
    status.problem = "refused";
    app.save();
  }

  // A refusal that says the task is no longer ours to change: stop, keep everything on the phone.
  function stopIfClosed(item, data) {
    if (taskClosed(data)) {
      page.setSubmitMessage(data.error);
      status.closed = true;
      setState(item, "waiting");
      throw "refused";
    }
  }

  function answered(item, data) {
    const done = handlers[item.kind];
    if (data.ok) { done.ok(item, data); return; }
    stopIfClosed(item, data);
    done.refused(item, data);
  }

  const handlers = {
    checkin: {
      ok(item, data) {
        sent(item);
        app.outbox.checkedIn = true;
        app.save();
        if (data.checkin) page.showCheckedIn(data.checkin);
      },
      refused(item, data) {
        if (data.status === "IN_PROGRESS") { // an earlier check-in got through (not through this key)
          sent(item);
          app.outbox.checkedIn = true;
          app.save();
          return;
        }
        // Ask for the reason the server wants, keeping the position the phone found.
        refuse(item, data.error);
        app.located = { position: item.position, distance: null, time: item.device_time };
        page.showCheckin(data.error, true);
        throw "refused"; // the rest needs the check-in
      },
    },
    answer: {
      ok(item) { sent(item); page.itemError(item.code, ""); },
      refused(item, data) {
        const errors = (data.errors || {})[item.code];
        const message = errors ? errors.join(" ") : data.error;
        refuse(item, message);
        page.itemError(item.code, message);
      },
    },
    remarks: {
      ok(item) { sent(item); },
      refused(item, data) { refuse(item, data.error); page.setSubmitMessage(data.error); },
    },
    sim: {
      ok(item, data) { item.html = data.html; sent(item); page.simSent(item, data); },
      refused(item, data) { refuse(item, data.error); page.simSent(item, data); },
    },
    sim_remove: {
      ok(item) { sent(item); },
      refused(item, data) { refuse(item, data.error); },
    },
    photo: {
      ok(item, data) {
        item.html = data.html;
        item.photo_id = data.id;
        sent(item);
        app.photos.delete(item.client_id);
        page.photoSent(item.client_id, data);
        page.itemError(item.item_code, ""); // e.g. "could not be kept on the phone": it is on the server now
        return photoForget(item.client_id);
      },
      refused(item, data) {
        refuse(item, data.error);
        app.photos.delete(item.client_id);
        page.photoSent(item.client_id, data);
        page.itemError(item.item_code, data.error);
        return photoForget(item.client_id);
      },
    },
    photo_remove: {
      ok(item) { sent(item); },
      refused(item, data) { refuse(item, data.error); },
    },
    checkout: {
      ok(item) { sent(item); },
      refused(item, data) { refuse(item, data.error); },
    },
    submit: {
      ok(item, data) {
        sent(item);
        status.closed = true;
        const outbox = app.outbox;
        // Gone from the phone once the server has the report. ("My tasks" then saves this task's page
        // anew, as sent; fetching it here would take the "sent for review" message meant for My tasks.)
        forgetOutbox(outbox)
          .catch(() => undefined)
          .then(() => { window.location.assign(data.redirect); });
      },
      refused(item, data) {
        refuse(item, data.error);
        page.showProblems(data.errors && data.errors.__all__ ? data.errors.__all__ : [data.error]);
        throw "refused";
      },
    },
  };

  return { flush, render, setProblem, pending, isSending: () => status.sending };
}
