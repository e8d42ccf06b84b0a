// Live split quote (computed by the contract through POST /v1/split/quote).
(function () {
  var form = document.querySelector("[data-quote]");
  if (!form) return;
  var nums = function (s) { return s.split(/[,，]/).filter(function (x) { return x.trim(); }).map(Number); };
  var yuan = function (f) { return (f / 100).toLocaleString(undefined, {minimumFractionDigits: 2}); };
  var timer;
  function run() {
    var body = {lower_bounds: nums(form.lower_bounds.value), operator_bps: nums(form.operator_bps.value),
                amount: Number(form.amount.value || 0)};
    fetch("/v1/split/quote", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        var err = form.querySelector("[data-quote-error]");
        if (res[0]) {
          form.querySelector("[data-operator]").textContent = yuan(res[1].operator_share);
          form.querySelector("[data-treasury]").textContent = yuan(res[1].treasury_share);
          err.textContent = "";
        } else { err.textContent = res[1].detail || res[1].title || "error"; }
      });
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 250); });
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  run();
})();

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
