// Behaviour without inline script (the CSP forbids it): select-all boxes and confirmations.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (box.matches && box.matches("input[data-select-all]")) {
    document.querySelectorAll("input[name='" + box.dataset.selectAll + "']").forEach(function (b) { b.checked = box.checked; });
  }
});
document.addEventListener("submit", function (event) {
  if (event.target.hasAttribute("hx-post")) { return; }   // htmx asks first (htmx:confirm below)
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

// Windows of the manual (新增, 修改, 重置密码, Excel导入, 确认, 审核, 审核信息): a link marked data-dialog has htmx load its
// page's content into the <dialog> of base.html (hx-get, hx-select of the page's <main>); the forms
// in the window post with htmx into it too. A refusal (4xx) or an import's result is shown in the
// window; a save answers a redirect, which the server turns into HX-Redirect for htmx (the whole
// page follows). Esc closes the window (native <dialog>), focus goes to the first field (or the
// first refused one) and back to the link on closing. Without script the link is an ordinary page.
var DIALOG_CONTENT = "main > :not(.crumbs)";
function dialogParts() {
  var dialog = document.getElementById("console-dialog");
  return dialog ? {dialog: dialog, body: document.getElementById("console-dialog-body")} : null;
}
function intoDialog(element, attribute, url) {
  element.setAttribute(attribute, url);
  element.setAttribute("hx-target", "#console-dialog-body");
  element.setAttribute("hx-select", DIALOG_CONTENT);
  element.setAttribute("hx-swap", "innerHTML");
  window.htmx.process(element);
}
function wireDialogLinks(root) {
  if (!window.htmx || !dialogParts()) { return; }
  root.querySelectorAll("a[data-dialog]:not([hx-get])").forEach(function (link) {
    intoDialog(link, "hx-get", link.getAttribute("href"));
  });
  // A submit button marked data-dialog-submit posts its form into the window (审核 of the selected).
  root.querySelectorAll("button[data-dialog-submit]:not([hx-post])").forEach(function (button) {
    intoDialog(button, "hx-post", button.getAttribute("formaction"));
  });
}
document.addEventListener("DOMContentLoaded", function () { wireDialogLinks(document); });
document.addEventListener("htmx:load", function (event) {   // links in content htmx swapped in
  if (event.detail.elt.querySelectorAll) { wireDialogLinks(event.detail.elt); }
});
document.addEventListener("htmx:beforeSwap", function (event) {
  // A refusal or an error page belongs in the window, next to what was typed.
  if (event.detail.target.id === "console-dialog-body" && event.detail.xhr.status >= 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
document.addEventListener("htmx:afterRequest", function (event) {
  var parts = dialogParts();
  var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
  if (parts && event.detail.target === parts.body && verb === "post" && event.detail.xhr.status === 200) {
    parts.dialog.dataset.changed = "1";   // e.g. an import's result: the list under it is stale
  }
});
document.addEventListener("htmx:afterSwap", function (event) {
  var parts = dialogParts();
  if (!parts || event.detail.target !== parts.body) { return; }
  var dialog = parts.dialog, body = parts.body;
  var heading = body.querySelector("h1");
  if (heading) { heading.id = "console-dialog-title"; }
  // Its forms post into it; a list's query form and pager in it (特教学生选择) stay in it too.
  body.querySelectorAll("form[action]").forEach(function (form) {
    var post = (form.getAttribute("method") || "get").toLowerCase() === "post";
    intoDialog(form, post ? "hx-post" : "hx-get", form.getAttribute("action"));
  });
  body.querySelectorAll(".pager a[href]").forEach(function (a) { intoDialog(a, "hx-get", a.getAttribute("href")); });
  // A link back to the page under the window (取消, 返回) closes the window instead.
  body.querySelectorAll("a[href]").forEach(function (a) {
    if (new URL(a.href, window.location.href).pathname === window.location.pathname) {
      a.addEventListener("click", function (e) { e.preventDefault(); dialog.close(); });
    }
  });
  body.querySelectorAll("form[data-resident-id]").forEach(residentIdFill);
  applyShownWhen();
  if (!dialog.open) {
    dialog.opener = event.detail.requestConfig && event.detail.requestConfig.elt;
    dialog.showModal();
  }
  var first = body.querySelector("[aria-invalid='true']") ||
    body.querySelector("input:not([type=hidden]):not([disabled]):not([readonly]), select:not([disabled]), textarea");
  if (first) { first.focus(); }
});
document.addEventListener("DOMContentLoaded", function () {
  var parts = dialogParts();
  if (!parts) { return; }
  parts.dialog.querySelector(".dialog-close").addEventListener("click", function () { parts.dialog.close(); });
  parts.dialog.addEventListener("close", function () {
    if (parts.dialog.dataset.changed) { window.location.reload(); return; }
    parts.body.replaceChildren();
    if (parts.dialog.opener && parts.dialog.opener.focus) { parts.dialog.opener.focus(); }
  });
});
// data-confirm on a button of a form htmx sends: asked before the request (htmx:confirm).
document.addEventListener("htmx:confirm", function (event) {
  var trigger = event.detail.triggeringEvent;
  var button = trigger && trigger.submitter;
  var question = button && button.dataset.confirm;
  if (!question) { return; }
  event.preventDefault();
  if (window.confirm(question)) { event.detail.issueRequest(true); }
});
