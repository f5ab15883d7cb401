// Shows, beside each total, the sum of the breakdown cells as they are typed. The page works
// without it: the server checks additivity on submission.
(function () {
  function update(key) {
    var out = document.querySelector('output[data-sum-for="' + key + '"]');
    if (!out) return;
    var dims = {};
    document.querySelectorAll('input[data-group^="' + key + ':"]').forEach(function (i) {
      var d = i.getAttribute('data-group').split(':').pop();
      var v = parseFloat(i.value);
      if (!isNaN(v)) dims[d] = (dims[d] || 0) + v;
    });
    var parts = Object.keys(dims).map(function (d) { return d + ' = ' + Math.round(dims[d] * 1e6) / 1e6; });
    out.textContent = parts.length ? 'Σ ' + parts.join(', ') : '';
  }
  document.querySelectorAll('input[data-group]').forEach(function (i) {
    var key = i.getAttribute('data-group').split(':')[0];
    i.addEventListener('input', function () { update(key); });
    update(key);
  });
})();
