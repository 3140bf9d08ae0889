// The doctor tab: the server streams the run, so each check appears as soon as it finishes and
// the headline names the step running now (the console's progress line).

import {$, api, el} from "./dom.js";
import {formValues} from "./connect.js";

let budget = 0;
let done = 0;

export function showDoctor(m) {
  const list = $("#doctor-checks");
  const head = $("#doctor-headline");
  if (m.type === "started") {
    list.replaceChildren();
    budget = m.budget_s;
    done = 0;
    head.className = "headline running";
    head.textContent = `The doctor is running (budget ${budget} s)…`;
    $("#doctor-run").disabled = true;
  } else if (m.type === "running") {
    head.textContent = `The doctor is running (budget ${budget} s): ${m.title}… (${done} done)`;
  } else if (m.type === "check") {
    const c = m.check;
    done += 1;
    const li = el("li", `check st-${c.status}`);
    li.dataset.id = c.id;
    li.append(el("span", `badge st-${c.status}`, c.status), el("strong", null, ` ${c.title}`),
              el("span", "section", ` ${c.section}`), el("div", null, c.summary));
    if (c.evidence.length) {
      const details = el("details");
      details.append(el("summary", null, "evidence"));
      for (const line of c.evidence) details.append(el("div", "evidence", line));
      li.append(details);
    }
    if (c.next_action) li.append(el("div", "next", `next: ${c.next_action}`));
    list.append(li);
  } else if (m.type === "done" || m.type === "failed") {
    head.className = `headline ${m.type === "done" && m.exit_code === 0 ? "ok" : "bad"}`;
    head.textContent = m.type === "done" ? `${m.headline} (exit ${m.exit_code}, ${m.duration_s} s)` : `The doctor could not run: ${m.message}`;
    $("#doctor-run").disabled = false;
  }
}

export function bindDoctor() {
  $("#doctor-run").addEventListener("click", async () => {
    const v = formValues();
    const result = await api("api/doctor", {audience: v.audience, token: v.token,
      auth_endpoint: v.auth_endpoint, origin: $("#doctor-origin").value.trim(), ...v.params});
    if (!result.ok) $("#doctor-headline").textContent = result.error;
  });
}
