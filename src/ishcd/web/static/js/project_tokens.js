// Project tokens on the Settings tab: "Generate token" opens a dialog asking for a name
// and a role; "Generate" creates the token through the API (the session's cookie and
// X-CSRF-Token) and shows it once in a second dialog with a copy button. Without this
// module the same form posts to the page, whose answer shows the token once.

const form = document.getElementById("token-form");
const opener = document.getElementById("token-open");
const asking = document.getElementById("token-dialog");
const shown = document.getElementById("token-shown");
const value = document.getElementById("token-shown-value");

function showProblems(box, message, errors) {
  box.replaceChildren();
  const lead = document.createElement("p");
  lead.textContent = message;
  box.append(lead);
  if (errors.length) {
    const list = document.createElement("ul");
    for (const e of errors) {
      const item = document.createElement("li");
      const field = document.createElement("strong");
      field.textContent = e.field;
      item.append(field, `: ${e.message}`);
      list.append(item);
    }
    box.append(list);
  }
  box.hidden = false;
}

async function generate(event) {
  event.preventDefault();
  const problems = form.querySelector("[data-problems]");
  const fields = new FormData(form);
  const body = { name: fields.get("name"), role: fields.get("role") };
  if (fields.get("expires")) body.expires = Number(fields.get("expires"));
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    const response = await fetch(form.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": document.body.dataset.csrf,
      },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      showProblems(problems, answer.message || `The server answered ${response.status}`, answer.errors || []);
      return;
    }
    problems.hidden = true;
    form.reset();
    asking.close();
    value.value = answer.token;
    shown.showModal();
    value.select();
  } catch {
    showProblems(problems, "The server could not be reached; try again.", []);
  } finally {
    submit.disabled = false;
  }
}

if (form && opener && asking && shown && value) {
  asking.append(form);
  for (const el of document.querySelectorAll("#token-form-home .no-js-only")) el.hidden = true;
  for (const el of form.querySelectorAll("[data-close]")) el.hidden = false;
  opener.hidden = false;
  form.addEventListener("submit", generate);
  // The token leaves the page when its dialog closes; the list then shows the new one.
  shown.addEventListener("close", () => {
    value.value = "";
    window.location.reload();
  });
}
