// "Select all" for a list with checkboxes (the moderation queue, the roster): shown only when scripts run.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  const form = document.getElementById("queue-form");
  if (!all || !form) return;
  const boxes = () => [...form.querySelectorAll("tbody input[type=checkbox]")];
  all.closest("label").hidden = false;
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
  form.addEventListener("change", (event) => {
    if (event.target === all) return;
    const list = boxes();
    all.checked = list.every((box) => box.checked);
    all.indeterminate = !all.checked && list.some((box) => box.checked);
  });
});
