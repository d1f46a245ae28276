// Every panel page: focus on what a sent form says, and a confirmation before a button that cannot be undone.
document.addEventListener("DOMContentLoaded", () => {
  // After a POST, keyboard and screen-reader focus goes to the first error, else the flash message.
  const target = document.querySelector(".error-summary, .flash-error, .flash");
  if (target) target.focus();
});

document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
