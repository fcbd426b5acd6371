// Keyboard: "/" jumps to the queue search box; Escape leaves it.
document.addEventListener("keydown", function (event) {
  var search = document.querySelector(".filters input[name=q]");
  if (!search) return;
  var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
  if (event.key === "/" && !typing) { event.preventDefault(); search.focus(); }
  if (event.key === "Escape" && document.activeElement === search) search.blur();
});

// Unit pickers list hundreds of units: a search box above each narrows the options by name
// or code as you type (the selected option always stays visible).
document.querySelectorAll("select[data-filter]").forEach(function (select) {
  var box = document.createElement("input");
  box.type = "search";
  box.className = "option-filter";
  box.placeholder = document.documentElement.lang === "en" ? "Search units" : "搜索单位名称或代码";
  box.setAttribute("aria-label", box.placeholder);
  select.parentNode.insertBefore(box, select);
  box.addEventListener("input", function () {
    var term = box.value.trim().toLowerCase();
    Array.prototype.forEach.call(select.options, function (option) {
      var match = !term || option.text.toLowerCase().indexOf(term) !== -1 || option.selected;
      option.hidden = !match;
    });
  });
});
