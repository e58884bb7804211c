// Staff pages of the observers app: "select all not yet placed" on the placement page.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.select-all")) {
    button.addEventListener("click", () => {
      const form = button.closest("form");
      for (const box of form.querySelectorAll(`input[name="${button.dataset.target}"]`)) {
        box.checked = !box.closest("label").classList.contains("muted");
      }
    });
  }
});
