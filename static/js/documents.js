// Drag-and-drop upload with progress: each file goes in 1 MB pieces (so no
// server ever holds a whole file in memory), two files at a time. Progressive
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
    ui.url = ok ? url : null;
    ui.status.textContent = message;
    ui.status.className = "doc-progress__status " + (ok ? "is-ok" : "is-error");
    if (url) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = " " + openLabel;
      ui.status.appendChild(link);
    }
  }

  var CHUNK = 1024 * 1024;

  function uploadId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // One piece per request (the server appends it); resumes from the offset the
  // server reports, so a piece lost on a flaky Wi-Fi is simply sent again.
  function sendPiece(form, file, id, offset, ui, comment) {
    return new Promise(function (resolve) {
      var end = Math.min(offset + CHUNK, file.size);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.chunkUrl);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
      xhr.setRequestHeader("X-Upload-Id", id);
      xhr.setRequestHeader("X-Upload-Offset", String(offset));
      xhr.setRequestHeader("X-Upload-Total", String(file.size));
      xhr.setRequestHeader("X-Upload-Name", encodeURIComponent(file.name));
      xhr.setRequestHeader("X-Upload-Comment", encodeURIComponent(comment));
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable && file.size) {
          ui.bar.value = Math.round(((offset + event.loaded) / file.size) * 100);
        }
      });
      xhr.addEventListener("load", function () {
        var data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (e) {
          data = null;
        }
        resolve({ status: xhr.status, data: data });
      });
      xhr.addEventListener("error", function () {
        resolve({ status: 0, data: null });
      });
      xhr.send(file.slice(offset, end));
    });
  }

  function sendOne(form, file, ui, comment) {
    var id = uploadId();
    var retries = 0;
    function step(offset) {
      return sendPiece(form, file, id, offset, ui, comment).then(function (answer) {
        var data = answer.data;
        if (data && data.results) {
          var result = data.results[0];
          ui.bar.value = result.ok ? 100 : ui.bar.value;
          showResult(ui, result.ok, result.message, result.url, form.dataset.msgOpen);
          return result.ok;
        }
        if (data && typeof data.offset === "number" && (answer.status === 200 || retries < 5)) {
          if (answer.status !== 200) {
            retries++;
          }
          return step(data.offset);
        }
        if (answer.status === 0 && retries < 5) {
          retries++;
          return step(offset);
        }
        showResult(ui, false, form.dataset.msgFailed + (answer.status ? " (" + answer.status + ")" : ""));
        return false;
      });
    }
    return step(0);
  }

  function uploadAll(form, files) {
    var list = form.querySelector(".doc-progress");
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

  // The new-version form: one file, in pieces; the document page opens when done.
  function enhanceVersionForm(form) {
    var input = form.querySelector("input[type=file]");
    form.addEventListener("submit", function (event) {
      if (!input || !input.files.length) {
        return; // the server says "choose the file"
      }
      event.preventDefault();
      var file = input.files[0];
      var list = form.querySelector(".doc-progress");
      list.textContent = "";
      var ui = row(list, file, form.dataset.msgWaiting);
      if (file.size > parseInt(form.dataset.maxSize, 10) * 1024 * 1024) {
        showResult(ui, false, form.dataset.msgTooLarge);
        return;
      }
      var comment = (form.querySelector("[name=comment]") || { value: "" }).value;
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      sendOne(form, file, ui, comment).then(function (ok) {
        button.disabled = false;
        if (ok && ui.url) {
          window.location.assign(ui.url);
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.FormData || !window.XMLHttpRequest || !window.crypto || !window.Blob) {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll(".doc-version-form"), enhanceVersionForm);
    var form = document.getElementById("doc-upload-form");
    if (!form) {
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
