// After a form is sent, put keyboard and screen-reader focus on what it says: the first error, else the flash.
document.addEventListener("DOMContentLoaded", () => {
  const target = document.querySelector(".error-summary, .flash-error, .flash");
  if (target) target.focus();
});
