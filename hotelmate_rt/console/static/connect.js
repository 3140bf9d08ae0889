// The connect form: listen as guest, staff or the public (or on channel names), with the
// defaults the console was started with.

import {$, api} from "./dom.js";
import {setStatus} from "./channels.js";

export function formValues() {
  const data = new FormData($("#connect-form"));
  const params = {};
  for (const name of ["booking_id", "hotel_slug", "room_number", "conversation_id"]) {
    const value = String(data.get(name) || "").trim();
    if (value) params[name] = value;
  }
  return {audience: data.get("audience"), token: data.get("token") || "",
          auth_endpoint: String(data.get("auth_endpoint") || "").trim(),
          channels: String(data.get("channels") || ""), params};
}

export function showAudienceFields() {
  const audience = new FormData($("#connect-form")).get("audience");
  for (const label of document.querySelectorAll("#connect-form [data-for]")) {
    label.hidden = !label.dataset.for.split(" ").includes(audience);
  }
}

export function bindConnect() {
  const form = $("#connect-form");
  form.addEventListener("change", showAudienceFields);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    $("#connect-error").textContent = "";
    setStatus("connecting", "connecting…");
    const result = await api("api/connect", formValues());
    if (!result.ok) {
      setStatus("error", "not connected");
      $("#connect-error").textContent = result.error || `failed (${result.status})`;
      const input = result.field && form.querySelector(`[name="${result.field === "params" && result.missing && result.missing[0] ? result.missing[0] : result.field}"]`);
      if (input) input.focus();
    }
  });
  $("#disconnect").addEventListener("click", () => api("api/disconnect", {}));
}

export function applyDefaults(config) {
  const d = config.defaults;
  const form = $("#connect-form");
  if (d.audience) form.querySelector(`[name="audience"][value="${d.audience}"]`)?.click();
  for (const [name, value] of Object.entries(d.params)) {
    const input = form.querySelector(`[name="${name}"]`);
    if (input) input.value = value;
  }
  if (d.channels.length) form.channels.value = d.channels.join("\n");
  if (d.auth_endpoint) form.auth_endpoint.value = d.auth_endpoint;
  if (d.token_on_server) form.token.placeholder = "set on the server (leave empty to use it)";
  const s = config.server;   // where the probe listens (hotelmate_rt.settings: a host wins over a cluster)
  $("#server").textContent = `${s.tls ? "wss" : "ws"}://${s.host}:${s.port} · key ${s.key}`;
}
