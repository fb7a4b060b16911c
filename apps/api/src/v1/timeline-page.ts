/**
 * The audit's timeline page: static HTML whose script reads `?identity=ID`
 * and the token from the URL fragment (`#token=...`, never sent to the
 * server), asks GET /v1/audit/grants, and draws one row per project or
 * domain with a bar per interval and a mark at every change. Data goes into
 * the page only through textContent and attributes.
 */
export const TIMELINE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Grant timeline</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
  .bar { fill: #4a7fb5; } .bar.open { fill: #6aa84f; }
  .change { stroke: #c0392b; stroke-width: 1; stroke-dasharray: 3 2; }
  .label { font-size: 12px; } .roles { font-size: 11px; fill: #fff; }
  #status { color: #555; }
</style>
</head>
<body data-state="loading">
<h1>Grant timeline</h1>
<p id="identity"></p>
<p id="status">Loading…</p>
<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="1000" height="40"></svg>
<script>
(function () {
  var SVG = 'http://www.w3.org/2000/svg';
  var params = new URLSearchParams(location.search);
  var token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
  var status = document.getElementById('status');
  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    for (var k in attrs) node.setAttribute(k, String(attrs[k]));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function fail(message) { status.textContent = message; document.body.dataset.state = 'error'; }
  var id = params.get('identity');
  if (!id) return fail('Give ?identity=ID.');
  fetch('/v1/audit/grants?identity=' + encodeURIComponent(id), { headers: { 'X-Auth-Token': token } })
    .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
    .then(function (answer) {
      if (!answer.ok) return fail((answer.body.error && answer.body.error.message) || 'The request was refused.');
      var intervals = answer.body.intervals;
      var chart = document.getElementById('chart');
      if (!answer.body.followed) { status.textContent = 'The audit does not follow this identity (register it, or wait for the worker to catch up).'; document.body.dataset.state = 'ready'; return; }
      if (intervals.length === 0) { status.textContent = 'No roles held.'; document.body.dataset.state = 'ready'; return; }
      document.getElementById('identity').textContent = intervals[0].identity.subject + ' issued by ' + intervals[0].identity.issuer;
      var now = Date.now();
      var start = Math.min.apply(null, intervals.map(function (i) { return Date.parse(i.from); }));
      var end = Math.max(now, start + 1);
      var scopes = [];
      intervals.forEach(function (i) {
        var scope = i.project_id ? 'project ' + i.project_id : 'domain ' + i.domain_id;
        if (scopes.indexOf(scope) < 0) scopes.push(scope);
      });
      var left = 180, width = 780, row = 28;
      chart.setAttribute('height', String(scopes.length * row + 30));
      function x(t) { return left + ((t - start) / (end - start)) * width; }
      scopes.forEach(function (scope, n) { chart.appendChild(el('text', { class: 'label', x: 4, y: n * row + 18 }, scope)); });
      var marked = {};
      intervals.forEach(function (i) {
        var scope = i.project_id ? 'project ' + i.project_id : 'domain ' + i.domain_id;
        var y = scopes.indexOf(scope) * row + 4;
        var from = Date.parse(i.from), to = i.to ? Date.parse(i.to) : now;
        var bar = el('rect', {
          class: i.to ? 'bar' : 'bar open', x: x(from), y: y, height: row - 8, width: Math.max(2, x(to) - x(from)),
          'data-scope': scope, 'data-roles': i.roles.join(' '),
          'data-from-position': i.opened_by.position, 'data-to-position': i.closed_by ? i.closed_by.position : ''
        });
        bar.appendChild(el('title', {}, i.roles.join(', ') + ' from ' + i.from + ' to ' + (i.to || 'now')));
        chart.appendChild(bar);
        chart.appendChild(el('text', { class: 'roles', x: x(from) + 4, y: y + 14 }, i.roles.join(', ')));
        [i.opened_by, i.closed_by].forEach(function (change) {
          if (!change || marked[change.position]) return;
          marked[change.position] = true;
          var cx = x(Date.parse(change.recorded_at));
          var line = el('line', { class: 'change', x1: cx, x2: cx, y1: 0, y2: scopes.length * row, 'data-position': change.position });
          line.appendChild(el('title', {}, '#' + change.position + ' ' + change.type + ' by ' + change.actor + (change.reason ? ': ' + change.reason : '')));
          chart.appendChild(line);
        });
      });
      status.textContent = intervals.length + ' intervals, ' + Object.keys(marked).length + ' changes.';
      document.body.dataset.state = 'ready';
    })
    .catch(function (err) { fail(String(err)); });
})();
</script>
</body>
</html>
`;
