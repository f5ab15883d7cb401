// The static copy of the portal has no server to search with: there, this filters the full
// list in the browser. On the live portal the server has already filtered (data-q matches).
(function () {
  var q = (new URLSearchParams(window.location.search).get("q") || "").trim();
  var results = document.getElementById("results");
  if (!results || !q || results.getAttribute("data-q") === q) return;
  var input = document.getElementById("q");
  if (input) input.value = q;
  var needle = q.toLowerCase();
  var hits = 0;
  results.querySelectorAll("li").forEach(function (li) {
    var text = (li.textContent + " " + (li.getAttribute("data-text") || "")).toLowerCase();
    li.hidden = text.indexOf(needle) < 0;
    if (!li.hidden) hits += 1;
  });
  results.querySelectorAll("section").forEach(function (s) {
    s.hidden = !s.querySelector("li:not([hidden])");
  });
  document.getElementById("hits").textContent = hits;
})();
