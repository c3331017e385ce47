// The job form (new and edit): "Add more rows" adds one variable row in place
// (without JavaScript the button posts the form back with more blank rows), and
// ticking "Secret" hides what is typed in that row's default.

const form = document.getElementById("job-form");
const template = document.getElementById("var-row-template");
const rows = form?.querySelector("[data-var-rows]");
const count = form?.querySelector("[data-rows]");

function addRow() {
  if (!(template instanceof HTMLTemplateElement) || !rows || !(count instanceof HTMLInputElement)) {
    return false;
  }
  const index = Number(count.value);
  const max = Number(form.querySelector("[data-add-row]")?.dataset.max ?? "200");
  if (!Number.isInteger(index) || index >= max) {
    return true;
  }
  const row = template.content.firstElementChild.cloneNode(true);
  row.dataset.row = String(index);
  for (const field of row.querySelectorAll("[name]")) {
    field.name = field.name.replace("__i__", String(index));
  }
  const number = row.querySelector(".row-number");
  if (number) {
    number.textContent = String(index + 1);
  }
  rows.append(row);
  count.value = String(index + 1);
  row.querySelector("input")?.focus();
  return true;
}

form?.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-add-row]") : null;
  if (button && addRow()) {
    event.preventDefault();
  }
});

form?.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.matches("[data-secret]")) {
    return;
  }
  const field = box.closest(".var-row")?.querySelector("[data-default]");
  if (field instanceof HTMLInputElement) {
    field.type = box.checked ? "password" : "text";
    field.autocomplete = box.checked ? "new-password" : "off";
  }
});
