// The site's few behaviours, in one static file: the Content-Security-Policy allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // A reorganization plan's step form shows the fields of the chosen operation only.
  var form = document.getElementById("step-form"), fields = document.getElementById("step-fields");
  if (form && fields) {
    var map = JSON.parse(fields.textContent);
    ["unit", "target", "parent", "children_to", "people_to"].forEach(function (name) {
      var input = form.querySelector("[name=" + name + "]");
      if (input) input.setAttribute("list", "unit-codes");
    });
    var show = function () {
      var wanted = map[form.operation.value] || [];
      form.querySelectorAll(".field").forEach(function (field) {
        var name = field.dataset.field;
        field.hidden = name !== "operation" && wanted.indexOf(name) < 0;
      });
    };
    form.operation.addEventListener("change", show);
    show();
  }
});
