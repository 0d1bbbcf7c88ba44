/* projledger site: sort, filter and search the projects table of an agency page.
   Plain JavaScript that loads nothing; without it the page is the complete plain table. */
(function () {
  "use strict";

  function fold(text) {
    return (text || "").normalize("NFC").toLocaleLowerCase().replace(/\s+/g, " ");
  }

  function sortValue(row, index, type) {
    var cell = row.cells[index];
    if (!cell) { return type === "number" ? -Infinity : ""; }
    var raw = cell.getAttribute("data-value");
    if (type === "number") {
      var n = parseFloat(raw !== null ? raw : cell.textContent.replace(/,/g, ""));
      return isNaN(n) ? -Infinity : n;
    }
    return (raw !== null ? raw : cell.textContent).trim();
  }

  function setup(table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.setAttribute("data-order", String(i)); });
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);

    headers.forEach(function (th, index) {
      var type = th.getAttribute("data-sort");
      if (!type) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var collator = new Intl.Collator(document.documentElement.lang || "th", { numeric: true });
        rows.sort(function (a, b) {
          var x = sortValue(a, index, type);
          var y = sortValue(b, index, type);
          var order = type === "number" ? (x < y ? -1 : x > y ? 1 : 0) : collator.compare(x, y);
          if (!ascending) { order = -order; }
          return order || (Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order")));
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });

    var controls = document.querySelector('[data-controls="' + table.id + '"]');
    if (!controls) { return; }
    var search = controls.querySelector("[data-search]");
    var filters = Array.prototype.slice.call(controls.querySelectorAll("[data-filter]"));
    var count = controls.querySelector("[data-count]");
    var texts = rows.map(function (row) { return fold(row.textContent); });

    function apply() {
      var terms = fold(search ? search.value : "").trim().split(" ").filter(Boolean);
      var shown = 0;
      rows.forEach(function (row, i) {
        var keep = filters.every(function (f) {
          return !f.value || row.getAttribute("data-" + f.getAttribute("data-filter")) === f.value;
        });
        keep = keep && terms.every(function (term) { return texts[i].indexOf(term) !== -1; });
        row.hidden = !keep;
        if (keep) { shown += 1; }
      });
      if (count) {
        count.textContent = (count.getAttribute("data-template") || "{shown}/{total}")
          .replace("{shown}", String(shown)).replace("{total}", String(rows.length));
      }
    }

    controls.addEventListener("submit", function (event) { event.preventDefault(); });
    if (search) { search.addEventListener("input", apply); }
    filters.forEach(function (f) { f.addEventListener("change", apply); });
    controls.hidden = false;
    apply();
  }

  Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), setup);
}());
