// Import progress: poll the JSON status and move the bar; reload once the import has finished.
(function () {
  var box = document.getElementById("import");
  if (!box || (box.dataset.status !== "queued" && box.dataset.status !== "running")) return;
  var bar = document.getElementById("import-progress");
  var figures = document.getElementById("import-figures");
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      bar.value = s.percent;
      figures.textContent = s.percent + "% · " + s.status + " · " + s.added + " added, " + s.existing +
        " already members, " + s.invalid + " invalid";
      if (s.status === "done" || s.status === "failed") { window.location.reload(); } else { setTimeout(poll, 700); }
    }).catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 300);
})();
