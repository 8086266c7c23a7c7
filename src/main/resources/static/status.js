// ReplCache status page: polls the node's JSON and draws it. No build step, no dependencies.
// Every value from the server goes into the page through textContent, never as HTML.
'use strict';

const VIEW_EVERY_MS = 1000;
const TREE_EVERY_MS = 2000;
const HISTORY_EVERY_MS = 2000;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#65a30d'];
const SVG = 'http://www.w3.org/2000/svg';

const $ = id => document.getElementById(id);
let unit = 'bytes';
let lastHistory = null;
const failures = {};

async function getJson(path) {
  const r = await fetch(path, { cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!r.ok) {
    throw new Error(path + ': HTTP ' + r.status);
  }
  return r.json();
}

function text(id, value, raw) {
  const el = $(id);
  el.textContent = value;
  if (raw !== undefined) {
    el.dataset.value = String(raw);
  }
  return el;
}

function fmtInt(n) {
  return Number(n).toLocaleString('en-US');
}

function fmtBytes(n) {
  if (n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[i];
}

function fmtMs(ms) {
  if (ms < 0) return '—';
  if (ms < 1000) return ms + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
  return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
}

function setState(el, state) {
  el.className = 'state ' + state;
  el.textContent = state;
}

function reportError(source, e) {
  if (e) {
    failures[source] = e.message || String(e);
  } else {
    delete failures[source];
  }
  const messages = Object.values(failures);
  const el = $('error');
  el.hidden = messages.length === 0;
  el.textContent = messages.join('; ');
}

// ------------------------------------------------------------------ replication view

function renderView(v) {
  const role = text('role', v.role);
  role.className = 'badge ' + v.role;
  document.title = 'ReplCache ' + v.role;
  text('repl-id', v.replId);
  text('repl-id2', v.replId2);
  text('second-offset', v.secondReplOffset < 0 ? '—' : fmtInt(v.secondReplOffset), v.secondReplOffset);
  text('offset', fmtInt(v.offset), v.offset);
  const b = v.backlog;
  text('backlog', 'offsets ' + fmtInt(b.firstOffset) + ' … ' + fmtInt(v.offset) + ', ' + fmtBytes(b.sizeBytes)
      + ' of ' + fmtBytes(b.capacityBytes) + ', covers ' + fmtMs(b.coverageMs));
  const s = v.stats;
  text('sync-stats', 'full ' + s.syncFull + ', partial ok ' + s.syncPartialOk + ', partial refused '
      + s.syncPartialErr + ', abandoned ' + s.syncAbandoned + ' · sent: snapshots ' + fmtBytes(s.snapshotBytesSent)
      + ', stream ' + fmtBytes(s.entriesBytesSent));

  const l = v.lease;
  $('lease').hidden = !l;
  if (l) {
    text('lease-holder', l.holderName ? l.holderName + ' at ' + l.holderAddress + (l.holderLive ? '' : ' (expired)')
        : 'nobody');
    text('lease-this', l.holder ? (l.mayWrite ? 'this node: takes writes' : 'this node: fenced, could not renew in time')
        : '');
    text('lease-epoch', String(l.epoch), l.epoch);
    text('lease-self', l.name + ', priority ' + l.priority + (l.synced ? ', synced' : ', never synced in this run')
        + (l.refused ? ', refused a resync' : '') + (l.apiReachable ? '' : ', API server unreachable')
        + ', history epoch ' + l.historyEpoch);
    text('lease-transition', l.lastTransition ? l.lastTransition + ' (' + fmtMs(l.lastTransitionAgeMs) + ' ago, '
        + l.transitions + ' seen)' : '—');
  }

  const m = v.master;
  $('link').hidden = !m;
  if (m) {
    text('master-address', m.host + ':' + m.port);
    setState($('link-status'), m.linkStatus);
    text('link-ready', m.ready ? 'ready (synced)' : 'not ready: no sync completed yet');
    text('master-offset', m.masterOffset < 0 ? '—' : fmtInt(m.masterOffset), m.masterOffset);
    text('link-lag', m.masterOffset < 0 ? '' : 'behind by ' + fmtBytes(Math.max(0, m.masterOffset - v.offset)));
    text('link-syncs', 'full ' + m.fullSyncs + ', partial ' + m.partialSyncs);
    text('link-error', m.lastError || '—');
    const sync = m.sync;
    $('sync').hidden = !sync.inProgress;
    if (sync.inProgress) {
      const pct = sync.bytesTotal > 0 ? Math.floor(sync.bytesReceived * 100 / sync.bytesTotal) : 0;
      $('sync-bar').style.width = pct + '%';
      text('sync-text', 'full sync: ' + fmtBytes(sync.bytesReceived) + ' of ' + fmtBytes(sync.bytesTotal)
          + ' (' + pct + '%), ' + fmtBytes(sync.bytesPerSecond) + '/s, '
          + (sync.etaMs < 0 ? 'time left unknown' : fmtMs(sync.etaMs) + ' left'), pct);
    }
  }
}

// ------------------------------------------------------------------ topology

function nodeItem(n, isRoot) {
  const li = document.createElement('li');
  li.className = 'node ' + (n.role || 'unknown');
  li.dataset.id = n.id;
  li.dataset.address = n.address;
  li.dataset.offset = String(n.offset);
  const title = document.createElement('span');
  title.className = 'node-title';
  title.textContent = (n.role || '?') + ' ' + (isRoot ? '(this node)' : n.address);
  li.appendChild(title);
  const parts = [];
  parts.push('id ' + n.id);
  if (n.offset >= 0) parts.push('offset ' + fmtInt(n.offset));
  if (!isRoot) {
    parts.push('acked ' + (n.ackOffset < 0 ? '—' : fmtInt(n.ackOffset)));
    parts.push('lag ' + (n.ackOffset < 0 ? '—' : fmtBytes(n.lagBytes) + ' / ' + fmtMs(n.lagMs)));
  }
  if (n.linkStatus) parts.push('link to ' + n.master + ' ' + n.linkStatus);
  const detail = document.createElement('span');
  detail.className = 'node-detail';
  detail.textContent = parts.join(' · ');
  li.appendChild(detail);
  if (n.state) {
    const st = document.createElement('span');
    setState(st, n.state);
    st.classList.add('node-state');
    li.insertBefore(st, detail);
    li.insertBefore(document.createTextNode(' '), st);
  }
  if (n.error) {
    const err = document.createElement('span');
    err.className = 'node-error';
    err.textContent = 'cannot ask it: ' + n.error;
    li.appendChild(err);
  }
  if (n.truncated) {
    const more = document.createElement('span');
    more.className = 'node-detail';
    more.textContent = '(has replicas below the depth limit)';
    li.appendChild(more);
  }
  if (n.replicas && n.replicas.length) {
    const ul = document.createElement('ul');
    n.replicas.forEach(r => ul.appendChild(nodeItem(r, false)));
    li.appendChild(ul);
  }
  return li;
}

function renderTopology(t) {
  text('node-id', t.id);
  const ul = $('topology');
  ul.replaceChildren(nodeItem(t, true));
  if (!t.replicas.length) {
    const none = document.createElement('li');
    none.className = 'muted';
    none.textContent = 'no replicas';
    ul.appendChild(none);
  }
}

// ------------------------------------------------------------------ lag chart

function chartSeries(h) {
  const out = [];
  if (h.link) {
    out.push({ name: 'this replica behind its master', t: h.link.t, v: unit === 'bytes' ? h.link.values.lagBytes : null });
  }
  h.replicas.forEach(r => {
    out.push({
      name: 'replica ' + (r.address || r.id) + (r.connected ? '' : ' (gone)'),
      t: r.series.t,
      v: unit === 'bytes' ? r.series.values.lagBytes : r.series.values.lagMs,
    });
  });
  return out.filter(s => s.v);
}

/** A round axis maximum (1, 2, 2.5 or 5 times a power of ten), at least 4 so that the 4 steps are whole. */
function niceCeil(v) {
  if (v <= 4) return 4;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  const f = v / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}

function svg(tag, attrs, parent) {
  const el = document.createElementNS(SVG, tag);
  Object.entries(attrs).forEach(([k, v]) => el.setAttribute(k, v));
  if (parent) parent.appendChild(el);
  return el;
}

function renderChart(h) {
  lastHistory = h;
  text('window', Math.round(h.windowMs / 60000));
  const chart = $('lag-chart');
  const W = 900, H = 260, L = 70, R = 10, T = 10, B = 24;
  chart.replaceChildren();
  const series = chartSeries(h);
  const t1 = h.nowMs, t0 = h.nowMs - h.windowMs;
  let top = 0;
  series.forEach(s => s.v.forEach(v => { if (v > top) top = v; }));
  const max = niceCeil(top);
  const x = t => L + (t - t0) / (t1 - t0) * (W - L - R);
  const y = v => H - B - v / max * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = max * i / 4;
    svg('line', { class: i === 0 ? 'axis' : 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }, chart);
    svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, chart).textContent =
        unit === 'bytes' ? fmtBytes(Math.round(v)) : fmtMs(Math.round(v));
  }
  svg('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }, chart);
  const minutes = Math.round(h.windowMs / 60000);
  svg('text', { x: L, y: H - 6 }, chart).textContent = '−' + minutes + ' min';
  svg('text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, chart).textContent = 'now';

  const legend = $('lag-legend');
  legend.replaceChildren();
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    // A gap (no sample for a few intervals, or no ack yet) breaks the line.
    let points = [];
    const flush = () => {
      if (points.length) {
        svg('polyline', { points: points.join(' '), stroke: color, 'data-series': s.name }, chart);
      }
      points = [];
    };
    for (let k = 0; k < s.t.length; k++) {
      if (s.v[k] < 0 || (k > 0 && s.t[k] - s.t[k - 1] > 2.5 * h.intervalMs)) flush();
      if (s.v[k] >= 0) points.push(x(s.t[k]).toFixed(1) + ',' + y(s.v[k]).toFixed(1));
    }
    flush();
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color;
    li.appendChild(sw);
    const last = s.v.length ? s.v[s.v.length - 1] : -1;
    li.appendChild(document.createTextNode(s.name + ': '
        + (last < 0 ? '—' : unit === 'bytes' ? fmtBytes(last) : fmtMs(last))));
    legend.appendChild(li);
  });
  if (!series.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = unit === 'ms' && h.link ? 'a replica knows its lag in bytes only' : 'no replicas in the window';
    legend.appendChild(li);
  }
  // Write rate over the last minute, from this node's offsets.
  const o = h.offset;
  const n = o.t.length;
  if (n > 1) {
    let k = n - 1;
    while (k > 0 && o.t[n - 1] - o.t[k - 1] <= 60000) k--;
    const dt = (o.t[n - 1] - o.t[k]) / 1000;
    if (dt > 0) {
      text('offset-rate', '(' + fmtBytes(Math.round((o.values.offset[n - 1] - o.values.offset[k]) / dt)) + '/s over the last '
          + Math.round(dt) + ' s)');
    }
  }
}

// ------------------------------------------------------------------ polling

function poll(source, path, render, everyMs) {
  const run = async () => {
    try {
      render(await getJson(path));
      reportError(source, null);
      text('updated', 'updated ' + new Date().toLocaleTimeString());
    } catch (e) {
      reportError(source, e);
    } finally {
      setTimeout(run, everyMs);
    }
  };
  run();
}

document.querySelectorAll('input[name=unit]').forEach(r => r.addEventListener('change', () => {
  unit = r.value;
  if (lastHistory) renderChart(lastHistory);
}));

poll('view', '/v1/replication', renderView, VIEW_EVERY_MS);
poll('topology', '/v1/replication/topology', renderTopology, TREE_EVERY_MS);
poll('history', '/v1/replication/history', renderChart, HISTORY_EVERY_MS);
