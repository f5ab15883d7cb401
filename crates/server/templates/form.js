// Shows, beside each total, the sum of the breakdown cells as they are typed, and beside each
// value typed in the units a clerk counts (persons) what will be stored in the catalogue's unit
// (10,000 persons). The page works without it: the server converts and checks on submission.
(function () {
  function update(key) {
    var out = document.querySelector('output[data-sum-for="' + key + '"]');
    if (!out) return;
    var dims = {};
    document.querySelectorAll('input[data-group^="' + key + ':"]').forEach(function (i) {
      var d = i.getAttribute('data-group').split(':').pop();
      var v = parseFloat(i.value.replace(/,/g, ''));
      if (!isNaN(v)) dims[d] = (dims[d] || 0) + v;
    });
    var parts = Object.keys(dims).map(function (d) { return d + ' = ' + Math.round(dims[d] * 1e6) / 1e6; });
    out.textContent = parts.length ? 'Σ ' + parts.join(', ') : '';
  }
  function convert(i) {
    var out = document.querySelector('[data-converted-for="' + i.id + '"]');
    if (!out) return;
    var v = parseFloat(i.value.replace(/,/g, ''));
    var m = parseInt(i.getAttribute('data-mult'), 10);
    out.textContent = isNaN(v) ? '' : '= ' + (Math.round(v / Math.pow(10, m) * 1e8) / 1e8) + ' ' + i.getAttribute('data-unit');
  }
  document.querySelectorAll('input[data-group]').forEach(function (i) {
    var key = i.getAttribute('data-group').split(':')[0];
    i.addEventListener('input', function () { update(key); convert(i); });
    update(key);
    convert(i);
  });
})();
