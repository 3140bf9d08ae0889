// The "send test event" form: an event of the contract, its parameters and its schema's
// example, sent through the Emitter by the server (when started with --allow-send).

import {$, addOption, api, badge, el} from "./dom.js";
import {formValues} from "./connect.js";
import {state} from "./state.js";

export function bindSend() {
  const config = state.config;
  const form = $("#send-form");
  const select = $("#send-event");
  for (const event of config.contract.events) addOption("#send-event", event.name, event.name);
  if (!config.send.enabled) {
    $("#send-off").textContent = config.send.reason;
    for (const input of form.querySelectorAll("input, select, textarea, button")) input.disabled = true;
  } else {
    $("#send-off").textContent = `Events go to ${config.send.target}, validated by the Emitter first.`;
    $("#send").disabled = false;  // off in the page until the server says sending is allowed
  }
  const fill = () => {
    const event = config.contract.events.find((e) => e.name === select.value);
    if (!event) return;
    $("#send-about").textContent = `${event.description || ""} (channels: ${event.channels.join(", ")})`;
    const params = $("#send-params");
    params.replaceChildren();
    const known = formValues().params;
    for (const name of event.params) {
      const label = el("label", null, `${name} `);
      const input = el("input");
      input.name = name;
      const parameter = config.contract.parameters[name] || {};
      input.value = known[name] || parameter.example || "";
      label.append(input);
      params.append(label);
    }
    $("#send-data").value = JSON.stringify(event.example, null, 2);
  };
  let chosen = false;
  select.addEventListener("change", () => { chosen = true; fill(); });
  fill();
  // Until someone picks an event, offer the first one the connected page would receive.
  document.querySelector('.tabs button[data-tab="send"]').addEventListener("click", () => {
    const ids = new Set(((state.stats && state.stats.channels) || []).map((c) => c.channel_id));
    const event = config.contract.events.find((e) => e.channels.some((c) => ids.has(c)));
    if (!chosen && event && select.value !== event.name) { select.value = event.name; fill(); }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const box = $("#send-result");
    box.replaceChildren();
    let data;
    try { data = JSON.parse($("#send-data").value); } catch (err) {
      box.append(el("p", "error", `The payload is not JSON: ${err.message}`));
      return;
    }
    const params = {};
    for (const input of $("#send-params").querySelectorAll("input")) params[input.name] = input.value.trim();
    const result = await api("api/send", {event: select.value, params, data});
    if (result.ok) {
      box.append(el("p", "ok", `sent ${result.event} to ${result.channels.join(", ")} (attempts: ${result.attempts})`));
    } else {
      box.append(el("p", "error", `${result.outcome || "error"}: ${result.message || result.error}`));
      const list = el("ul", "findings");
      for (const f of result.findings || []) {
        const li = el("li", `finding k-${f.kind}`);
        li.append(badge(f.kind), el("code", "path", f.path || ""), el("span", null, ` ${f.message}`));
        list.append(li);
      }
      box.append(list);
    }
  });
}
