// Hotline entry screen: keyboard-only work. Ctrl+Enter saves from anywhere in the form; the
// "apply suggestion" button (Alt+G) fills the category and the dispatch unit; the answer and
// unit inputs show only for the disposition that needs them, so Tab skips what is not used.
(function () {
  var form = document.getElementById("call-form");
  if (!form) return;

  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // Alt+letter/digit as the page documents, whatever the browser's own accesskey modifier
  // (Firefox wants Alt+Shift, macOS Ctrl+Option): the physical key decides, not the character.
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    var key = (event.code || "").replace(/^Key|^Digit/, "").toLowerCase();
    if (!key) return;
    var target = document.querySelector('[accesskey="' + key + '"]');
    if (!target || target.closest("[hidden]") && target.type !== "radio") return;
    event.preventDefault();
    if (target.type === "radio" || target.tagName === "BUTTON") {
      target.click();
    }
    if (target.tagName !== "BUTTON") target.focus();
  });

  function disposition() {
    var checked = form.querySelector("input[name=disposition]:checked");
    return checked ? checked.value : "saved";
  }
  function sync() {
    var current = disposition();
    form.querySelectorAll("[data-when]").forEach(function (box) {
      box.hidden = box.getAttribute("data-when") !== current;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "disposition") sync();
  });
  form.addEventListener("click", function (event) {
    if (event.target.name === "disposition") sync();
  });
  sync();

  function choose(id, value) {
    var select = document.getElementById(id);
    if (!select || !value) return;
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".hl-apply");
    if (!button) return;
    choose("id_category_code", button.getAttribute("data-category"));
    if (button.getAttribute("data-org")) {
      choose("id_to_org", button.getAttribute("data-org"));
      var dispatch = form.querySelector("input[name=disposition][value=dispatch]");
      if (dispatch && disposition() === "saved") { dispatch.checked = true; sync(); }
    }
    document.getElementById("id_content").focus();
  });
})();
