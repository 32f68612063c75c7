// Behaviour without inline script (the CSP forbids it): select-all boxes and confirmations.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (box.matches && box.matches("input[data-select-all]")) {
    document.querySelectorAll("input[name='" + box.dataset.selectAll + "']").forEach(function (b) { b.checked = box.checked; });
  }
});
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) { event.preventDefault(); }
});

// 居民身份证: gender and birth date come from the number and cannot be edited (manual 4.2). The
// registration service derives and checks them too; this only shows them while typing.
function residentIdFill(form) {
  var prefix = form.dataset.residentId;
  var field = function (name) { return form.querySelector("[name='" + prefix + "." + name + "']:not([type=hidden])"); };
  var type = field("document.type"), number = field("document.number");
  var gender = field("gender"), birth = field("birth_date");
  if (!type || !number || !gender || !birth) { return; }
  var mirror = form.querySelector("input[type=hidden][data-mirror]");
  var resident = type.value === "DOCUMENT_TYPE_RESIDENT_ID";
  var n = number.value.trim();
  if (resident && /^\d{17}[\dXx]$/.test(n)) {
    birth.value = n.slice(6, 10) + "-" + n.slice(10, 12) + "-" + n.slice(12, 14);
    gender.value = parseInt(n.charAt(16), 10) % 2 === 1 ? "GENDER_MALE" : "GENDER_FEMALE";
  }
  birth.readOnly = resident;
  gender.disabled = resident;           // a disabled select is not sent: its value goes in a mirror
  if (resident) {
    if (!mirror) {
      mirror = document.createElement("input");
      mirror.type = "hidden"; mirror.name = gender.name; mirror.dataset.mirror = "1";
      form.appendChild(mirror);
    }
    mirror.value = gender.value;
  } else if (mirror) {
    mirror.remove();
  }
}
document.addEventListener("input", function (event) {
  var form = event.target.form;
  if (form && form.dataset.residentId) { residentIdFill(form); }
});
document.addEventListener("change", function (event) {
  var form = event.target.form;
  if (form && form.dataset.residentId) { residentIdFill(form); }
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-resident-id]").forEach(residentIdFill);
});

// Uploads with a progress bar: the file goes by XMLHttpRequest (its upload progress is visible);
// the answer is followed as the browser would (a redirect to the import's progress page, or the
// form again with the reason next to the file). Without a file the form is submitted as usual.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || !form.matches("form[data-upload-progress]")) { return; }
  var file = form.querySelector("input[type=file]");
  if (!file || !file.files.length) { return; }
  event.preventDefault();
  var bar = document.getElementById(form.dataset.uploadProgress);
  var label = document.getElementById(form.dataset.uploadProgress + "-text");
  bar.hidden = false; label.hidden = false;
  var xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.upload.addEventListener("progress", function (e) {
    if (e.lengthComputable) {
      bar.value = Math.round(100 * e.loaded / e.total);
      label.textContent = "正在上传 " + bar.value + "%";
    }
  });
  xhr.addEventListener("load", function () {
    if (xhr.responseURL && xhr.responseURL !== form.action) {
      window.location.assign(xhr.responseURL);
    } else {
      document.open(); document.write(xhr.responseText); document.close();
    }
  });
  xhr.addEventListener("error", function () { label.textContent = "上传失败，请检查网络后重试"; });
  xhr.send(new FormData(form));
});
