// Uploads of many returned files: dropped files and whole folders are sent in small batches, each batch
// acknowledged by the server before the next one is sent (what was acknowledged is saved).
(function () {
  "use strict";
  var BATCH = 50;

  function walk(entry, out) {
    return new Promise(function (resolve) {
      if (entry.isFile) {
        entry.file(function (f) { out.push(f); resolve(); }, function () { resolve(); });
      } else if (entry.isDirectory) {
        var reader = entry.createReader();
        var read = function () {
          reader.readEntries(function (entries) {
            if (!entries.length) { resolve(); return; }
            Promise.all(entries.map(function (e) { return walk(e, out); })).then(read);
          }, function () { resolve(); });
        };
        read();
      } else {
        resolve();
      }
    });
  }

  function upload(drop, files) {
    var log = document.getElementById("upload-log");
    var token = document.body.getAttribute("data-csrf");
    var url = drop.getAttribute("data-upload");
    var batches = [];
    for (var i = 0; i < files.length; i += BATCH) { batches.push(files.slice(i, i + BATCH)); }
    var next = function () {
      if (!batches.length) { return; }
      var form = new FormData();
      batches.shift().forEach(function (f) { form.append("files", f, f.webkitRelativePath || f.name); });
      fetch(url, { method: "POST", body: form, headers: { "X-CSRF-Token": token }, credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          log.insertAdjacentHTML("beforeend", html);
          var progress = document.getElementById("progress");
          if (progress && window.htmx) { window.htmx.trigger(progress, "refresh"); }
          next();
        })
        .catch(function () {
          log.insertAdjacentHTML("beforeend", "<li class=\"u-bad\"><span class=\"tag\">上传中断</span> 网络错误，未确认的文件请重新上传</li>");
        });
    };
    next();
  }

  document.addEventListener("change", function (e) {
    var input = e.target;
    var shown = input && input.getAttribute && document.getElementById(input.getAttribute("data-show") || "");
    if (shown && input.files && input.files.length) { shown.textContent = input.files[0].name; }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var drop = document.getElementById("drop");
    if (!drop) { return; }
    ["dragenter", "dragover"].forEach(function (type) {
      drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
    drop.addEventListener("drop", function (e) {
      e.preventDefault();
      drop.classList.remove("over");
      var items = e.dataTransfer.items;
      var files = [];
      var entries = [];
      for (var i = 0; items && i < items.length; i++) {
        var entry = items[i].webkitGetAsEntry && items[i].webkitGetAsEntry();
        if (entry) { entries.push(entry); }
      }
      if (!entries.length) { upload(drop, Array.prototype.slice.call(e.dataTransfer.files)); return; }
      Promise.all(entries.map(function (en) { return walk(en, files); })).then(function () { upload(drop, files); });
    });
    ["pick-files", "pick-folder"].forEach(function (id) {
      var input = document.getElementById(id);
      input.addEventListener("change", function () {
        upload(drop, Array.prototype.slice.call(input.files));
        input.value = "";
      });
    });
  });
})();
