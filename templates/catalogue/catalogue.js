// Search and sorting of the statement list; everything else works without it.
// The index is window.CATALOGUE_INDEX (search-index.js): [identifier, words] per
// statement, words lower-cased and each listed once. A statement matches when
// every word of the query occurs in its words (substring, so CJK works).
(function () {
  "use strict";
  var index = window.CATALOGUE_INDEX || [];

  function search(query) {
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) { return null; }
    var hits = new Set();
    for (var i = 0; i < index.length; i++) {
      var words = index[i][1], all = true;
      for (var t = 0; t < terms.length; t++) {
        if (words.indexOf(terms[t]) === -1) { all = false; break; }
      }
      if (all) { hits.add(index[i][0]); }
    }
    return hits;
  }
  window.catalogueSearch = search;

  var table = document.getElementById("statements");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var status = document.getElementById("status");
  var form = document.getElementById("search");
  var input = document.getElementById("q");
  var total = rows.length;

  function show(query) {
    var hits = search(query), shown = 0;
    rows.forEach(function (row) {
      var visible = hits === null || hits.has(row.getAttribute("data-id"));
      row.hidden = !visible;
      if (visible) { shown++; }
    });
    status.textContent = hits === null ? total + " statement(s)" : shown + " of " + total + " statement(s) match";
  }

  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  input.addEventListener("input", function () { show(input.value); });

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, column) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var keyed = rows.map(function (row) { return [row.cells[column].textContent.trim().toLowerCase(), row]; });
      keyed.sort(function (a, b) { return (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) * (ascending ? 1 : -1); });
      var fragment = document.createDocumentFragment();
      keyed.forEach(function (pair) { fragment.appendChild(pair[1]); });
      body.appendChild(fragment);
      rows = keyed.map(function (pair) { return pair[1]; });
    });
  });
})();
