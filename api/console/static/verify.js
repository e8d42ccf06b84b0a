// The verify page. A QR scanned with a phone camera opens /verify?cert=…#d=<signed
// certificate>: the fragment never reaches the server, so the page sends it to be checked.
// A dropped or chosen file (PDF, photo of the QR, JSON) is sent as it is, at once.
(function () {
  var form = document.getElementById("verify-form");
  if (!form) return;
  function checkFragment() {
    if (!/^#(.*&)?d=/.test(window.location.hash || "")) return false;
    var reading = document.getElementById("verify-reading");
    if (reading) reading.hidden = false;
    form.document.value = window.location.href;
    history.replaceState(null, "", window.location.pathname + window.location.search);
    form.submit();
    return true;
  }
  // a second scan opened in the same tab changes only the fragment
  window.addEventListener("hashchange", checkFragment);
  if (checkFragment()) return;
  var zone = form.querySelector("[data-verify-drop]");
  function send(files) {
    if (!files || !files.length) return;
    if (form.upload.files !== files) {
      var moved = new DataTransfer();
      moved.items.add(files[0]);
      form.upload.files = moved.files;
    }
    form.document.value = "";
    form.submit();
  }
  zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
  zone.addEventListener("drop", function (e) { e.preventDefault(); zone.classList.remove("over"); send(e.dataTransfer.files); });
  form.upload.addEventListener("change", function () { send(form.upload.files); });
})();
