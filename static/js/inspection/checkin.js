// Checking in: the phone's position and its distance to the point; farther than the server allows, or
// without a position, the inspector says why first (the server asks the same: fieldwork.inspection_check_in).
import { checkinDistanceM, format, tooFar } from "./logic.js";
import { deviceTime } from "./outbox.js";

const GEO_OPTIONS = { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 };

// `app`: the shared session; `page`: page.js; `sync`: sync.js.
export function setupCheckin(app, page, sync) {
  const T = app.T;
  const config = app.config;

  // `time`: the device time of the tap on "Check in here" (finding the position may take a while).
  function checkIn(position, note, distance, time) {
    // Until the server answers, the phone's own reckoning.
    let label = T.checked_in + " " + (time || "").slice(11, 16);
    if (distance !== null && position.accuracy_m !== undefined) {
      label += " · " + format(T.distance, { distance: Math.round(distance), accuracy: Math.round(position.accuracy_m) });
    }
    app.queue("checkin", { position, location_note: note, label }, time);
    app.showForm();
    sync.render();
    sync.flush();
  }

  function askWhy(message, position, distance, time) {
    app.located = { position, distance, time }; // waiting for a reason
    page.showCheckin(message, true);
  }

  function locate() {
    const time = deviceTime();
    page.showLocating();
    if (!navigator.geolocation) { askWhy(format(T.no_location, { reason: "—" }), {}, null, time); return; }
    navigator.geolocation.getCurrentPosition((found) => {
      const position = { latitude: found.coords.latitude, longitude: found.coords.longitude, accuracy_m: Math.round(found.coords.accuracy) };
      const distance = checkinDistanceM(position, config.point);
      if (tooFar(distance, config.max_distance_m)) {
        askWhy(format(T.too_far, { distance: Math.round(distance), limit: config.max_distance_m }), position, distance, time);
        return;
      }
      checkIn(position, "", distance, time);
    }, (error) => {
      const reason = { 1: T.geo_denied, 2: T.geo_unavailable, 3: T.geo_timeout }[error.code] || error.message;
      askWhy(format(T.no_location, { reason }), {}, null, time);
    }, GEO_OPTIONS);
  }

  function checkInAnyway() {
    const note = page.locationNote();
    page.setCheckinError(note ? "" : T.reason_needed);
    if (!note) return;
    if (!app.located) app.located = { position: {}, distance: null, time: deviceTime() };
    checkIn(app.located.position, note, app.located.distance, app.located.time);
  }

  document.querySelector("[data-action=checkin]").addEventListener("click", locate);
  document.querySelector("[data-action=checkin-anyway]").addEventListener("click", checkInAnyway);
}
