// Handover page (and every page with notes): what was really on screen, and the note form at hand.
// Without this file the page still works: rows open natively, "Mark as read" is a plain form,
// "Write for this resident" reloads the page with the resident chosen.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');

  // --- Read marks: a note counts as read once at least half of it has been on screen for a second,
  // in a visible tab. Notes in a closed row are not rendered, so they are never reported.
  var containers = document.querySelectorAll("[data-notes-read-url]");
  if (containers.length && "IntersectionObserver" in window) {
    var url = containers[0].dataset.notesReadUrl;
    var timers = {};
    var queue = [];
    var sent = {};
    var flush = function () {
      if (!queue.length) { return; }
      var body = new FormData();
      queue.splice(0).forEach(function (id) { body.append("note", id); });
      body.append("how", "displayed");
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf ? csrf.content : "", "Accept": "application/json" }
      }).catch(function () { /* offline: the next display reports it again */ });
    };
    var seen = function (article) {
      var id = article.dataset.noteId;
      if (sent[id]) { return; }
      sent[id] = true;
      article.classList.add("is-read");
      queue.push(id);
    };
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var id = entry.target.dataset.noteId;
        var enough = entry.intersectionRatio >= 0.5 ||
          entry.intersectionRect.height >= window.innerHeight * 0.6;
        if (entry.isIntersecting && enough && document.visibilityState === "visible") {
          if (!timers[id]) { timers[id] = setTimeout(function () { seen(entry.target); }, 1000); }
        } else if (timers[id]) {
          clearTimeout(timers[id]);
          delete timers[id];
        }
      });
    }, { threshold: [0, 0.25, 0.5, 0.75, 1] });
    containers.forEach(function (container) {
      container.querySelectorAll("article.note[data-note-id]").forEach(function (a) { observer.observe(a); });
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible") {
        Object.keys(timers).forEach(function (id) { clearTimeout(timers[id]); delete timers[id]; });
      }
    });
    setInterval(flush, 2000);
    window.addEventListener("pagehide", flush);
  }

  // --- The note form at hand: the skip link and "Write for this resident" open it in place.
  var write = document.getElementById("write");
  var picker = write && write.querySelector('select[name="resident"]');
  function openWrite(residentId) {
    if (!write) { return false; }
    write.open = true;
    if (picker && residentId) {
      picker.value = residentId;
      picker.dispatchEvent(new Event("change"));
    }
    var first = residentId ? write.querySelector('input[name="target"]') : (picker || write.querySelector("input, select, textarea"));
    write.scrollIntoView({ block: "start" });
    if (first) { first.focus(); }
    return true;
  }
  document.querySelectorAll("[data-open-write]").forEach(function (link) {
    link.addEventListener("click", function (event) { if (openWrite(null)) { event.preventDefault(); } });
  });
  document.querySelectorAll("[data-write-for]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (openWrite(link.dataset.writeFor)) { event.preventDefault(); }
    });
  });
  if (write && window.location.hash === "#write") { openWrite(picker ? picker.value : null); }

  // --- "Open all": the rows to read first open in place (notes count as read only once on screen).
  document.querySelectorAll("[data-open-all]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var section = link.closest("[data-handover-priority]");
      if (!section) { return; }
      event.preventDefault();
      var rows = section.querySelectorAll("details.handover-row");
      rows.forEach(function (row) { row.open = true; });
      link.parentNode.hidden = true;
      if (rows.length) { rows[0].querySelector("summary").focus(); }
    });
  });

  // --- Resident picker: type a room number or a name to narrow the list.
  if (picker) {
    var label = document.createElement("label");
    var filter = document.createElement("input");
    filter.type = "search";
    filter.id = picker.id + "-filter";
    filter.setAttribute("inputmode", "search");
    filter.setAttribute("autocomplete", "off");
    label.htmlFor = filter.id;
    label.className = "small";
    label.textContent = picker.dataset.filterLabel || "";
    picker.parentNode.insertBefore(label, picker);
    picker.parentNode.insertBefore(filter, picker);
    var options = Array.prototype.slice.call(picker.options, 1);
    var fold = function (text) { return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); };
    filter.addEventListener("input", function () {
      var words = fold(filter.value).split(/\s+/).filter(Boolean);
      var matches = options.filter(function (option) {
        var text = fold(option.textContent);
        var ok = words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !ok;
        return ok;
      });
      if (matches.length === 1) { picker.value = matches[0].value; }
    });
  }
})();
