// Checking in: the phone's position and its distance to the point; farther than the server allows, or
// without a position, the inspector says why first (the server asks the same: fieldwork.inspection_check_in).
import { checkinDistanceM, format, queueCheckin, tooFar } from "./logic.js";

const GEO_OPTIONS = { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 };

// `app`: the shared session; `page`: page.js; `sync`: sync.js.
export function setupCheckin(app, page, sync) {
  const T = app.T;
  const config = app.config;

  function checkIn(position, note, distance) {
    // Until the server answers, the phone's own reckoning.
    let label = T.checked_in;
    if (distance !== null && position.accuracy_m !== undefined) {
      label += " · " + format(T.distance, { distance: Math.round(distance), accuracy: Math.round(position.accuracy_m) });
    }
    queueCheckin(app.state, position, note, label);
    app.save();
    app.showForm();
    sync.flush();
  }

  function askWhy(message, position, distance) {
    app.located = { position, distance }; // waiting for a reason
    page.showCheckin(message, true);
  }

  function locate() {
    page.showLocating();
    if (!navigator.geolocation) { askWhy(format(T.no_location, { reason: "—" }), {}, null); return; }
    navigator.geolocation.getCurrentPosition((found) => {
      const position = { latitude: found.coords.latitude, longitude: found.coords.longitude, accuracy_m: Math.round(found.coords.accuracy) };
      const distance = checkinDistanceM(position, config.point);
      if (tooFar(distance, config.max_distance_m)) {
        askWhy(format(T.too_far, { distance: Math.round(distance), limit: config.max_distance_m }), position, distance);
        return;
      }
      checkIn(position, "", distance);
    }, (error) => {
      const reason = { 1: T.geo_denied, 2: T.geo_unavailable, 3: T.geo_timeout }[error.code] || error.message;
      askWhy(format(T.no_location, { reason }), {}, null);
    }, GEO_OPTIONS);
  }

  function checkInAnyway() {
    const note = page.locationNote();
    page.setCheckinError(note ? "" : T.reason_needed);
    if (!note) return;
    if (!app.located) app.located = { position: {}, distance: null };
    checkIn(app.located.position, note, app.located.distance);
  }

  document.querySelector("[data-action=checkin]").addEventListener("click", locate);
  document.querySelector("[data-action=checkin-anyway]").addEventListener("click", checkInAnyway);
}
