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
// A select with data-reveals shows the element of that id while "correct" is chosen (修正's fields).
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.matches && select.matches("select[data-reveals]")) {
    var part = document.getElementById(select.dataset.reveals);
    if (part) { part.hidden = select.value !== "correct"; }
  }
});
// Inputs shown only for some choices: data-shown-when="select_id:value,value" (特教 proof types).
// An input with a service error stays shown, whatever the choice.
function applyShownWhen() {
  document.querySelectorAll("[data-shown-when]").forEach(function (part) {
    var rule = part.dataset.shownWhen.split(":");
    var select = document.getElementById(rule[0]);
    if (!select) { return; }
    var wanted = rule[1].split(",").indexOf(select.value) >= 0;
    part.hidden = !wanted && !part.querySelector("[aria-invalid='true']");
  });
}
document.addEventListener("DOMContentLoaded", applyShownWhen);
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select")) { applyShownWhen(); }
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
  var action = new URL(form.getAttribute("action"), window.location.href).href;
  xhr.open("POST", action);
  xhr.upload.addEventListener("progress", function (e) {
    if (e.lengthComputable) {
      bar.value = Math.round(100 * e.loaded / e.total);
      label.textContent = "正在上传 " + bar.value + "%";
    }
  });
  xhr.addEventListener("load", function () {
    if (xhr.responseURL && xhr.responseURL !== action) {
      window.location.assign(xhr.responseURL);
    } else {
      document.open(); document.write(xhr.responseText); document.close();
    }
  });
  xhr.addEventListener("error", function () { label.textContent = "上传失败，请检查网络后重试"; });
  xhr.send(new FormData(form));
});

// Windows of the manual (新增, 修改, Excel导入): a link with data-dialog opens its page's content in a
// modal <dialog>. Its forms are sent with fetch: a redirect (saved) is followed by the whole page,
// any other answer (a refusal, an import's result) is shown in the dialog. Without script the link
// is an ordinary page.
function dialogElement() {
  var dialog = document.getElementById("console-dialog");
  if (!dialog) {
    dialog = document.createElement("dialog");
    dialog.id = "console-dialog";
    dialog.className = "dialog";
    dialog.setAttribute("aria-labelledby", "console-dialog-title");
    dialog.addEventListener("close", function () {
      if (dialog.dataset.changed) { window.location.reload(); }
    });
    document.body.appendChild(dialog);
  }
  return dialog;
}
function showInDialog(html) {
  var main = new DOMParser().parseFromString(html, "text/html").querySelector("main");
  if (!main) { return; }
  var dialog = dialogElement();
  var crumbs = main.querySelector(".crumbs");
  if (crumbs) { crumbs.remove(); }
  dialog.replaceChildren.apply(dialog, Array.from(main.childNodes));
  var heading = dialog.querySelector("h1");
  if (heading) { heading.id = "console-dialog-title"; }
  var close = document.createElement("button");
  close.type = "button"; close.className = "dialog-close"; close.textContent = "关闭";
  close.addEventListener("click", function () { dialog.close(); });
  dialog.appendChild(close);
  // A link back to the page under the dialog closes the dialog instead.
  dialog.querySelectorAll("a[href]").forEach(function (a) {
    if (new URL(a.href, window.location.href).pathname === window.location.pathname) {
      a.addEventListener("click", function (e) { e.preventDefault(); dialog.close(); });
    }
  });
  dialog.querySelectorAll("form[data-resident-id]").forEach(residentIdFill);
  if (!dialog.open) { dialog.showModal(); }
}
function followOrShow(response) {
  if (response.redirected) { window.location.assign(response.url); return null; }
  return response.text().then(showInDialog);
}
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-dialog]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
  event.preventDefault();
  fetch(link.href, {credentials: "same-origin"}).then(followOrShow);
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  // getAttribute: a form with an input named "action" (保存 / 保存并继续) shadows form.action.
  var method = (form.getAttribute("method") || "get").toLowerCase();
  if (event.defaultPrevented || !form.closest("#console-dialog") || method !== "post") { return; }
  event.preventDefault();
  var dialog = dialogElement();
  var target = (event.submitter && event.submitter.getAttribute("formaction")) || form.getAttribute("action");
  fetch(new URL(target, window.location.href).href, {method: "POST", body: new FormData(form, event.submitter), credentials: "same-origin"})
    .then(function (response) {
      if (response.ok && !response.redirected) { dialog.dataset.changed = "1"; }   // e.g. an import's result
      return followOrShow(response);
    });
});
