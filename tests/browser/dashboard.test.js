// dashboard.test.js - drives the berth dashboard in Debian's headless
// chromium (puppeteer-core; no browser is downloaded). Run by
// tests/integration/90-dashboard.bats with the daemon already up:
//   node dashboard.test.js rollout|action|reconnect|canary
// Environment: BERTH (the binary), BERTH_SOCKET, DASH (http://ADDR:PORT),
// NEW_IMAGE (rollout), SHOTS (folder for screenshots, optional),
// RESTART (reconnect: a shell command that kill -9s and restarts the
// daemon). Prints TAP; exits 1 when a check failed.
'use strict';

const { execFileSync, execSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const BERTH = process.env.BERTH;
const DASH = process.env.DASH;
const SHOTS = process.env.SHOTS || '';
let n = 0;
let failed = 0;

function ok(cond, name, detail) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? '' : 'not '}ok ${n} - ${name}`);
  if (!cond && detail !== undefined) console.log('#   ' + JSON.stringify(detail).slice(0, 2000));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const berth = (...args) => execFileSync(BERTH, args, { encoding: 'utf8', timeout: 30000 });
// One control-API call over the daemon's socket, as the CLI makes it (no
// process start, so its timing is the daemon's).
const http = require('http');
const ctl = (method, p, body) => new Promise((resolve, reject) => {
  const req = http.request({ socketPath: process.env.BERTH_SOCKET, path: p, method,
    headers: { 'Content-Type': 'application/json' } }, (res) => {
    let data = '';
    res.on('data', (d) => { data += d; });
    res.on('end', () => resolve({ status: res.statusCode, body: data }));
  });
  req.on('error', reject);
  req.end(body === undefined ? undefined : JSON.stringify(body));
});
const podsJson = () => JSON.parse(berth('get', 'pods', '-o', 'json')).pods;

async function waitFor(what, fn, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

// Chromium's profile folders, removed when the test process exits
// (passed, failed or thrown).
const profiles = [];
process.on('exit', () => {
  for (const d of profiles) fs.rmSync(d, { recursive: true, force: true });
});

async function launch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-chromium-'));
  profiles.push(dir);
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--user-data-dir=' + dir],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setViewport({ width: 1280, height: 800 });
  return { browser, page, errors, dir };
}

// What the page shows: pod boxes with their state and revision.
const pageStateFn = () => [...document.querySelectorAll('[data-pod]')].map((e) => ({
  name: e.dataset.pod, state: e.dataset.state, revision: Number(e.dataset.revision),
}));

// Records when each pod box appears and goes (Date.now(), the same clock
// as this process's).
const recorderFn = () => {
  window.podTimes = {};
  const scan = () => {
    const now = Date.now();
    const seen = new Set();
    for (const e of document.querySelectorAll('[data-pod]')) {
      seen.add(e.dataset.pod);
      const t = window.podTimes[e.dataset.pod] || (window.podTimes[e.dataset.pod] = { first: now, last: null });
      t.last = null;
    }
    for (const [name, t] of Object.entries(window.podTimes)) if (!seen.has(name) && t.last === null) t.last = now;
  };
  new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
  scan();
};

async function rollout() {
  const { browser, page, errors } = await launch();
  await page.goto(DASH + '/', { waitUntil: 'domcontentloaded' });
  await waitFor('the page to be live', () => page.evaluate(() => window.berthDashboard.connected), 10000);
  const before = podsJson();
  await waitFor('the pods on the page', async () => (await page.evaluate(pageStateFn)).length === before.length, 5000);
  ok(true, 'the page shows every pod before the rollout');

  // Latency of one change: from just before the CLI call to the page.
  const lags = [];
  for (let i = 0; i < 6; i++) {
    const verb = i % 2 === 0 ? 'pause' : 'resume';
    const t0 = Date.now();
    const r = await ctl('POST', '/v1/deployments/echo/rollout/' + verb, {});
    if (r.status !== 200) throw new Error(verb + ': ' + r.body);
    await page.waitForFunction((v) => {
      const d = document.querySelector('[data-deployment="echo"]');
      return d && (d.dataset.rollout === 'paused') === (v === 'pause');
    }, { polling: 'mutation', timeout: 10000 }, verb);
    lags.push(Date.now() - t0);
  }
  console.log('# lags ' + lags.join(' '));
  ok(Math.max(...lags) < 1000, `pause/resume reach the page within 1 s (${lags.join(', ')} ms)`, lags);
  await page.evaluate(recorderFn);

  // The daemon's view, polled every 100 ms over its socket (the call
  // `berth get pods` makes, without a process start, so the times are
  // the daemon's): when each pod is first and last seen.
  const cli = {};
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t0 = Date.now();
      const pods = JSON.parse((await ctl('GET', '/v1/pods')).body).pods;
      const t1 = Date.now();
      const seen = new Set();
      for (const p of pods) {
        seen.add(p.name);
        if (!cli[p.name]) cli[p.name] = { first: t0, firstSeen: t1, last: null };
        cli[p.name].last = null;
      }
      for (const [name, c] of Object.entries(cli)) if (!seen.has(name) && c.last === null) { c.last = t1; c.lastBefore = t0; }
      await sleep(100);
    }
  })();
  for (const p of before) cli[p.name] = { first: 0, firstSeen: 0, last: null };

  const rev0 = Math.max(...before.map((p) => p.revision));
  berth('set', 'image', 'echo', process.env.NEW_IMAGE);
  let shot = false;
  let matched = 0;
  let mismatched = [];
  const end = Date.now() + 120000;
  let after = 0; // sampled instants once the rollout is done
  // The deployment's counts as `get deployments -o json` has them, and
  // as the page shows them.
  const depCounts = () => {
    const d = JSON.parse(berth('get', 'deployments', '-o', 'json')).deployments[0];
    return ['replicas', 'updated', 'ready', 'available'].map((k) => k + '=' + d[k]).join(' ');
  };
  const pageCounts = () => page.evaluate(() => ['replicas', 'updated', 'ready', 'available'].map((k) => k + '=' +
    document.querySelector(`[data-deployment="echo"] [data-count="${k}"] b`).textContent).join(' '));
  let countsMatched = 0;
  const countsMismatched = [];
  for (;;) {
    // A sampled instant: the CLI, the page 300 ms later, the CLI again.
    const a = podsJson();
    const ca = depCounts();
    await sleep(300);
    const shown = await page.evaluate(pageStateFn);
    // the counts: the page may take up to 1 s to show them
    let shownCounts = await pageCounts();
    for (const until = Date.now() + 1000; shownCounts !== ca && Date.now() < until;) {
      await sleep(100);
      shownCounts = await pageCounts();
    }
    const b = podsJson();
    const cb = depCounts();
    const key = (l) => l.map((p) => p.name + ':' + (p.ready && p.status !== 'Terminating')).sort().join(',');
    if (key(a) === key(b)) {
      const want = { names: a.map((p) => p.name).sort().join(','), ready: a.filter((p) => p.ready && p.status === 'Running').length };
      const got = { names: shown.map((p) => p.name).sort().join(','), ready: shown.filter((p) => p.state === 'ready').length };
      if (want.names === got.names && want.ready === got.ready) matched++;
      else mismatched.push({ want, got });
    }
    if (ca === cb) {
      if (shownCounts === ca) countsMatched++;
      else countsMismatched.push({ want: ca, got: shownCounts });
    }
    const revs = new Set(shown.map((p) => p.revision));
    if (!shot && revs.size > 1 && SHOTS) {
      await page.screenshot({ path: path.join(SHOTS, 'dashboard-rollout.png'), fullPage: false });
      shot = true;
    }
    const done = b.every((p) => p.revision > rev0 && p.status === 'Running' && p.ready) && b.length === before.length;
    if ((done && ++after >= 3) || Date.now() > end) break;
  }
  await sleep(1500);
  polling = false;
  await poller;
  const times = await page.evaluate(() => window.podTimes);
  ok(matched >= 1 && mismatched.length === 0, `the page's pods equal \`berth get pods -o json\` at ${matched} sampled instants`, mismatched);
  ok(countsMatched >= 1 && countsMismatched.length === 0,
    `the page's desired/updated/ready/available equal \`berth get deployments -o json\` at ${countsMatched} sampled instants`, countsMismatched);

  // Old boxes left and new ones arrived, each within 1 s of the daemon
  // (the CLI's poll brackets the daemon's moment within ~100 ms).
  const late = [];
  let arrived = 0;
  let left = 0;
  for (const [name, c] of Object.entries(cli)) {
    const d = times[name];
    if (c.first > 0) {
      arrived++;
      if (!d) late.push({ name, arrive: 'never on the page' });
      else if (d.first - c.first > 1000) late.push({ name, arrive_ms: d.first - c.first });
    }
    if (c.last !== null) {
      left++;
      if (!d || d.last === null) late.push({ name, leave: 'still on the page' });
      else if (d.last - c.lastBefore > 1000) late.push({ name, leave_ms: d.last - c.lastBefore });
    }
  }
  ok(arrived >= before.length && left >= before.length, `new pods arrived (${arrived}) and old ones left (${left})`);
  ok(late.length === 0, 'every box arrived and left within 1 s of the daemon', late);
  const final = await page.evaluate(pageStateFn);
  ok(final.length === before.length && final.every((p) => p.revision > rev0 && p.state === 'ready'),
    'at the end the page shows only the new revision, ready', final);
  ok(!SHOTS || shot, 'a screenshot was taken mid-rollout');

  // The timeline of that rollout, on the page and as SVG.
  await waitFor('the recorded rollout', async () => {
    const r = await page.evaluate(async () => (await fetch('/api/timelines')).json());
    return r.some((t) => t.done && t.revision > rev0);
  }, 20000);
  await waitFor('the timeline on the page', () => page.evaluate(() => !!document.querySelector('#timelines img')), 10000);
  const imgOk = await page.evaluate(async () => {
    const img = document.querySelector('#timelines img');
    img.scrollIntoView();
    await img.decode().catch(() => {});
    return img.complete && img.naturalWidth > 0;
  });
  ok(imgOk, 'the page draws the timeline');
  if (SHOTS) {
    const tl = await browser.newPage();
    await tl.setViewport({ width: 976, height: 676 });
    await tl.goto(DASH + '/api/timeline.svg?deployment=echo&revision=0');
    await tl.screenshot({ path: path.join(SHOTS, 'dashboard-timeline.png') });
    await tl.close();
  }
  ok(errors.length === 0, 'no console errors', errors);
  await browser.close();
}

async function action() {
  const { browser, page, errors } = await launch();
  const login = berth('dashboard').trim();
  ok(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/.test(login), 'berth dashboard prints a login URL', login);
  await page.goto(login, { waitUntil: 'domcontentloaded' });
  ok(page.url() === DASH + '/', 'the token is dropped from the address', page.url());
  await waitFor('signed in', () => page.evaluate(() => document.querySelector('#who').textContent === 'signed in'), 10000);
  const cookies = await page.cookies();
  const c = cookies.find((k) => k.name === 'berth_session');
  ok(c && c.httpOnly && c.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict', cookies);
  await waitFor('the scale control', () => page.$('[data-deployment="echo"] [data-action="scale"]'), 10000);

  // Keyboard: focus the replicas field, type, tab to Scale, press Enter.
  await page.focus('#replicas-echo');
  await page.keyboard.down('Control'); await page.keyboard.press('a'); await page.keyboard.up('Control');
  await page.keyboard.type('2');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement.dataset.action);
  ok(focused === 'scale', 'Tab moves from the replicas field to Scale', focused);
  await page.keyboard.press('Enter');
  await waitFor('2 replicas', () => JSON.parse(berth('get', 'deployments', '-o', 'json')).deployments[0].replicas === 2, 10000);
  ok(true, 'the Scale button scaled the deployment to 2');
  await waitFor('2 boxes', async () => (await page.evaluate(pageStateFn)).filter((p) => p.state !== 'terminating').length === 2, 15000);
  ok(true, 'the page shows 2 pods');

  // The same request by hand: without the cookie, then without the token.
  const csrf = await page.evaluate(async () => (await (await fetch('/api/session')).json()).csrf);
  const url = DASH + '/api/v1/deployments/echo/scale';
  const body = JSON.stringify({ replicas: 5 });
  let r = await fetch(url, { method: 'POST', headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, body });
  ok(r.status === 403, 'without the cookie: 403', r.status);
  r = await fetch(url, { method: 'POST', headers: { Cookie: `berth_session=${c.value}`, 'Content-Type': 'application/json' }, body });
  ok(r.status === 403, 'without the CSRF token: 403', r.status);
  r = await fetch(url, { method: 'POST', headers: { Cookie: `berth_session=${c.value}`, 'X-CSRF-Token': 'f'.repeat(64), 'Content-Type': 'application/json' }, body });
  ok(r.status === 403, 'with a wrong CSRF token: 403', r.status);
  const fromPage = await page.evaluate(async (t) => (await fetch('/api/v1/deployments/echo/scale', {
    method: 'POST', headers: { 'X-CSRF-Token': t, 'Content-Type': 'application/json' }, body: JSON.stringify({ replicas: 3 }),
  })).status, csrf);
  ok(fromPage === 200, 'with both (as the page sends it): 200', fromPage);
  await sleep(500);
  ok(JSON.parse(berth('get', 'deployments', '-o', 'json')).deployments[0].replicas === 3, 'only the authorised call changed the deployment');

  // Phone-sized and read-only: the page still reads, without controls.
  const ro = await browser.createBrowserContext();
  const small = await ro.newPage();
  small.on('pageerror', (e) => errors.push(String(e)));
  await small.setViewport({ width: 390, height: 844, isMobile: true });
  await small.goto(DASH + '/', { waitUntil: 'domcontentloaded' });
  await waitFor('pods on the small page', async () => (await small.evaluate(pageStateFn)).length > 0, 10000);
  const layout = await small.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: window.innerWidth,
    // shown, not merely without the hidden attribute
    controls: [...document.querySelectorAll('.actions, [data-action]')].some((a) => a.getClientRects().length > 0),
  }));
  ok(layout.scroll <= layout.width + 1 && !layout.controls, 'a phone-sized read-only page fits its width and has no controls', layout);
  if (SHOTS) await small.screenshot({ path: path.join(SHOTS, 'dashboard-phone.png') });
  await ro.close();
  ok(errors.length === 0, 'no console errors', errors);
  await browser.close();
}

async function reconnect() {
  const { browser, page, errors } = await launch();
  await page.goto(DASH + '/', { waitUntil: 'domcontentloaded' });
  await waitFor('live', () => page.evaluate(() => window.berthDashboard.connected), 10000);
  const id1 = await page.evaluate(() => window.berthDashboard.lastId);
  execSync(process.env.RESTART, { stdio: 'inherit', shell: '/bin/bash', timeout: 60000 });
  await waitFor('the page to notice', () => page.evaluate(() => !window.berthDashboard.connected), 10000).catch(() => {});
  // The old connection may look alive for a moment after the restart:
  // wait for the new daemon's stream itself (its ids carry another epoch).
  const epoch1 = id1.split('-')[0];
  await waitFor('the new daemon\'s stream', () => page.evaluate((e) => window.berthDashboard.connected && window.berthDashboard.lastId.split('-')[0] !== e, epoch1), 30000).catch(() => {});
  const id2 = await page.evaluate(() => window.berthDashboard.lastId);
  ok(id1.split('-')[0] !== id2.split('-')[0], 'after the restart the stream resumed from the new daemon', { id1, id2 });
  berth('scale', 'deployment/echo', '--replicas', '1');
  await waitFor('1 pod on the page', async () => (await page.evaluate(pageStateFn)).filter((p) => p.state !== 'terminating').length === 1, 20000);
  ok(true, 'changes after the restart reach the page');
  // A network error while the daemon was down is expected; nothing else.
  const real = errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource|EventSource/.test(e));
  ok(real.length === 0, 'no console errors besides the refused reconnects', real);
  await browser.close();
}

// Tab from the Restart button until the button of action has focus (at
// most 8 presses); true when it got there.
async function tabTo(page, action) {
  await page.focus('[data-deployment="echo"] [data-action="restart"]');
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((a) => document.activeElement.dataset.action === a, action)) return i + 1;
  }
  return 0;
}

const canaryOf = (page) => page.evaluate(() => {
  const d = document.querySelector('[data-deployment="echo"] .canary');
  const s = document.querySelector('[data-service="web"] [data-canary-weights]');
  const w = (root, k) => root && root.querySelector(`[data-weight="${k}"]`).textContent;
  return d && {
    state: d.dataset.canary, set: w(d, 'set'), proxy: w(d, 'proxy'),
    svc: s && { set: w(s, 'set'), proxy: w(s, 'proxy'), actual: w(s, 'actual') },
  };
});

// A Canary rollout (started by the caller, under load) paused at weight
// 25: the page shows its step and weights and the proxy's numbers per
// revision; abort, retry and promote --full by keyboard.
async function canary() {
  const { browser, page, errors } = await launch();
  await page.goto(berth('dashboard').trim(), { waitUntil: 'domcontentloaded' });
  await waitFor('signed in', () => page.evaluate(() => document.querySelector('#who').textContent === 'signed in'), 10000);
  await waitFor('the canary at 25 %', async () => {
    const c = await canaryOf(page);
    return c && c.state === 'paused' && c.proxy === '25 %' && c.svc && c.svc.actual !== '–';
  }, 90000);
  const c = await canaryOf(page);
  const st = await page.evaluate(async () => (await (await fetch('/api/state')).json()).state);
  const svc = st.services.find((x) => x.name === 'web');
  ok(c.set === st.deployments[0].canary.set_weight + ' %' && c.proxy === svc.canary.proxy_weight + ' %' && c.svc.set === '25 %',
    `the page shows the weight set and in the proxy (${c.set}, ${c.proxy}; actual ${c.svc.actual})`, { c, canary: svc.canary });
  const actual = parseInt(c.svc.actual, 10);
  ok(actual > 5 && actual < 50, 'the actual share is near the weight', c.svc.actual);
  const rows = await page.evaluate(() => [...document.querySelectorAll('[data-service="web"] tr[data-revision]')].map((r) => ({
    revision: r.dataset.revision, role: r.dataset.role,
    rps: parseFloat(r.querySelector('[data-num="rps"]').textContent),
    rate: r.querySelector('[data-num="error-rate"]').textContent,
    p99: r.querySelector('[data-num="p99"]').textContent,
  })));
  ok(rows.length === 2 && rows.every((r) => r.rps > 0 && r.rate === '0.0 %' && r.p99.startsWith('≤')) &&
    rows[0].role === 'stable' && rows[1].role === 'canary',
  'each revision\'s requests/s, error rate and p99 are shown, stable and canary named', rows);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'dashboard-canary.png'), fullPage: false });

  const enabled = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-deployment="echo"] .canary-actions button')]
    .map((b) => [b.dataset.action, !b.disabled])));
  let en = await enabled();
  ok(JSON.stringify(en) === JSON.stringify({ promote: true, 'promote-full': true, abort: true, retry: false }),
    'while the run goes on: Promote, Promote fully and Abort enabled, Retry not', en);
  let presses = await tabTo(page, 'abort');
  ok(presses === 3, 'Tab from Restart reaches Abort past Promote and Promote fully', presses);
  await page.keyboard.press('Enter');
  await waitFor('aborted on the page', async () => (await canaryOf(page)).state === 'aborted', 15000);
  ok(JSON.parse(berth('get', 'deployments', '-o', 'json')).deployments[0].replicas === 4, 'Abort aborted the run');
  en = await enabled();
  ok(JSON.stringify(en) === JSON.stringify({ promote: false, 'promote-full': false, abort: false, retry: true }),
    'once aborted: only Retry enabled', en);
  presses = await tabTo(page, 'retry');
  ok(presses === 1, 'after an abort, only Retry is enabled: the first Tab reaches it', presses);
  await page.keyboard.press('Enter');
  await waitFor('running again at 25 %', async () => {
    const x = await canaryOf(page);
    return x && x.state !== 'aborted' && x.proxy === '25 %';
  }, 60000);
  ok(true, 'Retry started the run again');
  presses = await tabTo(page, 'promote-full');
  ok(presses === 2, 'Promote fully is reached by keyboard', presses);
  await page.keyboard.press('Enter');
  await waitFor('the rollout to finish', async () => !(await canaryOf(page)) &&
    berth('rollout', 'status', 'echo').includes('successfully rolled out'), 90000);
  ok(true, 'Promote fully finished the rollout; the canary line is gone');
  ok(errors.length === 0, 'no console errors', errors);
  await browser.close();
}

const modes = { rollout, action, reconnect, canary };
(async () => {
  try {
    await modes[process.argv[2]]();
  } catch (e) {
    ok(false, 'the run finished', String(e && e.stack || e));
  }
  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
})();
