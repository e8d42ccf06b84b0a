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

// Dashboard charts (ECharts from the project's npm copy): the SVG bars stay for pages
// without scripts; the figures also stand in the tables beside them.
(function () {
  var box = document.querySelector("[data-charts]");
  if (!box || !window.echarts) return;
  var OP = "#4a5563", TR = "#b3261e";
  fetch(box.getAttribute("data-charts"), {credentials: "same-origin"})
    .then(function (r) { return r.json(); })
    .then(function (d) {
      var L = d.labels, base = {aria: {enabled: true, decal: {show: true}}, animation: false,
        textStyle: {color: "#1f2933"},
        tooltip: {trigger: "axis"}, grid: {left: 60, right: 16, top: 44, bottom: 30}};
      function draw(name, option, count) {
        var el = box.querySelector('[data-chart="' + name + '"]');
        if (!el) return;
        if (!count) option.title = {text: L.nothing, left: "center", top: "middle",
          textStyle: {color: "#4a5563", fontSize: 14, fontWeight: "normal"}};
        echarts.init(el, null, {renderer: "svg"}).setOption(Object.assign({}, base, option));
      }
      box.querySelector(".echarts").hidden = false;
      draw("revenue", {legend: {top: 0, data: [L.operator, L.treasury]},
        xAxis: {type: "category", data: d.revenue.months}, yAxis: {type: "value", name: L.unit},
        series: [{name: L.operator, type: "bar", stack: "r", color: OP, data: d.revenue.operator},
                 {name: L.treasury, type: "bar", stack: "r", color: TR, data: d.revenue.treasury}]}, d.revenue.months.length);
      draw("outstanding", {xAxis: {type: "category", data: d.outstanding.months},
        yAxis: {type: "value", name: L.unit},
        series: [{name: L.outstanding, type: "bar", color: TR, data: d.outstanding.amounts}]},
        d.outstanding.months.length);
      draw("status", {tooltip: {trigger: "item"}, legend: {bottom: 0, type: "scroll"},
        series: [{name: L.assets_by_status, type: "pie", center: ["50%", "45%"],
        radius: ["30%", "58%"], label: {formatter: "{c}", color: "#1f2933"},
        data: d.status.map(function (s) { return {name: s.name, value: s.value}; })}]}, d.status.length);
      if (d.cities) draw("cities", {xAxis: {type: "category", data: d.cities.map(function (c) { return String(c.city); })},
        yAxis: {type: "value", minInterval: 1}, series: [{name: L.certificates_by_city, type: "bar", color: OP,
        data: d.cities.map(function (c) { return c.value; })}]}, d.cities.length);
      box.classList.add("charted");
    });
})();
