// Keyboard: "/" jumps to the queue search box; Escape leaves it.
document.addEventListener("keydown", function (event) {
  var search = document.querySelector(".filters input[name=q]");
  if (!search) return;
  var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
  if (event.key === "/" && !typing) { event.preventDefault(); search.focus(); }
  if (event.key === "Escape" && document.activeElement === search) search.blur();
});
