// The run page's live parts: the log viewer, and the run's summary kept
// current while it runs (re-read from the page itself, as the server renders
// it at …/summary, when the log stream says the run has changed, and every
// few seconds).

import { LogViewer } from "./logview.js";

const POLL_MS = 5000;
const root = document.getElementById("log-viewer");
const summary = () => document.getElementById("run-summary");
let finished = summary() ? ["complete", "error"].includes(summary().dataset.status) : true;
let refreshing = null;

async function refreshSummary() {
  const response = await fetch(`${window.location.pathname}/summary`, { credentials: "same-origin" });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("run-summary");
  const current = summary();
  if (fresh && current) {
    current.replaceWith(document.importNode(fresh, true));
    finished = ["complete", "error"].includes(fresh.dataset.status);
    for (const el of summary().querySelectorAll("time[datetime]")) {
      el.title = new Date(el.getAttribute("datetime")).toLocaleString();
    }
  }
}

function refresh() {
  if (!refreshing) refreshing = refreshSummary().catch(() => {}).finally(() => (refreshing = null));
  return refreshing;
}

let viewer = null;
if (root) {
  viewer = new LogViewer(root, {
    runId: root.dataset.run,
    finished: root.dataset.finished === "true",
    onStatus: () => refresh(),
  });
  viewer.start();
}

if (!finished) {
  const timer = window.setInterval(async () => {
    await refresh();
    if (viewer && !viewer.finished) viewer.refreshRun().catch(() => {}); // new steps
    if (finished) window.clearInterval(timer);
  }, POLL_MS);
}
