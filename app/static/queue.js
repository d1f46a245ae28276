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

// The moderation queue by keyboard: j/k move the highlight, x ticks the row, a/r/d approve/reject/discard it.
// After an action the page reloads; the highlight comes back at the same place, now the next post.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("queue-form");
  const help = document.getElementById("queue-keys");
  if (!form || !help) return;
  help.hidden = false;
  const memory = `queue-focus:${location.pathname}${location.search}`;
  const rows = () => [...form.querySelectorAll("tbody tr[data-post]")];
  let current = -1;
  const highlight = (index) => {
    const list = rows();
    if (!list.length) return;
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach((row, i) => row.classList.toggle("focused", i === current));
    list[current].focus({ preventScroll: true });
    list[current].scrollIntoView({ block: "nearest" });
  };
  const stored = sessionStorage.getItem(memory);
  sessionStorage.removeItem(memory);
  if (stored !== null) highlight(Number(stored));
  form.addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-post]");
    if (row) current = rows().indexOf(row);
  });
  const act = (action) => {
    const row = rows()[current];
    const button = row && row.querySelector(`button[name=action][value=${action}]`);
    if (!button) return;
    sessionStorage.setItem(memory, String(current));
    button.click();
  };
  const keys = {
    j: () => highlight(current + 1),
    k: () => highlight(current - 1),
    x: () => { const box = current >= 0 && rows()[current].querySelector("input[type=checkbox]"); if (box) box.click(); },
    a: () => act("approve"),
    r: () => act("reject"),
    d: () => act("discard"),
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || !keys[event.key]) return;
    const typing = event.target.closest("textarea, select, input:not([type=checkbox]), [contenteditable]");
    if (typing) return;
    event.preventDefault();
    keys[event.key]();
  });
});
