// Copy buttons: <button data-copy="id"> copies the value (or text) of the element with that id.
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const text = "value" in source ? source.value : source.textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      if (source instanceof HTMLInputElement) source.select();
      button.textContent = "Press Ctrl+C to copy";
    }
  });
}
