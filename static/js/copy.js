// Copy buttons: <button data-copy="<id of a field>" data-status="<id of a status element>"
// data-copied="…" data-failed="…" hidden>. Without JavaScript the button stays hidden
// and the text can be selected in its field by hand.

for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.status);
  if (!field) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    let ok = false;
    try {
      await navigator.clipboard.writeText(field.value);
      ok = true;
    } catch {
      // Older browsers, or no permission: select the text so that Ctrl+C copies it.
      field.focus();
      field.select();
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
    }
    if (status) {
      // Cleared first so that a second copy is announced again.
      status.textContent = "";
      requestAnimationFrame(() => { status.textContent = ok ? button.dataset.copied : button.dataset.failed; });
    }
  });
}
