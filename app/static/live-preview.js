// Header/footer live preview: re-render the server's sandboxed preview while typing (the Preview button
// does the same without JavaScript). The form posts with its own CSRF token; nothing is saved.
(function () {
  var form = document.getElementById("templates-form");
  var target = document.getElementById("templates-preview");
  if (!form || !target || !window.fetch) return;
  var timer = null;
  function refresh() {
    var data = new FormData(form);
    data.set("preview", "Preview");
    data.delete("submit");
    fetch(form.action || window.location.href, {method: "POST", body: data, credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("templates-preview");
        if (fresh) target.replaceChildren.apply(target, Array.from(fresh.childNodes));
        form.querySelectorAll(".error").forEach(function (e) { e.remove(); });
        page.querySelectorAll("#templates-form .error").forEach(function (e) {
          var field = e.previousElementSibling;
          var mine = field && field.id ? document.getElementById(field.id) : null;
          if (mine) mine.insertAdjacentElement("afterend", document.importNode(e, true));
        });
      });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
