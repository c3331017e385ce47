// Live statuses on a pipeline's page (the page works without this; it is drawn on the server).
// While the pipeline has not finished, every 2 s: GET /v1/pipelines/{id} and each current
// workflow's GET /v1/workflows/{id}/jobs (with the session cookie), then update the graph's
// nodes, boxes and edges and the jobs tables in place: classes and text only, never HTML.
// When the pipeline's status or its workflows change, the page is loaded again, so that
// its buttons (Approve, Rerun, Stop) fit what can be done now.

const ICONS = { queued: "◷", running: "◔", complete: "✓", error: "✗", on_hold: "‖" };
const PRECEDENCE = ["error", "on_hold", "running", "queued", "complete"];
const FINISHED = new Set(["complete", "error"]);
const EVERY_MS = 2000;
const MOST_MS = 15000;
const SVG = "http://www.w3.org/2000/svg";

const page = document.querySelector(".pipeline-page[data-live]");
if (page) {
  poll(page, EVERY_MS);
}

function words(status, reason) {
  const text = `${ICONS[status] ?? "•"} ${status.replaceAll("_", " ")}`;
  return reason ? `${text} (${reason.replaceAll("_", " ")})` : text;
}

function badge(status, reason) {
  const span = document.createElement("span");
  span.className = `status status-${status}`;
  const icon = document.createElement("span");
  icon.className = "icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = ICONS[status] ?? "•";
  span.append(icon, ` ${status.replaceAll("_", " ")}`);
  if (reason) {
    const why = document.createElement("span");
    why.className = "reason";
    why.textContent = `(${reason.replaceAll("_", " ")})`;
    span.append(" ", why);
  }
  return span;
}

function setClass(element, prefix, value) {
  for (const name of [...element.classList]) {
    if (name.startsWith(prefix)) element.classList.remove(name);
  }
  element.classList.add(prefix + value);
}

async function getJson(path) {
  const response = await fetch(path, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function summary(statuses) {
  return PRECEDENCE.find((status) => statuses.includes(status)) ?? "queued";
}

function showJob(section, workflowId, job, runBase) {
  const key = `${workflowId}/${job.name}`;
  for (const element of section.querySelectorAll("[data-job]")) {
    if (element.dataset.job !== key) continue;
    if (element.matches("tr")) {
      const cell = element.querySelector("[data-status-cell]");
      if (cell) cell.replaceChildren(badge(job.status, job.error_reason));
      continue;
    }
    setClass(element, "status-", job.status);
    element.dataset.status = job.status;
    const text = element.querySelector("[data-status-text]");
    if (text) {
      text.textContent = words(job.status, null);
      if (job.error_reason && !text.hasAttribute("data-short")) {
        const why = document.createElementNS(SVG, "tspan");
        why.setAttribute("class", "reason");
        why.textContent = `(${job.error_reason.replaceAll("_", " ")})`;
        text.append(" ", why);
      }
    }
    const title = element.querySelector("title");
    if (title) title.textContent = `${job.name}: ${words(job.status, job.error_reason)}`;
    if (job.run_id) element.setAttribute("href", `${runBase}/${encodeURIComponent(job.run_id)}`);
  }
}

function showBoxes(section) {
  for (const box of section.querySelectorAll("g[data-box]")) {
    const statuses = [...box.querySelectorAll("[data-job]")].map((job) => job.dataset.status);
    if (statuses.some((status) => !status)) continue; // not heard of yet
    const status = summary(statuses);
    setClass(box, "box-", status);
    const icon = box.querySelector("[data-box-status]");
    if (icon) {
      icon.textContent = ICONS[status] ?? "•";
      setClass(icon, "status-", status);
    }
    for (const edge of section.querySelectorAll("path[data-from]")) {
      if (edge.dataset.from === box.dataset.box) setClass(edge, "edge-", status);
    }
  }
}

async function refresh(section) {
  const id = section.dataset.pipeline;
  const pipeline = await getJson(`/v1/pipelines/${encodeURIComponent(id)}`);
  const workflows = await getJson(`/v1/pipelines/${encodeURIComponent(id)}/workflows`);
  const shown = section.querySelectorAll("section.workflow[data-workflow]").length;
  if (pipeline.status !== section.dataset.status || workflows.length !== shown) {
    const holder = section.querySelector("[data-pipeline-status]");
    if (holder) holder.replaceChildren(badge(pipeline.status, pipeline.error_reason));
    window.location.reload();
    return false;
  }
  const runBase = section.dataset.runs;
  for (const workflow of section.querySelectorAll("section.workflow[data-current]")) {
    const workflowId = workflow.dataset.workflow;
    const jobs = await getJson(`/v1/workflows/${encodeURIComponent(workflowId)}/jobs`);
    for (const job of jobs) showJob(workflow, workflowId, job, runBase);
    showBoxes(workflow);
    const status = workflows.find((w) => w.id === workflowId);
    const holder = workflow.querySelector("[data-workflow-status]");
    if (status && holder) holder.replaceChildren(badge(status.status, status.error_reason));
  }
  return !FINISHED.has(pipeline.status);
}

function poll(section, wait) {
  window.setTimeout(async () => {
    if (document.hidden) {
      poll(section, wait);
      return;
    }
    try {
      if (await refresh(section)) poll(section, EVERY_MS);
    } catch {
      poll(section, Math.min(wait * 2, MOST_MS)); // the server may be restarting
    }
  }, wait);
}
