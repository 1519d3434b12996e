// Care note form: live preview of what the family will see, when "visible to
// the family" is ticked. Without JavaScript the "Preview" button does the same.
(function () {
  "use strict";
  function setup(form) {
    var url = form.dataset.previewUrl;
    var box = form.querySelector("#family-preview");
    var checkbox = form.querySelector('input[name="is_family_visible"]');
    if (!url || !box || !checkbox || !window.fetch) { return; }
    var timer = null;
    function refresh() {
      if (!checkbox.checked) { box.innerHTML = ""; return; }
      var data = new FormData(form);
      data.append("_preview", "1");
      fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "HX-Request": "true", "X-CSRFToken": data.get("csrfmiddlewaretoken") }
      }).then(function (response) {
        return response.ok ? response.text() : "";
      }).then(function (html) {
        if (!html) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#family-preview");
        if (fresh) { box.innerHTML = fresh.innerHTML; }
      });
    }
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 400); }
    checkbox.addEventListener("change", refresh);
    var watched = ["data", "action", "result", "target_detail", "target"];
    ["input", "change"].forEach(function (type) {
      form.addEventListener(type, function (event) {
        if (event.target && watched.indexOf(event.target.name) !== -1) { later(); }
      });
    });
  }
  document.querySelectorAll("form.note-form[data-preview-url]").forEach(setup);
})();

// Writing aids: the templates and phrases of the chosen target (kept per site in the admin),
// inserted with one tap. A checklist item tapped again is taken out of the text.
(function () {
  "use strict";
  var source = document.getElementById("writing-aids");
  if (!source) { return; }
  var aids = JSON.parse(source.textContent);
  function field(form, name) { return form.querySelector('textarea[name="' + name + '"]'); }
  function append(area, text) {
    var current = area.value.replace(/\s+$/, "");
    if (!current) { area.value = text; return; }
    var joiner = /[.!?…]$/.test(current) ? " " : ", ";
    area.value = current + joiner + text;
  }
  function remove(area, text) {
    var escaped = text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    area.value = area.value.replace(new RegExp("(,\\s*|\\s+)?" + escaped + "\\.?"), "").replace(/^[,\s]+/, "");
  }
  function chip(label, pressed) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "chip chip--aid";
    button.textContent = label;
    if (pressed !== undefined) { button.setAttribute("aria-pressed", pressed ? "true" : "false"); }
    return button;
  }
  function render(form) {
    var checked = form.querySelector('input[name="target"]:checked');
    var entry = checked ? aids[checked.value] : null;
    var box = form.querySelector("[data-aids-templates]");
    if (box) {
      box.querySelectorAll("button").forEach(function (b) { b.remove(); });
      var templates = entry ? entry.templates : [];
      box.hidden = !templates.length;
      templates.forEach(function (template) {
        var button = chip(template.label);
        button.addEventListener("click", function () {
          ["data", "action", "result"].forEach(function (part) {
            var area = field(form, part);
            if (area && template[part]) { append(area, template[part]); area.dispatchEvent(new Event("input")); }
          });
        });
        box.appendChild(button);
      });
    }
    form.querySelectorAll("[data-aids-part]").forEach(function (holder) {
      var part = holder.dataset.aidsPart;
      var area = field(form, part);
      holder.innerHTML = "";
      var phrases = entry ? entry.phrases[part] || [] : [];
      holder.hidden = !phrases.length || !area;
      phrases.forEach(function (phrase) {
        var present = area && area.value.indexOf(phrase.text) !== -1;
        var button = chip(phrase.text, phrase.check ? present : undefined);
        button.addEventListener("click", function () {
          if (phrase.check && area.value.indexOf(phrase.text) !== -1) {
            remove(area, phrase.text);
            button.setAttribute("aria-pressed", "false");
          } else {
            append(area, phrase.text);
            if (phrase.check) { button.setAttribute("aria-pressed", "true"); }
          }
          area.dispatchEvent(new Event("input"));
        });
        holder.appendChild(button);
      });
    });
  }
  document.querySelectorAll("form.note-form").forEach(function (form) {
    form.querySelectorAll('input[name="target"]').forEach(function (radio) {
      radio.addEventListener("change", function () { render(form); });
    });
    render(form);
  });
})();
