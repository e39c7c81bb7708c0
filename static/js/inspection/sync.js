// Sending the outbox, in order, one change at a time: check-in, answers, remarks, SIM removals, SIMs,
// photo removals, photos, check-out, submit. Whatever the server refuses is shown where it belongs; what
// the network loses stays in the outbox for the next try.
import {
  answersRefused, answersSaved, drop, emptyOutbox, hasPending, remarksAnswered, sendingProblem, taskClosed,
} from "./logic.js";
import { post } from "./network.js";
import { forgetOutbox, photoForget } from "./storage.js";

// `app`: the page's shared session {config, T, state, photos, located, save()}; `page`: page.js.
export function createSync(app, page) {
  const urls = app.config.urls;
  const status = { sending: false, again: false, closed: false, problem: "" };
  // problem: "", "network", "refused", "signed_out", "gone"; closed: the task can no longer change

  function send(url, body) {
    return post(url, body, app.config.csrf);
  }

  function pending() {
    return hasPending(app.state, app.photos.length);
  }

  function render() {
    page.showSync({ problem: status.problem, sending: status.sending, pending: pending(), submitQueued: app.state.submit });
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
    render();
    sendCheckin()
      .then(sendAnswers)
      .then(sendRemarks)
      .then(sendSimRemovals)
      .then(sendSims)
      .then(sendPhotoRemovals)
      .then(sendPhotos)
      .then(sendCheckout)
      .then(sendSubmit)
      .catch((reason) => { status.problem = sendingProblem(reason); })
      .then(() => {
        status.sending = false;
        render();
        if (status.again && status.problem === "") { status.again = false; flush(); }
        status.again = false;
      });
  }

  // A refusal that says the task is no longer ours to change: stop, keep everything on the phone.
  function stopIfClosed(data) {
    if (taskClosed(data)) {
      page.setSubmitMessage(data.error);
      status.closed = true;
      throw "refused";
    }
  }

  function sendCheckin() {
    if (!app.state.checkin) return Promise.resolve();
    return send(urls.checkin, app.state.checkin).then((data) => {
      if (data.ok || data.status === "IN_PROGRESS") { // IN_PROGRESS: an earlier try got through
        app.state.checkin = null;
        app.save();
        if (data.ok) page.showCheckedIn(data.checkin);
        return;
      }
      stopIfClosed(data);
      // Ask for the reason the server wants, keeping the position the phone found.
      const sent = app.state.checkin;
      app.located = { position: { latitude: sent.latitude, longitude: sent.longitude, accuracy_m: sent.accuracy_m }, distance: null };
      app.state.checkin = null;
      app.save();
      page.showCheckin(data.error, true);
      throw "refused";
    });
  }

  function sendAnswers() {
    const sent = JSON.parse(JSON.stringify(app.state.answers));
    const codes = Object.keys(sent);
    if (!codes.length) return Promise.resolve();
    return send(urls.answers, { answers: sent }).then((data) => {
      if (data.ok) {
        answersSaved(app.state, sent);
        codes.forEach((code) => page.itemError(code, ""));
        app.save();
        return;
      }
      stopIfClosed(data);
      // The refused answers stay in the form, marked; the others were not saved (all or nothing): again.
      const errors = data.errors || {};
      const refused = answersRefused(app.state, errors);
      if (!refused.length) { page.setSubmitMessage(data.error); throw "refused"; }
      refused.forEach((code) => page.itemError(code, errors[code].join(" ")));
      app.save();
      status.problem = "refused";
      return sendAnswers();
    });
  }

  function sendRemarks() {
    if (app.state.remarks === null) return Promise.resolve();
    const sent = app.state.remarks;
    return send(urls.remarks, { remarks: sent }).then((data) => {
      if (!data.ok) { stopIfClosed(data); page.setSubmitMessage(data.error); }
      remarksAnswered(app.state, sent);
      app.save();
      if (!data.ok) throw "refused";
    });
  }

  // One after the other, reading the list afresh each time: it may change while a request is out.
  function sendEach(list, sendOne) {
    const next = list()[0];
    if (next === undefined) return Promise.resolve();
    return sendOne(next).then(() => sendEach(list, sendOne));
  }

  function sendSimRemovals() {
    return sendEach(() => app.state.simRemovals, (iccid) => send(urls.sim_remove, { iccid }).then((data) => {
      if (!data.ok) stopIfClosed(data);
      drop(app.state.simRemovals, iccid);
      app.save();
    }));
  }

  function sendSims() {
    return sendEach(() => app.state.sims, (sim) => send(urls.sim, sim).then((data) => {
      if (!data.ok) stopIfClosed(data);
      drop(app.state.sims, sim);
      app.save();
      page.simSent(sim, data);
      if (!data.ok) status.problem = "refused";
    }));
  }

  function sendPhotoRemovals() {
    return sendEach(() => app.state.photoRemovals, (url) => send(url, {}).then((data) => {
      if (!data.ok) stopIfClosed(data);
      drop(app.state.photoRemovals, url);
      app.save();
    }));
  }

  function sendPhotos() {
    return sendEach(() => app.photos, (photo) => {
      const body = new FormData();
      body.append("file", photo.blob, "photo.jpg");
      body.append("item_code", photo.item_code || "");
      body.append("client_id", photo.client_id);
      return send(urls.photo, body).then((data) => {
        if (!data.ok) stopIfClosed(data);
        drop(app.photos, photo);
        page.photoSent(photo.client_id, data);
        if (!data.ok) {
          page.itemError(photo.item_code, data.error);
          status.problem = "refused";
        }
        return photoForget(photo.client_id);
      });
    });
  }

  function sendCheckout() {
    if (!app.state.checkout) return Promise.resolve();
    return send(urls.checkout, app.state.checkout).then((data) => {
      if (!data.ok) stopIfClosed(data);
      app.state.checkout = null;
      app.save();
    });
  }

  function sendSubmit() {
    if (!app.state.submit) return Promise.resolve();
    return send(urls.submit, { remarks: page.remarksBox.value }).then((data) => {
      if (data.ok) {
        forgetOutbox(app.config.task);
        app.state = emptyOutbox();
        window.location.assign(data.redirect);
        return;
      }
      app.state.submit = false;
      app.save();
      stopIfClosed(data);
      page.showProblems(data.errors && data.errors.__all__ ? data.errors.__all__ : [data.error]);
      throw "refused";
    });
  }

  return { flush, render, setProblem, pending, isSending: () => status.sending };
}
