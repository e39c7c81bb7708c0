// The DOM of templates/inspections/field/task_work.html (and its _item, _photo and _sim includes): every
// data-* hook the field page's modules read or change is found here.
import { failingAnswer, format, itemAnswered, itemProblem, syncStatus } from "./logic.js";
import { counts, itemClock, itemLabel } from "./outbox.js";

// T: the page's words (field._script_config); O: the offline words (offline.offline_text).
export function createPage(T, O) {
  const form = document.getElementById("inspection");
  const checkinSection = document.querySelector("[data-checkin]");
  const checkinMessage = document.querySelector("[data-checkin-message]");
  const reasonBox = document.querySelector("[data-checkin-reason]");
  const syncBar = document.querySelector("[data-sync-status]");
  const simList = document.querySelector("[data-sim-list]");
  const submitMessage = document.querySelector("[data-submit-message]");
  const remarksBox = document.querySelector("[data-remarks]");
  const iccidInput = document.querySelector("[data-iccid]");
  const iccidCheck = document.querySelector("[data-iccid-check]");
  const simAdd = document.querySelector("[data-action=sim-add]");

  // --- the sync line and messages ---------------------------------------------------------------
  function showSync({ problem, sending, pending, submitQueued }) {
    const status = syncStatus({ problem, sending, pending });
    syncBar.textContent = T[status.text];
    if (status.text === "signed_out" && O.signInUrl) { // the session ended (the browser was closed): a way back
      const link = document.createElement("a");
      link.href = O.signInUrl;
      link.textContent = O.sign_in_again;
      link.dataset.testid = "sign-in-again";
      syncBar.append(" ", link);
    }
    syncBar.className = "sync-bar sync-" + status.kind;
    syncBar.hidden = form.hidden && status.kind === "sent"; // nothing to say before the check-in
    if (submitQueued && !sending && pending) submitMessage.textContent = T.submit_queued;
  }

  function setSubmitMessage(text) {
    submitMessage.textContent = text;
  }

  function showProblems(problems, intro) {
    submitMessage.textContent = intro || "";
    const list = document.createElement("ul");
    problems.forEach((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      list.appendChild(li);
    });
    submitMessage.appendChild(list);
  }

  // --- the outbox, item by item, with its state ------------------------------------------------------
  const outboxBox = document.querySelector("[data-outbox]");
  let outboxOpened = false;

  function showOutbox(outbox) {
    if (!outboxBox) return;
    const c = counts(outbox);
    const unsent = c.waiting + c.sending;
    const parts = [O.outbox_title];
    if (unsent) parts.push(unsent + " " + O.state_waiting);
    if (c.refused) parts.push(c.refused + " " + O.state_refused);
    if (c.sent) parts.push(c.sent + " " + O.state_sent);
    outboxBox.querySelector("[data-outbox-summary]").textContent = parts.join(" · ");
    const list = outboxBox.querySelector("[data-outbox-list]");
    list.replaceChildren(...outbox.items.map((entry) => {
      const li = document.createElement("li");
      li.className = "outbox-item state-" + entry.state;
      li.dataset.testid = "outbox-item";
      li.dataset.kind = entry.kind;
      li.dataset.state = entry.state;
      const what = document.createElement("span");
      what.className = "what";
      what.textContent = itemLabel(entry, O, (code) => { const box = item(code); return box && box.dataset.position; });
      const when = document.createElement("small");
      when.className = "when";
      when.textContent = itemClock(entry);
      const state = document.createElement("span");
      state.className = "state";
      state.textContent = O["state_" + entry.state];
      li.append(what, when, state);
      if (entry.message) {
        const message = document.createElement("small");
        message.className = "message";
        message.textContent = entry.message;
        li.append(message);
      }
      return li;
    }));
    outboxBox.hidden = outbox.items.length === 0;
    if ((unsent || c.refused) && !outboxOpened) { outboxBox.open = true; outboxOpened = true; }
  }

  function showNotice(text) {
    const box = document.querySelector("[data-field-notice]");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  // --- check-in ---------------------------------------------------------------------------------
  function showCheckin(message, askReason) {
    checkinSection.hidden = false;
    form.hidden = true;
    checkinMessage.textContent = message || "";
    reasonBox.hidden = !askReason;
    if (askReason) reasonBox.querySelector("textarea").focus();
  }

  function showLocating() {
    checkinMessage.textContent = T.locating;
    reasonBox.hidden = true;
  }

  // `label`: the phone's own reckoning of a check-in the server has not confirmed yet.
  function showForm(label) {
    checkinSection.hidden = true;
    form.hidden = false;
    if (label) form.querySelector("[data-checkin-done]").textContent = label;
  }

  // The server's word on the check-in: its time (local to the point) and distance, and the new status.
  function showCheckedIn(checkin) {
    let label = T.checked_in + " " + checkin.at;
    if (checkin.distance_m !== null && checkin.accuracy_m !== null) {
      label += " · " + format(T.distance, { distance: Math.round(checkin.distance_m), accuracy: Math.round(checkin.accuracy_m) });
    }
    form.querySelector("[data-checkin-done]").textContent = label;
    const badge = document.querySelector("[data-task-status] .status");
    if (badge) { badge.textContent = T.in_progress; badge.className = "status status-in_progress"; }
  }

  function locationNote() {
    return document.querySelector("[data-location-note]").value.trim();
  }

  function setCheckinError(text) {
    document.querySelector("[data-checkin-error]").textContent = text;
  }

  // --- checklist items --------------------------------------------------------------------------
  function items() {
    return form.querySelectorAll("[data-item]");
  }

  function item(code) {
    return form.querySelector('[data-item="' + code + '"]');
  }

  function itemError(code, message) {
    const box = code && form.querySelector('[data-item="' + code + '"] [data-item-error]');
    if (box) box.textContent = message;
  }

  function answerOf(itemBox) {
    const checked = itemBox.querySelector("input[type=radio]:checked");
    const input = checked || itemBox.querySelector("[data-value]:not([type=radio])");
    const note = itemBox.querySelector("[data-note]");
    return { value: input ? input.value.trim() : "", note: note ? note.value.trim() : "" };
  }

  function applyAnswer(itemBox, answer) {
    const radio = itemBox.querySelector('input[type=radio][value="' + answer.value + '"]');
    if (radio) radio.checked = true;
    const input = itemBox.querySelector("[data-value]:not([type=radio])");
    if (input) input.value = answer.value;
    const note = itemBox.querySelector("[data-note]");
    if (note) {
      note.value = answer.note;
      if (answer.note) note.closest("details").open = true;
    }
  }

  function hasPhoto(itemBox) {
    return Boolean(itemBox.querySelector("[data-photos] figure"));
  }

  function describe(itemBox) {
    return {
      kind: itemBox.dataset.kind,
      answered: answerOf(itemBox).value,
      hasPhoto: hasPhoto(itemBox),
      requiresPhoto: itemBox.hasAttribute("data-requires-photo"),
    };
  }

  function refreshItem(itemBox) {
    itemBox.classList.toggle("failed", failingAnswer(itemBox.dataset.kind, itemBox.dataset.failing, answerOf(itemBox).value));
  }

  function refreshProgress() {
    const all = items();
    const done = Array.prototype.filter.call(all, (itemBox) => itemAnswered(describe(itemBox))).length;
    form.querySelector("[data-progress]").textContent = format(T.answered, { n: done, total: all.length });
  }

  // What keeps the report from being submitted, each item marked where it is, too.
  function missing() {
    const problems = [];
    items().forEach((itemBox) => {
      const n = itemBox.dataset.position;
      const kind = itemProblem(describe(itemBox));
      const problem = kind === "photo" ? format(T.item_photo, { n }) : kind === "unanswered" ? format(T.item_unanswered, { n }) : "";
      itemError(itemBox.dataset.item, problem);
      if (problem) problems.push(problem);
    });
    return problems;
  }

  // --- photos -----------------------------------------------------------------------------------
  function pendingThumb(photo) {
    const figure = document.createElement("figure");
    figure.className = "thumb pending";
    figure.dataset.clientId = photo.client_id;
    figure.dataset.testid = "photo-pending";
    const img = document.createElement("img");
    img.src = URL.createObjectURL(photo.blob);
    img.alt = "";
    const caption = document.createElement("figcaption");
    caption.textContent = T.pending;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", T.remove);
    remove.dataset.photoDiscard = photo.client_id;
    figure.append(img, caption, remove);
    const box = form.querySelector('[data-photos][data-item-code="' + (photo.item_code || "") + '"]') ||
      form.querySelector('[data-photos][data-item-code=""]'); // an item the checklist no longer has
    box.appendChild(figure);
  }

  // The server's answer to a photo sent: its thumbnail in place of the pending one, or no thumbnail.
  function photoSent(clientId, data) {
    const thumb = document.querySelector('[data-client-id="' + clientId + '"]');
    if (!thumb) return;
    if (data.ok) thumb.outerHTML = data.html; else thumb.remove();
  }

  // A photo the server has (its thumbnail html), on a page saved before it was sent.
  function sentPhoto(entry) {
    if (!entry.html || form.querySelector('[data-photo-id="' + entry.photo_id + '"]')) return;
    const box = form.querySelector('[data-photos][data-item-code="' + (entry.item_code || "") + '"]') ||
      form.querySelector('[data-photos][data-item-code=""]');
    box.insertAdjacentHTML("beforeend", entry.html);
  }

  function hidePhoto(url) {
    const button = form.querySelector('[data-photo-remove="' + url + '"]');
    if (button) button.closest("figure").remove();
  }

  // --- SIMs -------------------------------------------------------------------------------------
  function simRow(iccid) {
    return simList.querySelector('[data-sim="' + iccid + '"]');
  }

  function pendingSimRow(sim) {
    const li = document.createElement("li");
    li.className = "sim pending";
    li.dataset.sim = sim.iccid;
    li.dataset.testid = "sim-" + sim.iccid;
    const number = document.createElement("span");
    number.className = "iccid";
    number.textContent = sim.iccid;
    const status = document.createElement("span");
    status.className = "sim-match";
    status.textContent = T.pending;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove outline secondary";
    remove.textContent = T.remove;
    remove.dataset.simRemove = sim.iccid;
    li.append(number, status, remove);
    simList.appendChild(li);
  }

  // The server's answer to a SIM sent: its row (matched to a registration), or its refusal.
  function simSent(sim, data) {
    const row = simRow(sim.iccid);
    if (data.ok) {
      if (row) row.outerHTML = data.html; else simList.insertAdjacentHTML("beforeend", data.html);
    } else {
      if (row) row.remove();
      setSimError(sim.iccid + ": " + data.error);
    }
  }

  function hideSim(iccid) {
    const row = simRow(iccid);
    if (row) row.remove();
  }

  function setSimError(text) {
    document.querySelector("[data-sim-error]").textContent = text;
  }

  // The ICCID typed so far, judged as the server will (logic.iccidCheck).
  function showIccidCheck(check) {
    let text = "";
    if (check.verdict === "length") text = format(T.iccid_length, { n: check.length });
    else if (check.verdict === "ok") text = T.iccid_ok;
    else if (check.verdict === "bad") text = T.iccid_bad;
    const valid = check.verdict === "ok";
    iccidCheck.textContent = text;
    iccidCheck.className = "iccid-check " + (valid ? "ok" : check.length >= 19 ? "bad" : "");
    simAdd.disabled = !valid;
  }

  function takeSimInput() {
    const noteInput = document.querySelector("[data-sim-note]");
    const typed = { iccid: iccidInput.value, note: noteInput.value.trim() };
    iccidInput.value = "";
    noteInput.value = "";
    return typed;
  }

  return {
    form, remarksBox, iccidInput, simAdd,
    showSync, setSubmitMessage, showProblems, showOutbox, showNotice,
    showCheckin, showLocating, showForm, showCheckedIn, locationNote, setCheckinError,
    items, item, itemError, answerOf, applyAnswer, refreshItem, refreshProgress, missing,
    pendingThumb, photoSent, sentPhoto, hidePhoto,
    simRow, pendingSimRow, simSent, hideSim, setSimError, showIccidCheck, takeSimInput,
  };
}
