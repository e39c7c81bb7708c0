// The inspector's task page. Every change is kept on the phone first (localStorage per task; photos as
// Blobs in IndexedDB) and then sent, in order, whenever the network allows: on each change, when the
// browser says it is back online, and on a timer. Nothing typed is lost to a bad connection, and a reload
// shows what is still waiting to be sent.
(function () {
  "use strict";
  var configNode = document.getElementById("inspection-config");
  if (!configNode) return;
  var config = JSON.parse(configNode.textContent);
  var T = config.text;
  var KEY = "inspection-task-" + config.task;
  var EDITABLE = ["IN_PROGRESS", "RETURNED"];
  var PHOTO_MAX_SIDE = 1600;
  var PHOTO_QUALITY = 0.8;
  var RETRY_MS = 15000;
  var TYPING_MS = 800;

  var form = document.getElementById("inspection");
  var checkinSection = document.querySelector("[data-checkin]");
  var syncBar = document.querySelector("[data-sync-status]");
  var simList = document.querySelector("[data-sim-list]");
  var submitMessage = document.querySelector("[data-submit-message]");

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  // --- what is waiting to be sent ---------------------------------------------------------------
  function emptyState() {
    return { checkin: null, checkinLabel: "", answers: {}, remarks: null, sims: [], simRemovals: [],
      photoRemovals: [], checkout: null, submit: false };
  }
  var state = emptyState();
  try { Object.assign(state, JSON.parse(localStorage.getItem(KEY)) || {}); } catch (e) { /* start afresh */ }
  var photos = [];  // pending photos: {client_id, task, item_code, blob}
  function save() { localStorage.setItem(KEY, JSON.stringify(state)); }

  function hasPending() {
    return Boolean(state.checkin || Object.keys(state.answers).length || state.remarks !== null ||
      state.sims.length || state.simRemovals.length || state.photoRemovals.length || photos.length ||
      state.checkout || state.submit);
  }

  // --- photo blobs in IndexedDB (kept in memory only where IndexedDB is missing) -----------------
  var dbPromise = null;
  function photoStore(mode, action) {
    if (!window.indexedDB) return Promise.resolve(null);
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("inspection-photos", 1);
        request.onupgradeneeded = function () { request.result.createObjectStore("photos", { keyPath: "client_id" }); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("photos", mode);
        var request = action(tx.objectStore("photos"));
        tx.oncomplete = function () { resolve(request.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    }).catch(function () { return null; });
  }
  function photoKeep(photo) { return photoStore("readwrite", function (s) { return s.put(photo); }); }
  function photoForget(clientId) { return photoStore("readwrite", function (s) { return s.delete(clientId); }); }
  function photosWaiting() {
    return photoStore("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (p) { return p.task === config.task; });
    });
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  // Longest side PHOTO_MAX_SIDE px, JPEG: a phone photo of several MB becomes a few hundred kB.
  function resize(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff";  // transparent PNG areas would turn black in a JPEG
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("encode")); }, "image/jpeg", PHOTO_QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }

  // --- sending ---------------------------------------------------------------------------------
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : config.csrf;
  }

  // Resolves with the server's JSON answer (ok false: refused, HTTP 400, with a message); rejects with
  // "network" (no answer: try again later), "signed_out" (sign in again, then reload; nothing is lost) or
  // "gone" (the task is no longer this inspector's).
  function post(url, body) {
    var headers = { "X-CSRFToken": csrfToken(), "Accept": "application/json" };
    if (!(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body || {});
    }
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers, body: body })
      .catch(function () { throw "network"; })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.status === 404) throw "gone";
        if (response.redirected || response.status === 403) throw "signed_out";
        if (type.indexOf("application/json") === -1) throw "network";  // a proxy's error page, a 5xx
        return response.json().then(function (data) {
          if (!data.ok && !(response.status === 400)) throw "network";
          return data;
        });
      });
  }

  var sending = false;
  var again = false;
  var closed = false;  // the server says the task can no longer change: stop trying
  var problem = "";  // "", "network", "refused", "signed_out", "gone"

  function flush() {
    if (closed) { render(); return; }
    if (sending) { again = true; return; }
    if (!hasPending()) { render(); return; }
    if (navigator.onLine === false) { problem = "network"; render(); return; }
    sending = true;
    problem = "";
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
      .catch(function (reason) { problem = ["signed_out", "gone", "refused"].indexOf(reason) !== -1 ? reason : "network"; })
      .then(function () {
        sending = false;
        render();
        if (again && problem === "") { again = false; flush(); }
        again = false;
      });
  }

  // A refusal that says the task is no longer ours to change: stop, keep everything on the phone.
  function stopIfClosed(data) {
    if (data.status && EDITABLE.indexOf(data.status) === -1 && data.status !== "ASSIGNED") {
      submitMessage.textContent = data.error;
      closed = true;
      throw "refused";
    }
  }

  function sendCheckin() {
    if (!state.checkin) return Promise.resolve();
    return post(config.urls.checkin, state.checkin).then(function (data) {
      if (data.ok || data.status === "IN_PROGRESS") {  // IN_PROGRESS: an earlier try got through
        state.checkin = null;
        save();
        if (data.ok) checkedIn(data.checkin);
        return;
      }
      stopIfClosed(data);
      // Ask for the reason the server wants, keeping the position the phone found.
      var sent = state.checkin;
      located = { position: { latitude: sent.latitude, longitude: sent.longitude, accuracy_m: sent.accuracy_m }, distance: null };
      state.checkin = null;
      save();
      showCheckin(data.error, true);
      throw "refused";
    });
  }

  function sendAnswers() {
    var sent = JSON.parse(JSON.stringify(state.answers));
    var codes = Object.keys(sent);
    if (!codes.length) return Promise.resolve();
    return post(config.urls.answers, { answers: sent }).then(function (data) {
      if (data.ok) {
        codes.forEach(function (code) {
          if (JSON.stringify(state.answers[code]) === JSON.stringify(sent[code])) delete state.answers[code];
          itemError(code, "");
        });
        save();
        return;
      }
      stopIfClosed(data);
      // The refused answers stay in the form, marked; the others were not saved (all or nothing): again.
      var refused = Object.keys(data.errors || {}).filter(function (code) { return code in state.answers; });
      if (!refused.length) { submitMessage.textContent = data.error; throw "refused"; }
      refused.forEach(function (code) { itemError(code, data.errors[code].join(" ")); delete state.answers[code]; });
      save();
      problem = "refused";
      return sendAnswers();
    });
  }

  function sendRemarks() {
    if (state.remarks === null) return Promise.resolve();
    var sent = state.remarks;
    return post(config.urls.remarks, { remarks: sent }).then(function (data) {
      if (!data.ok) { stopIfClosed(data); submitMessage.textContent = data.error; }
      if (state.remarks === sent) state.remarks = null;
      save();
      if (!data.ok) throw "refused";
    });
  }

  // One after the other, reading the list afresh each time: it may change while a request is out.
  function sendEach(list, send) {
    var next = list()[0];
    if (next === undefined) return Promise.resolve();
    return send(next).then(function () { return sendEach(list, send); });
  }

  function drop(list, entry) {
    var i = list.indexOf(entry);
    if (i !== -1) list.splice(i, 1);
  }

  function sendSimRemovals() {
    return sendEach(function () { return state.simRemovals; }, function (iccid) {
      return post(config.urls.sim_remove, { iccid: iccid }).then(function (data) {
        if (!data.ok) stopIfClosed(data);
        drop(state.simRemovals, iccid);
        save();
      });
    });
  }

  function sendSims() {
    return sendEach(function () { return state.sims; }, function (sim) {
      return post(config.urls.sim, sim).then(function (data) {
        if (!data.ok) stopIfClosed(data);
        drop(state.sims, sim);
        save();
        var row = simRow(sim.iccid);
        if (data.ok) {
          if (row) row.outerHTML = data.html; else simList.insertAdjacentHTML("beforeend", data.html);
        } else {
          if (row) row.remove();
          document.querySelector("[data-sim-error]").textContent = sim.iccid + ": " + data.error;
          problem = "refused";
        }
      });
    });
  }

  function sendPhotoRemovals() {
    return sendEach(function () { return state.photoRemovals; }, function (url) {
      return post(url, {}).then(function (data) {
        if (!data.ok) stopIfClosed(data);
        drop(state.photoRemovals, url);
        save();
      });
    });
  }

  function sendPhotos() {
    return sendEach(function () { return photos; }, function (photo) {
      var body = new FormData();
      body.append("file", photo.blob, "photo.jpg");
      body.append("item_code", photo.item_code || "");
      body.append("client_id", photo.client_id);
      return post(config.urls.photo, body).then(function (data) {
        if (!data.ok) stopIfClosed(data);
        drop(photos, photo);
        var thumb = document.querySelector('[data-client-id="' + photo.client_id + '"]');
        if (data.ok) {
          if (thumb) thumb.outerHTML = data.html;
        } else {
          if (thumb) thumb.remove();
          itemError(photo.item_code, data.error);
          problem = "refused";
        }
        return photoForget(photo.client_id);
      });
    });
  }

  function sendCheckout() {
    if (!state.checkout) return Promise.resolve();
    return post(config.urls.checkout, state.checkout).then(function (data) {
      if (!data.ok) stopIfClosed(data);
      state.checkout = null;
      save();
    });
  }

  function sendSubmit() {
    if (!state.submit) return Promise.resolve();
    return post(config.urls.submit, { remarks: remarksBox.value }).then(function (data) {
      if (data.ok) {
        localStorage.removeItem(KEY);
        state = emptyState();
        window.location.assign(data.redirect);
        return;
      }
      state.submit = false;
      save();
      stopIfClosed(data);
      showProblems(data.errors && data.errors.__all__ ? data.errors.__all__ : [data.error]);
      throw "refused";
    });
  }

  // --- what the page shows ----------------------------------------------------------------------
  function render() {
    var text = T.sent;
    var kind = "sent";
    if (problem === "signed_out" || problem === "gone") { text = T[problem]; kind = "error"; }
    else if (sending) { text = T.sending; kind = "sending"; }
    else if (problem === "refused") { text = T.refused; kind = "error"; }
    else if (hasPending()) { text = T.waiting; kind = "waiting"; }
    syncBar.textContent = text;
    syncBar.className = "sync-bar sync-" + kind;
    syncBar.hidden = form.hidden && kind === "sent";  // nothing to say before the check-in
    if (state.submit && !sending && hasPending()) submitMessage.textContent = T.submit_queued;
  }

  function itemError(code, message) {
    var item = code && form.querySelector('[data-item="' + code + '"] [data-item-error]');
    if (item) item.textContent = message;
  }

  function showProblems(problems, intro) {
    submitMessage.textContent = intro || "";
    var list = document.createElement("ul");
    problems.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      list.appendChild(li);
    });
    submitMessage.appendChild(list);
  }

  // --- check-in ---------------------------------------------------------------------------------
  var checkinMessage = document.querySelector("[data-checkin-message]");
  var reasonBox = document.querySelector("[data-checkin-reason]");
  var located = null;  // {position, distance} waiting for a reason

  function haversine(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180;
    var a = Math.pow(Math.sin((lat2 - lat1) * rad / 2), 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin((lon2 - lon1) * rad / 2), 2);
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function showCheckin(message, askReason) {
    checkinSection.hidden = false;
    form.hidden = true;
    checkinMessage.textContent = message || "";
    reasonBox.hidden = !askReason;
    if (askReason) reasonBox.querySelector("textarea").focus();
  }

  function checkIn(position, note, distance) {
    // Until the server answers, the phone's own reckoning.
    var label = T.checked_in;
    if (distance !== null && position.accuracy_m !== undefined) {
      label += " · " + format(T.distance, { distance: Math.round(distance), accuracy: Math.round(position.accuracy_m) });
    }
    state.checkin = Object.assign({}, position, { location_note: note });
    state.checkinLabel = label;
    save();
    showForm();
    flush();
  }

  // The server's word on the check-in: its time (local to the point) and distance, and the new status.
  function checkedIn(checkin) {
    var label = T.checked_in + " " + checkin.at;
    if (checkin.distance_m !== null && checkin.accuracy_m !== null) {
      label += " · " + format(T.distance, { distance: Math.round(checkin.distance_m), accuracy: Math.round(checkin.accuracy_m) });
    }
    form.querySelector("[data-checkin-done]").textContent = label;
    var badge = document.querySelector("[data-task-status] .status");
    if (badge) { badge.textContent = T.in_progress; badge.className = "status status-in_progress"; }
  }

  function showForm() {
    checkinSection.hidden = true;
    form.hidden = false;
    if (state.checkinLabel && !config.checked_in) form.querySelector("[data-checkin-done]").textContent = state.checkinLabel;
  }

  function locate() {
    checkinMessage.textContent = T.locating;
    reasonBox.hidden = true;
    if (!navigator.geolocation) { located = { position: {}, distance: null }; showCheckin(format(T.no_location, { reason: "—" }), true); return; }
    navigator.geolocation.getCurrentPosition(function (found) {
      var position = { latitude: found.coords.latitude, longitude: found.coords.longitude, accuracy_m: Math.round(found.coords.accuracy) };
      var distance = config.point ? haversine(position.latitude, position.longitude, config.point.latitude, config.point.longitude) : null;
      if (distance !== null && distance > config.max_distance_m) {
        located = { position: position, distance: distance };
        showCheckin(format(T.too_far, { distance: Math.round(distance), limit: config.max_distance_m }), true);
        return;
      }
      checkIn(position, "", distance);
    }, function (error) {
      var reason = { 1: T.geo_denied, 2: T.geo_unavailable, 3: T.geo_timeout }[error.code] || error.message;
      located = { position: {}, distance: null };
      showCheckin(format(T.no_location, { reason: reason }), true);
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  }

  document.querySelector("[data-action=checkin]").addEventListener("click", locate);
  document.querySelector("[data-action=checkin-anyway]").addEventListener("click", function () {
    var note = document.querySelector("[data-location-note]").value.trim();
    var error = document.querySelector("[data-checkin-error]");
    error.textContent = note ? "" : T.reason_needed;
    if (!note) return;
    if (!located) { located = { position: {}, distance: null }; }
    checkIn(located.position, note, located.distance);
  });

  // --- answers ----------------------------------------------------------------------------------
  function fails(item, value) {
    var rule = item.dataset.failing;
    if (!value || !rule) return false;
    if (item.dataset.kind === "YES_NO_NA") return value.toUpperCase() === rule.toUpperCase();
    if (item.dataset.kind === "NUMBER" && /^[<>]-?\d+$/.test(rule)) {
      var number = parseFloat(value.replace(",", "."));
      var limit = parseInt(rule.slice(1), 10);
      return !isNaN(number) && (rule[0] === ">" ? number > limit : number < limit);
    }
    return false;
  }

  function answerOf(item) {
    var checked = item.querySelector("input[type=radio]:checked");
    var input = checked || item.querySelector("[data-value]:not([type=radio])");
    var note = item.querySelector("[data-note]");
    return { value: input ? input.value.trim() : "", note: note ? note.value.trim() : "" };
  }

  function applyAnswer(item, answer) {
    var radio = item.querySelector('input[type=radio][value="' + answer.value + '"]');
    if (radio) radio.checked = true;
    var input = item.querySelector("[data-value]:not([type=radio])");
    if (input) input.value = answer.value;
    var note = item.querySelector("[data-note]");
    if (note) {
      note.value = answer.note;
      if (answer.note) note.closest("details").open = true;
    }
  }

  function hasPhoto(item) { return Boolean(item.querySelector("[data-photos] figure")); }

  function refreshItem(item) {
    item.classList.toggle("failed", fails(item, answerOf(item).value));
  }

  function refreshProgress() {
    var items = form.querySelectorAll("[data-item]");
    var done = Array.prototype.filter.call(items, function (item) {
      return item.dataset.kind === "PHOTO" ? hasPhoto(item) || answerOf(item).value : answerOf(item).value;
    }).length;
    form.querySelector("[data-progress]").textContent = format(T.answered, { n: done, total: items.length });
  }

  var typingTimer = null;
  function answerChanged(event, typing) {
    var item = event.target.closest("[data-item]");
    if (!item || event.target.matches("[data-photo-input]")) return;
    state.answers[item.dataset.item] = answerOf(item);
    save();
    render();
    itemError(item.dataset.item, "");
    refreshItem(item);
    refreshProgress();
    clearTimeout(typingTimer);
    if (typing) typingTimer = setTimeout(flush, TYPING_MS); else flush();
  }

  var remarksBox = document.querySelector("[data-remarks]");
  function remarksChanged(typing) {
    state.remarks = remarksBox.value;
    save();
    render();
    clearTimeout(typingTimer);
    if (typing) typingTimer = setTimeout(flush, TYPING_MS); else flush();
  }

  form.addEventListener("input", function (event) {
    if (event.target === remarksBox) { remarksChanged(true); return; }
    if (event.target.matches("input[type=radio]")) return;  // "change" covers them
    if (event.target.closest("[data-item]")) answerChanged(event, true);
  });
  form.addEventListener("change", function (event) {
    if (event.target === remarksBox) { remarksChanged(false); return; }
    if (event.target.matches("[data-photo-input]")) { photoChosen(event.target); return; }
    if (event.target.closest("[data-item]")) answerChanged(event, false);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  // --- photos -----------------------------------------------------------------------------------
  function pendingThumb(photo) {
    var figure = document.createElement("figure");
    figure.className = "thumb pending";
    figure.dataset.clientId = photo.client_id;
    figure.dataset.testid = "photo-pending";
    var img = document.createElement("img");
    img.src = URL.createObjectURL(photo.blob);
    img.alt = "";
    var caption = document.createElement("figcaption");
    caption.textContent = T.pending;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", T.remove);
    remove.dataset.photoDiscard = photo.client_id;
    figure.append(img, caption, remove);
    var box = form.querySelector('[data-photos][data-item-code="' + (photo.item_code || "") + '"]') ||
      form.querySelector('[data-photos][data-item-code=""]');  // an item the checklist no longer has
    box.appendChild(figure);
  }

  function photoChosen(input) {
    var files = Array.from(input.files || []);
    var code = input.dataset.itemCode || "";
    input.value = "";  // the same photo may be chosen again
    files.forEach(function (file) {
      resize(file).then(function (blob) {
        var photo = { client_id: newClientId(), task: config.task, item_code: code, blob: blob };
        photos.push(photo);
        pendingThumb(photo);
        refreshProgress();
        itemError(code, "");
        return photoKeep(photo).then(flush);
      }).catch(function () { itemError(code, T.photo_failed); });
    });
  }

  form.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches("[data-photo-discard]")) {
      var clientId = target.dataset.photoDiscard;
      photos = photos.filter(function (p) { return p.client_id !== clientId; });
      photoForget(clientId);
      target.closest("figure").remove();
      refreshProgress();
      render();
    } else if (target.matches("[data-photo-remove]")) {
      state.photoRemovals.push(target.dataset.photoRemove);
      save();
      target.closest("figure").remove();
      refreshProgress();
      flush();
    } else if (target.matches("[data-sim-remove]")) {
      var iccid = target.dataset.simRemove;
      var pending = state.sims.filter(function (s) { return s.iccid === iccid; });
      if (pending.length) state.sims = state.sims.filter(function (s) { return s.iccid !== iccid; });
      else state.simRemovals.push(iccid);
      save();
      target.closest("li").remove();
      flush();
    }
  });

  // --- SIMs found: ICCID with its Luhn check digit ----------------------------------------------
  var iccidInput = document.querySelector("[data-iccid]");
  var iccidCheck = document.querySelector("[data-iccid-check]");
  var simAdd = document.querySelector("[data-action=sim-add]");

  function luhnValid(digits) {
    var sum = 0;
    for (var i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
      var d = Number(digits[i]);
      if (double) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function iccidDigits() { return iccidInput.value.replace(/\s+/g, ""); }

  function checkIccid() {
    var digits = iccidDigits();
    var valid = false;
    if (!digits) iccidCheck.textContent = "";
    else if (!/^\d+$/.test(digits) || (digits.length !== 19 && digits.length !== 20)) {
      iccidCheck.textContent = format(T.iccid_length, { n: digits.length });
    } else {
      valid = luhnValid(digits);
      iccidCheck.textContent = valid ? T.iccid_ok : T.iccid_bad;
    }
    iccidCheck.className = "iccid-check " + (valid ? "ok" : digits.length >= 19 ? "bad" : "");
    simAdd.disabled = !valid;
    return valid;
  }

  function simRow(iccid) { return simList.querySelector('[data-sim="' + iccid + '"]'); }

  function pendingSimRow(sim) {
    var li = document.createElement("li");
    li.className = "sim pending";
    li.dataset.sim = sim.iccid;
    li.dataset.testid = "sim-" + sim.iccid;
    var number = document.createElement("span");
    number.className = "iccid";
    number.textContent = sim.iccid;
    var status = document.createElement("span");
    status.className = "sim-match";
    status.textContent = T.pending;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove outline secondary";
    remove.textContent = T.remove;
    remove.dataset.simRemove = sim.iccid;
    li.append(number, status, remove);
    simList.appendChild(li);
  }

  iccidInput.addEventListener("input", checkIccid);
  simAdd.addEventListener("click", function () {
    if (!checkIccid()) return;
    var iccid = iccidDigits();
    var noteInput = document.querySelector("[data-sim-note]");
    document.querySelector("[data-sim-error]").textContent = "";
    if (!simRow(iccid)) {
      var sim = { iccid: iccid, note: noteInput.value.trim() };
      state.sims.push(sim);
      state.simRemovals = state.simRemovals.filter(function (i) { return i !== iccid; });
      save();
      pendingSimRow(sim);
    }
    iccidInput.value = "";
    noteInput.value = "";
    checkIccid();
    flush();
  });

  // --- check-out and submit ---------------------------------------------------------------------
  function missing() {
    var problems = [];
    form.querySelectorAll("[data-item]").forEach(function (item) {
      var answered = answerOf(item).value;
      var n = item.dataset.position;
      var problem = "";
      if (item.dataset.kind === "PHOTO") {
        if (!answered && !hasPhoto(item)) problem = format(T.item_photo, { n: n });
      } else if (!answered) problem = format(T.item_unanswered, { n: n });
      else if (item.hasAttribute("data-requires-photo") && !hasPhoto(item)) problem = format(T.item_photo, { n: n });
      itemError(item.dataset.item, problem);  // marked where it is, too
      if (problem) problems.push(problem);
    });
    return problems;
  }

  document.querySelector("[data-action=submit]").addEventListener("click", function () {
    var problems = missing();
    if (problems.length) { showProblems(problems, T.submit_blocked); return; }
    submitMessage.textContent = "";
    var queue = function (position) {
      state.checkout = position || {};
      state.submit = true;
      state.remarks = remarksBox.value;
      save();
      flush();
      render();
    };
    if (!navigator.geolocation) { queue(null); return; }
    navigator.geolocation.getCurrentPosition(function (found) {
      queue({ latitude: found.coords.latitude, longitude: found.coords.longitude, accuracy_m: Math.round(found.coords.accuracy) });
    }, function () { queue(null); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });

  // --- start: put back what is still waiting, then send it --------------------------------------
  Object.keys(state.answers).forEach(function (code) {
    var item = form.querySelector('[data-item="' + code + '"]');
    if (item) applyAnswer(item, state.answers[code]); else delete state.answers[code];
  });
  if (state.remarks !== null) remarksBox.value = state.remarks;
  state.sims.forEach(function (sim) { if (!simRow(sim.iccid)) pendingSimRow(sim); });
  state.simRemovals.forEach(function (iccid) { var row = simRow(iccid); if (row) row.remove(); });
  state.photoRemovals.forEach(function (url) {
    var button = form.querySelector('[data-photo-remove="' + url + '"]');
    if (button) button.closest("figure").remove();
  });
  if (config.checked_in || state.checkin) showForm();
  form.querySelectorAll("[data-item]").forEach(refreshItem);
  refreshProgress();
  render();

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { problem = "network"; render(); });
  setInterval(function () { if (hasPending() && !sending) flush(); }, RETRY_MS);
  photosWaiting().then(function (waiting) {
    waiting.forEach(function (photo) { photos.push(photo); pendingThumb(photo); });
    refreshProgress();
    flush();
  });
})();
