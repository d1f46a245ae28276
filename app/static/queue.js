// "Select all" for the moderation queue: shown only when scripts run, since it needs them.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  const boxes = () => document.querySelectorAll("#queue-form input[name=post_id]");
  all.closest("label").hidden = false;
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
  document.getElementById("queue-form").addEventListener("change", (event) => {
    if (event.target.name !== "post_id") return;
    const list = [...boxes()];
    all.checked = list.every((box) => box.checked);
    all.indeterminate = !all.checked && list.some((box) => box.checked);
  });
});
