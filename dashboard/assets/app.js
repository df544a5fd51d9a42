// berth dashboard: live view over Server-Sent Events, actions through the
// control API's own routes. No libraries, no build step.
'use strict';

const $ = (sel) => document.querySelector(sel);
const STATE_WORDS = {
  creating: 'creating', running: 'running, not ready', ready: 'ready',
  terminating: 'terminating', failed: 'failed',
};
const view = { state: null, events: [], csrf: null, timelines: [] };
// Read by the browser tests: when each frame was applied.
window.berthDashboard = { frames: 0, lastFrameAt: 0, lastId: '', connected: false };

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids) {
    if (kid === null || kid === undefined) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

function notice(msg) {
  const n = $('#notice');
  n.textContent = msg || '';
  n.hidden = !msg;
}

async function act(method, path, body) {
  notice('');
  try {
    const r = await fetch('/api' + path, {
      method, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': view.csrf || '' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let doc = {};
    try { doc = await r.json(); } catch (e) { doc = {}; }
    if (!r.ok) notice(doc.error || ('failed: HTTP ' + r.status));
    return r.ok;
  } catch (e) {
    notice('the daemon is unreachable');
    return false;
  }
}

// --- deployments -----------------------------------------------------------

const depNodes = new Map(); // name -> {root, live, replicas input, image input}

function depControls(name) {
  const enc = encodeURIComponent(name);
  // Filled from the live state until the user edits it.
  const replicas = el('input', { type: 'number', min: '0', max: '10000', 'aria-label': 'replicas of ' + name, id: 'replicas-' + name,
    oninput: () => { replicas.dataset.edited = '1'; } });
  const image = el('input', { type: 'text', 'aria-label': 'new image of ' + name, placeholder: '/path/to/image', id: 'image-' + name });
  const post = (verb, body) => act('POST', `/v1/deployments/${enc}/rollout/${verb}`, body || {});
  const btn = (action, label, onclick, aria) => el('button', { type: 'button', 'data-action': action, 'aria-label': aria, onclick }, label);
  // The Canary strategy's verbs, as `berth rollout promote [--full] | abort | retry`.
  const canary = {
    promote: btn('promote', 'Promote', () => post('promote', {}), 'promote the canary of ' + name + ' past its current step'),
    full: btn('promote-full', 'Promote fully', () => post('promote', { full: true }), 'promote the canary of ' + name + ' past every remaining step'),
    abort: btn('abort', 'Abort', () => post('abort'), 'abort the canary of ' + name),
    retry: btn('retry', 'Retry', () => post('retry'), 'retry the aborted canary of ' + name),
  };
  const canaryBox = el('span', { class: 'canary-actions', role: 'group', 'aria-label': 'canary of ' + name },
    canary.promote, canary.full, canary.abort, canary.retry);
  const box = el('div', { class: 'actions', 'data-auth': '' },
    el('label', { for: 'replicas-' + name }, 'Replicas'), replicas,
    btn('scale', 'Scale', () => {
      delete replicas.dataset.edited;
      act('POST', `/v1/deployments/${enc}/scale`, { replicas: Number(replicas.value) });
    }),
    el('label', { for: 'image-' + name }, 'Image'), image,
    btn('image', 'Set image', () => act('POST', `/v1/deployments/${enc}/image`, { image: image.value })),
    btn('pause', 'Pause', () => post('pause')),
    btn('resume', 'Resume', () => post('resume')),
    btn('undo', 'Undo', () => post('undo', { to_revision: 0 })),
    btn('restart', 'Restart', () => post('restart')),
    canaryBox);
  return { box, replicas, image, canary, canaryBox };
}

// A Canary run's step and weights, in words.
function canaryLine(c, svcCanary) {
  const actual = svcCanary && svcCanary.actual_weight !== null && svcCanary.actual_weight !== undefined
    ? Math.round(svcCanary.actual_weight) + ' %' : '–';
  return el('div', { class: 'canary', 'data-canary': c.aborted ? 'aborted' : (c.paused ? 'paused' : 'running') },
    el('b', {}, c.aborted ? '✕ aborted' : (c.paused ? '❚❚ paused' : '▶ running')),
    ` canary step ${c.step}/${c.steps}${c.step_text ? ' (' + c.step_text + ')' : ''} · weight set `,
    el('b', { 'data-weight': 'set' }, c.set_weight + ' %'), ' · in the proxy ',
    el('b', { 'data-weight': 'proxy' }, c.proxy_weight + ' %'), ' · actual ',
    el('b', { 'data-weight': 'actual' }, actual));
}

function podBox(p, authed) {
  const word = STATE_WORDS[p.state] || p.state;
  const title = [p.status, p.probes].filter(Boolean).join('\n');
  return el('li', {
    class: 'pod s-' + p.state, 'data-pod': p.name, 'data-state': p.state,
    'data-revision': String(p.revision), title,
  },
  el('i', { class: 'shape', 'aria-hidden': 'true' }),
  el('span', { class: 'nm' }, p.name),
  el('span', { class: 'st' }, word),
  p.state !== word ? null : null,
  ' · ', p.status,
  p.restarts ? el('span', { class: 'rs' }, ' · restarts ' + p.restarts) : null,
  authed && p.state !== 'terminating'
    ? el('div', {}, el('button', {
      type: 'button', 'data-action': 'delete-pod', 'aria-label': 'delete pod ' + p.name,
      onclick: () => act('DELETE', '/v1/pods/' + encodeURIComponent(p.name)),
    }, 'Delete'))
    : null);
}

function renderDeployment(d, authed) {
  let n = depNodes.get(d.name);
  if (!n) {
    const live = el('div', {});
    const ctl = depControls(d.name);
    const root = el('article', { class: 'dep', 'data-deployment': d.name, 'aria-labelledby': 'dep-' + d.name },
      el('div', { class: 'dep-head' }, el('h3', { id: 'dep-' + d.name }, 'deployment/' + d.name)), live, ctl.box);
    n = { root, live, ctl };
    depNodes.set(d.name, n);
  }
  if (!n.ctl.replicas.dataset.edited && document.activeElement !== n.ctl.replicas) n.ctl.replicas.value = d.replicas;
  n.ctl.box.hidden = !authed;
  const c = d.canary;
  n.ctl.canaryBox.hidden = d.strategy !== 'Canary';
  n.ctl.canary.promote.disabled = !c || c.aborted;
  n.ctl.canary.full.disabled = !c || c.aborted;
  n.ctl.canary.abort.disabled = !c || c.aborted;
  n.ctl.canary.retry.disabled = !c || !c.aborted;
  n.root.dataset.rollout = d.rollout;
  const b = d.bounds || {};
  const present = d.total + d.terminating;
  const nums = el('div', { class: 'nums' },
    el('span', {}, 'rollout ', el('b', {}, d.rollout)),
    el('span', {}, 'strategy ', el('b', {}, d.strategy)),
    el('span', {}, 'revision ', el('b', {}, d.revision)),
    el('span', { 'data-count': 'replicas' }, 'desired ', el('b', {}, d.replicas)),
    el('span', { 'data-count': 'updated' }, 'updated ', el('b', {}, d.updated)),
    el('span', { 'data-count': 'ready' }, 'ready ', el('b', {}, d.ready)),
    el('span', { 'data-count': 'available' }, 'available ', el('b', {}, d.available)),
    el('span', { 'data-count': 'terminating' }, 'terminating ', el('b', {}, d.terminating)),
    d.strategy === 'RollingUpdate'
      ? el('span', { 'data-count': 'bounds' }, 'pods ', el('b', {}, d.total), ' ≤ max ', el('b', {}, b.maxPods),
        ' (surge ', b.maxSurge, ') · available ', el('b', {}, d.available), ' ≥ min ', el('b', {}, b.minAvailable),
        ' (unavailable ', b.maxUnavailable, ')')
      : null,
    d.paused ? el('b', {}, 'paused') : null);
  const step = d.step ? el('div', { class: 'step', 'aria-label': 'last controller decision' }, d.step.reason + ': ' + d.step.message) : null;
  const svcCanary = (view.state.services || []).map((s) => s.canary).find((x) => x && x.deployment === d.name);
  const canary = c ? canaryLine(c, svcCanary) : null;
  const revs = el('div', { class: 'revs' });
  for (const r of d.revisions) {
    const pods = el('ul', { class: 'pods', 'aria-label': 'pods of revision ' + r.revision });
    for (const p of r.pods) pods.append(podBox(p, authed));
    revs.append(el('section', { class: 'rev' + (r.current ? ' current' : ''), 'data-revision': String(r.revision) },
      el('h4', {}, 'revision ' + r.revision + (r.current ? ' (current)' : ''), ' · ', String(r.pods.length), ' pod', r.pods.length === 1 ? '' : 's'),
      el('div', { class: 'muted' }, r.image), pods));
  }
  n.live.replaceChildren(nums, canary || '', step || '', revs);
  void present;
  return n.root;
}

function renderDeployments(s, authed) {
  const box = $('#deployments');
  const seen = new Set();
  for (const d of s.deployments) {
    seen.add(d.name);
    const node = renderDeployment(d, authed);
    if (node.parentNode !== box) box.append(node);
  }
  for (const [name, n] of depNodes) {
    if (!seen.has(name)) { n.root.remove(); depNodes.delete(name); }
  }
  if (!s.deployments.length) box.replaceChildren(el('p', { class: 'muted' }, 'No deployments.'));
}

// --- services --------------------------------------------------------------

const fmt = (v, digits) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));

const pct = (v) => (v === null || v === undefined ? '–' : fmt(v * 100, v > 0 && v < 0.01 ? 2 : 1) + ' %');
const p99 = (v) => (v === null || v === undefined ? '–' : (v >= 1e9 ? '> 10 s' : '≤ ' + fmt(v, 0) + ' ms'));

// One row per revision: the proxy's numbers for it and its share.
function revisionRows(svc) {
  const revs = Object.values(svc.revisions || {}).sort((a, b) => a.revision - b.revision);
  const total = revs.reduce((a, r) => a + (r.rps || 0), 0);
  return revs.map((r) => el('tr', { 'data-revision': String(r.revision), 'data-role': r.role || undefined },
    el('th', { scope: 'row' }, 'rev ' + r.revision, r.role ? el('span', { class: 'role' }, ' ' + r.role) : null),
    el('td', { class: 'num' }, String(r.endpoints), '/', String(r.pods)),
    el('td', { class: 'num', 'data-num': 'rps' }, fmt(r.rps, 1)),
    el('td', { class: 'num', 'data-num': 'share' }, total > 0 ? Math.round(100 * (r.rps || 0) / total) + ' %' : '–'),
    el('td', { class: 'num', 'data-num': 'errors' }, fmt(r.errors_ps, 1)),
    el('td', { class: 'num', 'data-num': 'error-rate' }, (r.error_rate > 0 ? '⚠ ' : '') + pct(r.error_rate)),
    el('td', { class: 'num', 'data-num': 'p99' }, p99(r.p99_ms))));
}

function renderServices(s) {
  const cards = [];
  for (const svc of s.services) {
    const m = svc.numbers || {};
    const c = svc.canary;
    const rows = revisionRows(svc);
    cards.push(el('article', { class: 'svc', 'data-service': svc.name, 'aria-labelledby': 'svc-' + svc.name },
      el('h3', { id: 'svc-' + svc.name }, 'service/' + svc.name, el('span', { class: 'muted' }, ` ${svc.listen} ${svc.mode}`)),
      el('div', { class: 'nums' },
        el('span', {}, 'endpoints ', el('b', {}, svc.endpoints.join(', ') || 'none')),
        el('span', {}, 'req/s ', el('b', { 'data-num': 'rps' }, fmt(m.rps, 1))),
        el('span', {}, '5xx ', el('b', {}, m.error_rate === undefined ? '–' : pct(m.error_rate))),
        el('span', {}, 'p99 ', el('b', {}, p99(m.p99_ms)))),
      c ? el('div', { class: 'canary', 'data-canary-weights': '' }, `canary of deployment/${c.deployment} (revision ${c.revision}): weight set `,
        el('b', { 'data-weight': 'set' }, c.set_weight + ' %'), ' · in the proxy ', el('b', { 'data-weight': 'proxy' }, c.proxy_weight + ' %'),
        ' · actual ', el('b', { 'data-weight': 'actual' }, c.actual_weight === null ? '–' : Math.round(c.actual_weight) + ' %'),
        ' of requests') : null,
      rows.length ? el('div', { class: 'tablewrap' }, el('table', { class: 'revtable' },
        el('caption', { class: 'muted' }, 'per revision, over the last second'),
        el('thead', {}, el('tr', {}, ...['revision', 'ready/pods', 'req/s', 'share', 'errors/s', 'error rate', 'p99']
          .map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, ...rows))) : el('p', { class: 'muted' }, 'No pods selected.')));
  }
  $('#services').replaceChildren(...(cards.length ? cards : [el('p', { class: 'muted' }, 'No services.')]));
}

// --- events and timelines --------------------------------------------------

function eventItem(e) {
  return el('li', { class: e.type, 'data-seq': String(e.seq) },
    `${e.time} ${e.type} ${e.reason} ${e.object}: ${e.message}` + (e.count > 1 ? ` (x${e.count})` : ''));
}

function renderEvents() {
  const list = $('#events');
  list.replaceChildren(...view.events.slice().reverse().map(eventItem));
}

function renderTimelines() {
  const box = $('#timelines');
  if (!view.timelines.length) return;
  box.replaceChildren(...view.timelines.map((t) => {
    const q = `deployment=${encodeURIComponent(t.deployment)}&revision=${t.revision}&v=${t.duration_ms}`;
    return el('figure', { class: 'tl' },
      el('img', { src: '/api/timeline.svg?' + q, alt: `timeline of deployment ${t.deployment}: revision ${t.from_revision} to ${t.revision}`, loading: 'lazy' }),
      el('figcaption', {}, `deployment/${t.deployment}: revision ${t.from_revision} → ${t.revision}, ${(t.duration_ms / 1000).toFixed(1)} s${t.done ? '' : ' (in progress)'}${t.interrupted ? ', the daemon restarted during it' : ''}`));
  }));
}

async function refreshTimelines() {
  try {
    const r = await fetch('/api/timelines', { credentials: 'same-origin' });
    if (r.ok) { view.timelines = await r.json(); renderTimelines(); }
  } catch (e) { /* offline: the stream's status says so */ }
}

// --- the stream --------------------------------------------------------------

function render() {
  if (!view.state) return;
  const authed = !!view.csrf;
  renderDeployments(view.state, authed);
  renderServices(view.state);
}

function frame(ev) {
  const w = window.berthDashboard;
  w.frames++;
  w.lastFrameAt = Date.now();
  w.lastId = ev.lastEventId;
}

function connect() {
  const es = new EventSource('/events');
  es.addEventListener('open', () => {
    window.berthDashboard.connected = true;
    $('#conn').textContent = 'live';
    $('#conn').className = 'badge ok';
  });
  es.addEventListener('error', () => {
    window.berthDashboard.connected = false;
    $('#conn').textContent = 'reconnecting…';
    $('#conn').className = 'badge bad';
  });
  es.addEventListener('snapshot', (ev) => {
    const doc = JSON.parse(ev.data);
    view.state = doc.state;
    view.events = doc.events.slice(-200);
    view.timelines = doc.timelines || [];
    render(); renderEvents(); renderTimelines(); frame(ev);
  });
  es.addEventListener('state', (ev) => {
    view.state = JSON.parse(ev.data);
    render(); frame(ev);
  });
  es.addEventListener('event', (ev) => {
    const e = JSON.parse(ev.data);
    view.events.push(e);
    if (view.events.length > 200) view.events.shift();
    const list = $('#events');
    list.prepend(eventItem(e));
    while (list.children.length > 200) list.lastChild.remove();
    if (e.reason === 'ScalingReplicaSet' || e.object.startsWith('deployment/')) setTimeout(refreshTimelines, 700);
    frame(ev);
  });
}

async function session() {
  try {
    const r = await fetch('/api/session', { credentials: 'same-origin' });
    const doc = await r.json();
    view.csrf = doc.authenticated ? doc.csrf : null;
  } catch (e) { view.csrf = null; }
  $('#who').textContent = view.csrf ? 'signed in' : 'read-only (run `berth dashboard` to act)';
  $('#logout').hidden = !view.csrf;
  render();
}

$('#logout').addEventListener('click', async () => {
  await act('POST', '/logout');
  await session();
});

session();
connect();
setInterval(refreshTimelines, 5000);
