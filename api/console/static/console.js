// Live split quote of the brackets being edited (yuan and percent, split by the contract).
document.querySelectorAll("form[data-schedule]").forEach(function (form) {
  var timer;
  function run() {
    fetch("/console/finance/quote", {method: "POST", body: new FormData(form), credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (j) {
        form.querySelector("[data-quote-error]").textContent = j.error || "";
        form.querySelector("[data-operator]").textContent = j.operator || "-";
        form.querySelector("[data-treasury]").textContent = j.treasury || "-";
      });
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 250); });
  run();
});

// Irreversible actions (revoking a certificate) ask once before the form is sent.
document.addEventListener("submit", function (e) {
  var button = e.submitter || e.target.querySelector("[data-confirm]");
  var text = button && button.getAttribute("data-confirm");
  if (text && !window.confirm(text)) e.preventDefault();
});

// Copy buttons beside shortened ids: the full id goes to the clipboard.
document.addEventListener("click", function (e) {
  var button = e.target.closest && e.target.closest("button[data-copy]");
  if (!button) return;
  var text = button.getAttribute("data-copy");
  var done = function () { button.classList.add("copied"); setTimeout(function () { button.classList.remove("copied"); }, 1200); };
  if (navigator.clipboard) { navigator.clipboard.writeText(text).then(done); }
});
