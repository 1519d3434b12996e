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
    ["data", "action", "result", "target_detail", "target"].forEach(function (name) {
      var field = form.querySelector('[name="' + name + '"]');
      if (field) { field.addEventListener("input", later); field.addEventListener("change", later); }
    });
  }
  document.querySelectorAll("form.note-form[data-preview-url]").forEach(setup);
})();
