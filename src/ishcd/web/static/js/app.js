// Small enhancements for every page; each page works without them.
// - <time datetime> shown in the reader's own time zone (title keeps UTC).
// - forms with data-confirm ask first; buttons with data-dialog open a <dialog>.

for (const el of document.querySelectorAll("time[datetime]")) {
  const when = new Date(el.getAttribute("datetime"));
  if (!Number.isNaN(when.getTime()) && !el.dataset.keep) {
    el.title = when.toLocaleString();
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

document.addEventListener("click", (event) => {
  const opener = event.target instanceof Element ? event.target.closest("[data-dialog]") : null;
  if (opener) {
    const dialog = document.getElementById(opener.dataset.dialog);
    if (dialog instanceof HTMLDialogElement) {
      event.preventDefault();
      dialog.showModal();
    }
  }
  const closer = event.target instanceof Element ? event.target.closest("[data-close]") : null;
  if (closer) {
    const dialog = closer.closest("dialog");
    if (dialog) {
      event.preventDefault();
      dialog.close();
    }
  }
});
