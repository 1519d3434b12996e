// Drag-and-drop upload with progress, one request per file. Progressive
// enhancement: without JavaScript the same form posts all files at once.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function row(list, file, waiting) {
    var item = document.createElement("li");
    var name = document.createElement("span");
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var status = document.createElement("span");
    status.className = "doc-progress__status";
    status.textContent = waiting;
    item.appendChild(name);
    item.appendChild(bar);
    item.appendChild(status);
    list.appendChild(item);
    return { bar: bar, status: status };
  }

  function showResult(ui, ok, message, url, openLabel) {
    ui.status.textContent = message;
    ui.status.className = "doc-progress__status " + (ok ? "is-ok" : "is-error");
    if (url) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = " " + openLabel;
      ui.status.appendChild(link);
    }
  }

  function sendOne(form, file, ui, comment) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", csrfToken(form));
      data.append("comment", comment);
      data.append("files", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action + "?single=1");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          ui.bar.value = Math.round((event.loaded / event.total) * 100);
        }
      });
      xhr.addEventListener("load", function () {
        var result = null;
        try {
          result = JSON.parse(xhr.responseText).results[0];
        } catch (e) {
          result = null;
        }
        if (result) {
          ui.bar.value = 100;
          showResult(ui, result.ok, result.message, result.url, form.dataset.msgOpen);
          resolve(result.ok);
        } else {
          showResult(ui, false, form.dataset.msgFailed + " (" + xhr.status + ")");
          resolve(false);
        }
      });
      xhr.addEventListener("error", function () {
        showResult(ui, false, form.dataset.msgFailed);
        resolve(false);
      });
      xhr.send(data);
    });
  }

  function uploadAll(form, files) {
    var list = form.querySelector("#doc-progress");
    var limit = parseInt(form.dataset.maxSize, 10) * 1024 * 1024;
    var comment = (form.querySelector("[name=comment]") || { value: "" }).value;
    var queue = [];
    Array.prototype.forEach.call(files, function (file) {
      var ui = row(list, file, form.dataset.msgWaiting);
      if (file.size > limit) {
        showResult(ui, false, form.dataset.msgTooLarge);
      } else {
        queue.push({ file: file, ui: ui });
      }
    });
    // Two at a time: fast enough, gentle on a shared workstation's connection.
    var running = 0;
    var index = 0;
    return new Promise(function (resolve) {
      function next() {
        if (index >= queue.length && running === 0) {
          resolve();
          return;
        }
        while (running < 2 && index < queue.length) {
          var job = queue[index++];
          running++;
          sendOne(form, job.file, job.ui, comment).then(function () {
            running--;
            next();
          });
        }
      }
      next();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("doc-upload-form");
    if (!form || !window.FormData || !window.XMLHttpRequest) {
      return;
    }
    var zone = document.getElementById("doc-dropzone");
    var input = form.querySelector("input[type=file]");
    zone.hidden = false;
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.remove("is-over");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        uploadAll(form, event.dataTransfer.files);
      }
    });
    form.addEventListener("submit", function (event) {
      if (!input || !input.files.length) {
        return; // let the server say "choose at least one file"
      }
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files);
      uploadAll(form, files).then(function () {
        input.value = "";
      });
    });
  });
})();
