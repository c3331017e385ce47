// The Integrations tab's tokens, through the API as Ish CD's official JS client calls it:
// GET /rest/session/token for the CSRF token, then POST /v1/tokens with X-CSRF-Token and
// the session cookie (no Authorization); the list is read again with GET /v1/tokens.
// Without this script the same buttons are links and forms that work on their own.

const created = document.getElementById("token-created");
const value = document.getElementById("token-value");
const copy = document.getElementById("token-copy");
const copied = document.getElementById("token-copied");

async function sessionToken() {
  const response = await fetch("/rest/session/token", { credentials: "same-origin" });
  if (!response.ok) throw new Error("Your session has ended: sign in again.");
  return response.text();
}

async function problemOf(response) {
  try {
    const body = await response.json();
    const fields = (body.errors || []).map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
    return fields.length ? fields.join("; ") : body.message;
  } catch {
    return `The server answered ${response.status}.`;
  }
}

function ago(stamp) {
  const seconds = Math.max(0, Math.floor(Date.now() / 1000 - stamp));
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60]]) {
    if (seconds >= size) return `${Math.floor(seconds / size)} ${unit} ago`;
  }
  return `${seconds} s ago`;
}

function timeCell(stamp, relative) {
  const cell = document.createElement("td");
  if (stamp === null) {
    const never = document.createElement("span");
    never.className = "muted";
    never.textContent = "never";
    cell.append(never);
    return cell;
  }
  const when = new Date(stamp * 1000);
  const time = document.createElement("time");
  time.dateTime = when.toISOString();
  time.title = when.toLocaleString();
  time.textContent = relative ? ago(stamp) : when.toLocaleString();
  cell.append(time);
  return cell;
}

function tokenRow(token, csrf) {
  const row = document.createElement("tr");
  row.dataset.tokenId = token.id;
  const name = document.createElement("td");
  name.className = "token-name";
  name.textContent = token.name;
  const actions = document.createElement("td");
  actions.className = "actions";
  const form = document.createElement("form");
  form.method = "post";
  form.action = `/integrations/tokens/${encodeURIComponent(token.id)}/revoke`;
  form.className = "inline";
  form.dataset.confirm = `Revoke the token “${token.name}”? Anything using it stops working at once.`;
  const hidden = document.createElement("input");
  hidden.type = "hidden";
  hidden.name = "csrf_token";
  hidden.value = csrf;
  const button = document.createElement("button");
  button.type = "submit";
  button.className = "danger";
  button.textContent = "Revoke";
  form.append(hidden, button);
  actions.append(form);
  row.append(
    name,
    timeCell(token.created, true),
    timeCell(token.last_used, true),
    timeCell(token.expires, false),
    actions,
  );
  return row;
}

async function refreshList() {
  const table = document.getElementById("token-list");
  if (!table) return;
  const query = new URLSearchParams({
    _format: "json",
    page: table.dataset.page || "1",
    per_page: table.dataset.perPage || "30",
  });
  const response = await fetch(`/v1/tokens?${query}`, { credentials: "same-origin" });
  if (!response.ok) return;
  const found = await response.json();
  const csrf = document.body.dataset.csrf || "";
  table.tBodies[0].replaceChildren(...found.map((token) => tokenRow(token, csrf)));
  table.hidden = found.length === 0;
  const empty = document.getElementById("token-empty");
  if (empty) empty.hidden = found.length !== 0;
}

async function generate(form) {
  const error = document.getElementById("token-new-error");
  const data = new FormData(form);
  const expires = String(data.get("expires") || "").trim();
  const body = { name: String(data.get("name") || "").trim(), expires: expires ? Number(expires) : null };
  const submit = form.querySelector("button[type=submit]");
  error.hidden = true;
  submit.disabled = true;
  try {
    const csrf = await sessionToken();
    const response = await fetch("/v1/tokens", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(await problemOf(response));
    const token = await response.json();
    form.reset();
    form.closest("dialog").close();
    document.getElementById("token-created-name").textContent = token.name;
    value.value = token.token;
    copied.textContent = "";
    created.showModal();
    value.focus();
    value.select();
    await refreshList();
  } catch (problem) {
    error.textContent = problem instanceof Error ? problem.message : String(problem);
    error.hidden = false;
  } finally {
    submit.disabled = false;
  }
}

const form = document.getElementById("token-new-form");
if (form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    generate(form);
  });
}

if (created) {
  // The token lives only in this dialog: gone from the page once it closes.
  created.addEventListener("close", () => {
    value.value = "";
  });
}

if (copy && value) {
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value.value);
      copied.textContent = "Copied.";
    } catch {
      value.focus();
      value.select();
      copied.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    }
  });
}
