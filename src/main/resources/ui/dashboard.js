// The Switchboard dashboard: signs in with an API token, lists and watches every kind of
// kinds.js through the resource API, and reads health history, events and revisions from the
// records endpoints. Plain DOM, no library: the page is small, and every text from a manifest is
// set as text (never parsed as HTML), which the content security policy backs up.
'use strict';

(() => {
  // Relative to /ui/, so the page also works behind a proxy that mounts the API under a prefix.
  const API = '../apis/switchboard.acecinema.fr/v1alpha1/';
  const RECORDS = '../records/v1alpha1/';
  const TOKEN_KEY = 'switchboard.token';
  const KINDS = window.SWITCHBOARD_KINDS;
  const $ = id => document.getElementById(id);

  const state = {
    token: null,
    readOnly: false,
    objects: new Map(KINDS.map(k => [k.kind, new Map()])),
    rejected: new Map(),
    live: new Map(),
    aborts: new Set(),
    selected: null, // {kind, name}
    range: 3600,
    dirty: new Set(),
    recordsDue: null,
  };

  class AuthError extends Error {}

  // ---- HTTP ---------------------------------------------------------------------------------

  function api(url, options = {}) {
    const headers = Object.assign({Authorization: 'Bearer ' + state.token}, options.headers || {});
    return fetch(url, Object.assign({cache: 'no-store', credentials: 'omit'}, options, {headers}));
  }

  /** The JSON body of a successful reply; throws with the API's message otherwise. */
  async function json(reply) {
    const text = await reply.text();
    let body = null;
    try { body = JSON.parse(text); } catch (e) { body = {message: text}; }
    if (reply.status === 401) throw new AuthError(body.message || 'the token was refused');
    if (!reply.ok) {
      const error = new Error(body.message || `HTTP ${reply.status}`);
      error.status = reply.status;
      throw error;
    }
    return body;
  }

  // ---- Sign in / out ------------------------------------------------------------------------

  async function signIn(token) {
    state.token = token;
    await json(await api(API)); // discovery: read scope, proves the token
    // An empty dry-run create: a write token gets 400 (empty body), a read token 403. Nothing is
    // ever written; the API checks the token before it reads the body.
    const probe = await api(API + 'backends?dryRun=All', {method: 'POST', body: ''});
    state.readOnly = probe.status === 403;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('login').hidden = true;
    $('fleet').hidden = false;
    $('sign-out').hidden = false;
    buildSections();
    KINDS.forEach(watchLoop);
    refreshRecords();
  }

  function signOut(reason) {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    state.aborts.forEach(c => c.abort());
    state.aborts.clear();
    state.objects.forEach(m => m.clear());
    $('fleet').hidden = true;
    $('sign-out').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = reason || '';
    $('connection').textContent = 'Not signed in';
    $('token').focus();
  }

  $('login-form').addEventListener('submit', async event => {
    event.preventDefault();
    const token = $('token').value.trim();
    $('login-error').textContent = '';
    try {
      await signIn(token);
      $('token').value = '';
    } catch (e) {
      state.token = null;
      $('login-error').textContent = e instanceof AuthError
        ? 'This token was refused (unknown or revoked): ' + e.message
        : 'Cannot reach the API: ' + e.message;
    }
  });
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));

  // ---- Live objects -------------------------------------------------------------------------

  /** Lists a kind, then follows its watch stream; lists again after any break (bounded backoff). */
  async function watchLoop(k) {
    let delay = 1000;
    while (state.token) {
      const control = new AbortController();
      state.aborts.add(control);
      try {
        const list = await json(await api(API + k.plural, {signal: control.signal}));
        const objects = state.objects.get(k.kind);
        objects.clear();
        list.items.forEach(o => objects.set(o.metadata.name, o));
        state.rejected.set(k.kind, list.rejected || []);
        changed(k.kind);
        const reply = await api(API + k.plural + '?watch=true', {signal: control.signal});
        if (!reply.ok) await json(reply);
        setLive(k.kind, true);
        delay = 1000;
        await follow(k, reply.body.pipeThrough(new TextDecoderStream()).getReader());
      } catch (e) {
        if (e instanceof AuthError) { signOut('The token was refused: ' + e.message); return; }
        if (!state.token) return;
      } finally {
        state.aborts.delete(control);
      }
      setLive(k.kind, false);
      await new Promise(r => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  }

  async function follow(k, reader) {
    let buffer = '';
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return;
      buffer += value;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!line.trim()) continue;
        const event = JSON.parse(line);
        const objects = state.objects.get(k.kind);
        if (event.type === 'ADDED' || event.type === 'MODIFIED') {
          objects.set(event.object.metadata.name, event.object);
        } else if (event.type === 'DELETED') {
          objects.delete(event.object.metadata.name);
        } else if (event.type === 'ERROR') {
          return; // fell behind: list again
        } else {
          continue; // BOOKMARK
        }
        changed(k.kind);
        recordsSoon();
      }
    }
  }

  function setLive(kind, live) {
    state.live.set(kind, live);
    const all = KINDS.every(k => state.live.get(k.kind));
    $('connection').textContent = all ? 'Live' : 'Reconnecting…';
    $('connection').className = all ? 'live' : 'stale';
  }

  // ---- Rendering ----------------------------------------------------------------------------

  function buildSections() {
    const root = $('kinds');
    root.replaceChildren();
    for (const k of KINDS) {
      root.append(el('section', {'aria-labelledby': 'title-' + k.plural},
        el('h2', {id: 'title-' + k.plural}, k.title),
        el('div', {id: 'rejected-' + k.plural}),
        el('div', {id: 'kind-' + k.plural})));
    }
    if (state.readOnly) {
      notice('This token has scope read: drain and maintenance need a write token.');
    }
  }

  function changed(kind) {
    if (state.dirty.size === 0) requestAnimationFrame(render);
    state.dirty.add(kind);
  }

  function render() {
    // Re-rendering replaces the buttons: keep the keyboard focus where it was.
    const focused = document.activeElement && document.activeElement.id;
    for (const kind of state.dirty) {
      const k = KINDS.find(x => x.kind === kind);
      const items = [...state.objects.get(kind).values()]
        .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      $('kind-' + k.plural).replaceChildren(
        items.length ? k.render(items, helpers(k)) : el('p', {class: 'empty'}, 'None declared.'));
      const rejected = state.rejected.get(kind) || [];
      $('rejected-' + k.plural).replaceChildren(...rejected.map(r =>
        el('p', {class: 'error'}, `Rejected document ${r.name || ''}: ${r.message || r.reason || ''}`)));
    }
    state.dirty.clear();
    if (focused && $(focused) && document.activeElement !== $(focused)) $(focused).focus();
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
    }
    for (const child of children.flat()) {
      if (child === '' || child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.entries(attrs).forEach(([n, v]) => node.setAttribute(n, v));
    return node;
  }

  function ago(time) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000));
    return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
  }

  function slug(text) {
    return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  }

  /** What a kind's renderer may use (kinds.js). */
  function helpers(k) {
    const ui = {
      el, ago,
      condition(o, type) {
        return ((o.status || {}).conditions || []).find(c => c.type === type)
          || {status: 'Unknown', reason: 'NotObserved', message: 'no status written yet'};
      },
      badge(text, tone, title) {
        return el('span', {class: 'badge ' + tone, title: title || undefined}, text);
      },
      readyBadge(c) {
        const tone = c.status === 'True' ? 'ok' : c.status === 'False' ? 'bad' : 'unknown';
        return ui.badge(c.status === 'True' ? 'Ready' : `Not ready: ${c.reason}`, tone, c.message);
      },
      /** What each hub sees of o (hubs sharing a database: status.hubs), or '-' without. */
      hubs(o) {
        const views = (o.status || {}).hubs || [];
        if (!views.length) return '-';
        return el('span', {class: 'hubs'}, views.map(v => ui.badge(
          v.ready === 'True' ? v.hub : `${v.hub}: ${v.reason || v.ready}`,
          v.ready === 'True' ? 'ok' : v.ready === 'False' ? 'bad' : 'unknown',
          `${v.hub} sees it ${v.ready === 'True' ? 'ready' : 'not ready'}`
            + (v.since ? ' since ' + v.since : ''))));
      },
      /** Whether any of items carries per-hub views (a fleet run by two hubs). */
      anyHubs(items) {
        return items.some(o => ((o.status || {}).hubs || []).length > 0);
      },
      table(headers, items, cells, attrs) {
        return el('table', {},
          el('thead', {}, el('tr', {}, headers.map(h => el('th', {scope: 'col'}, h)))),
          el('tbody', {}, items.map(o => {
            const [first, ...rest] = cells(o);
            return el('tr', Object.assign({id: slug(k.kind) + '-' + o.metadata.name}, attrs ? attrs(o) : {}),
              el('th', {scope: 'row'}, first), rest.map(c => el('td', {}, c)));
          })));
      },
      historyButton(o) {
        const button = el('button', {
          type: 'button', id: `history-${slug(k.kind)}-${o.metadata.name}`,
          'aria-label': `History of ${k.kind.toLowerCase()} ${o.metadata.name}`,
        }, 'History');
        button.addEventListener('click', () => select(k.kind, o.metadata.name));
        return button;
      },
      /** A button that PUTs the object back with a.change applied to a copy of its spec. */
      action(o, a) {
        const button = el('button', {
          type: 'button', class: 'act', id: `${slug(a.label)}-${slug(k.kind)}-${o.metadata.name}`,
          'aria-label': `${a.label} ${k.kind.toLowerCase()} ${o.metadata.name}`,
          disabled: state.readOnly ? 'disabled' : false,
          title: state.readOnly ? 'needs a write token' : undefined,
        }, a.label);
        button.addEventListener('click', () => write(k, o, a, button));
        return button;
      },
    };
    return ui;
  }

  function notice(text, error) {
    $('notice').textContent = text;
    $('notice').className = error ? 'error' : '';
  }

  // ---- Writes: the same PUT as sbctl apply (validated, guarded by resourceVersion) -----------

  async function write(k, o, a, button) {
    const spec = structuredClone(o.spec);
    a.change(spec);
    const body = {
      apiVersion: o.apiVersion,
      kind: o.kind,
      // Labels go back as read: the write replaces the whole document.
      metadata: Object.assign(
        {name: o.metadata.name, resourceVersion: o.metadata.resourceVersion},
        o.metadata.labels ? {labels: o.metadata.labels} : {}),
      spec,
    };
    button.disabled = true;
    const what = `${o.kind} ${o.metadata.name}`;
    try {
      const reply = await api(API + k.plural + '/' + encodeURIComponent(o.metadata.name), {
        method: 'PUT', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body),
      });
      if (reply.status === 403) {
        state.readOnly = true;
        KINDS.forEach(x => changed(x.kind));
      }
      await json(reply);
      notice(`${what} ${a.done}: written to its manifest; the status follows.`);
    } catch (e) {
      if (e instanceof AuthError) { signOut('The token was refused: ' + e.message); return; }
      notice(`${what} was not changed: ${e.message}`, true);
      button.disabled = state.readOnly;
    }
  }

  // ---- Records: history, events, revisions --------------------------------------------------

  function recordsSoon() {
    // Watch events come in bursts (every probe refresh): read the records at most every 2 s.
    if (state.recordsDue) return;
    state.recordsDue = setTimeout(() => { state.recordsDue = null; refreshRecords(); }, 2000);
  }

  /** A records reply, or a paragraph saying why there is none. */
  async function records(path) {
    try {
      return await json(await api(RECORDS + path));
    } catch (e) {
      if (e instanceof AuthError) throw e;
      const why = e.status === 404
        ? 'this server serves no records (sbctl run --records on keeps them in PostgreSQL)'
        : e.message;
      return el('p', {class: 'empty'}, 'No records: ' + why);
    }
  }

  async function refreshRecords() {
    if (!state.token) return;
    try {
      const revisions = await records('revisions?limit=20');
      $('revisions').replaceChildren(revisions instanceof Node ? revisions : table(
        ['Time', 'Revision', 'Result', 'Message'], revisions.items,
        r => [time(r.time), `#${r.revision} ${(r.hash || '').slice(0, 12)}`, resultBadge(r.result),
          r.message || '']));
      const events = await records('events?limit=30');
      $('events').replaceChildren(events instanceof Node ? events : eventTable(events.items, true));
      if (state.selected) await details();
    } catch (e) {
      if (e instanceof AuthError) signOut('The token was refused: ' + e.message);
    }
  }

  function resultBadge(result) {
    const ok = /^(applied|success|pushed)$/i.test(result || '');
    return el('span', {class: 'badge ' + (ok ? 'ok' : 'bad')}, result || '?');
  }

  function time(t) {
    return el('time', {datetime: t, title: t}, new Date(t).toLocaleString());
  }

  function table(headers, items, cells) {
    if (!items.length) return el('p', {class: 'empty'}, 'None yet.');
    return el('table', {},
      el('thead', {}, el('tr', {}, headers.map(h => el('th', {scope: 'col'}, h)))),
      el('tbody', {}, items.map(i => el('tr', {}, cells(i).map(c => el('td', {}, c))))));
  }

  function eventTable(items, withObject) {
    const headers = ['Time', 'Type', ...(withObject ? ['Object'] : []), 'Reason', 'Message'];
    return table(headers, items, e => [
      time(e.time),
      el('span', {class: 'badge ' + (e.type === 'Warning' ? 'warn' : 'unknown')}, e.type),
      ...(withObject ? [`${e.kind}/${e.name}`] : []),
      e.reason,
      e.message + (e.count > 1 ? ` (×${e.count})` : ''),
    ]);
  }

  function select(kind, name) {
    state.selected = {kind, name};
    $('details').hidden = false;
    $('details-title').textContent = `History of ${kind.toLowerCase()} ${name}`;
    details().then(() => $('details-title').scrollIntoView({block: 'nearest'}));
    $('details').setAttribute('tabindex', '-1');
    $('details').focus();
  }

  $('details-close').addEventListener('click', () => {
    const s = state.selected;
    state.selected = null;
    $('details').hidden = true;
    if (s && $(`history-${slug(s.kind)}-${s.name}`)) $(`history-${slug(s.kind)}-${s.name}`).focus();
  });

  document.querySelectorAll('[data-range]').forEach(b => b.addEventListener('click', () => {
    state.range = Number(b.dataset.range);
    document.querySelectorAll('[data-range]').forEach(x =>
      x.setAttribute('aria-pressed', String(x === b)));
    details();
  }));

  async function details() {
    const s = state.selected;
    if (!s) return;
    const now = Date.now();
    const since = now - state.range * 1000;
    const q = `kind=${encodeURIComponent(s.kind)}&name=${encodeURIComponent(s.name)}`;
    const from = `since=${encodeURIComponent(new Date(since).toISOString())}&limit=1000`;
    // The records keep a health history per backend; a site's is derived from its backends'.
    const history = s.kind === 'Backend'
      ? await records(`history?${q}&${from}`)
      : await records(`history?kind=Backend&${from}`);
    const events = await records(`events?${q}&limit=20`);
    if (!state.selected || state.selected.name !== s.name || state.selected.kind !== s.kind) return;
    $('timeline').replaceChildren(history instanceof Node ? history
      : s.kind === 'Backend' ? strip(history.items, 'Healthy', since, now)
        : strip(siteHistory(s.name, history.items), 'Ready', since, now));
    $('object-events').replaceChildren(events instanceof Node ? events : eventTable(events.items, false));
  }

  /**
   * A site's Ready over time from its backends' transitions: True while one of them is healthy,
   * False while all that were seen are not, Unknown before any was seen.
   */
  function siteHistory(site, items) {
    const mine = new Set([...state.objects.get('Backend').values()]
      .filter(b => b.spec.site === site).map(b => b.metadata.name));
    const health = new Map();
    return items.filter(i => mine.has(i.name)).map(i => {
      health.set(i.name, i.status);
      const states = [...health.values()];
      const status = states.includes('True') ? 'True'
        : states.every(x => x === 'False') ? 'False' : 'Unknown';
      return {time: i.time, condition: 'Ready', status, reason: `${i.name} ${i.state || i.status}`};
    });
  }

  /** The condition's states over [since, now] as coloured bands, latency as a line above. */
  function strip(all, condition, since, now) {
    let items = all.filter(i => i.condition === condition);
    if (!items.length) items = all;
    const width = 600;
    const height = 64;
    const x = t => Math.max(0, Math.min(width, (t - since) / (now - since) * width));
    const picture = svg('svg', {viewBox: `0 0 ${width} ${height}`, class: 'strip', role: 'img',
      preserveAspectRatio: 'none'});
    picture.append(svg('rect', {x: 0, y: 40, width, height: 24, class: 'state-none'}));
    const held = {True: 0, False: 0, Unknown: 0};
    items.forEach((item, i) => {
      const from = Math.max(since, Date.parse(item.time));
      const to = i + 1 < items.length ? Date.parse(items[i + 1].time) : now;
      held[item.status] = (held[item.status] || 0) + Math.max(0, to - from);
      picture.append(svg('rect', {x: x(from), y: 40, width: Math.max(1, x(to) - x(from)), height: 24,
        class: 'state-' + item.status}));
    });
    const latencies = items.filter(i => i.latencyMs !== null && i.latencyMs !== undefined);
    const peak = Math.max(1, ...latencies.map(i => i.latencyMs));
    if (latencies.length) {
      picture.append(svg('polyline', {class: 'latency', points: latencies.map(i =>
        `${x(Date.parse(i.time))},${36 - 32 * i.latencyMs / peak}`).join(' ')}));
    }
    const span = state.range === 3600 ? 'the last hour' : 'the last day';
    const share = Math.round(100 * held.True / (now - since));
    const summary = items.length
      ? `${condition} ${share}% of ${span}, ${items.length} transitions` +
        (latencies.length ? `, latency up to ${peak} ms` : '')
      : `No ${condition} transitions in ${span}.`;
    picture.setAttribute('aria-label', summary);
    return el('figure', {},
      picture,
      el('figcaption', {}, summary + ' (green: True, red: False, grey: unknown or before the records; line: probe latency).'),
      items.length ? el('details', {}, el('summary', {}, `Transitions (${items.length})`),
        table(['Time', 'Condition', 'Status', 'Reason', 'Latency'], [...items].reverse(), i =>
          [time(i.time), i.condition, i.status, i.reason || '', i.latencyMs == null ? '-' : i.latencyMs + ' ms'])) : '');
  }

  // ---- Start --------------------------------------------------------------------------------

  const kept = sessionStorage.getItem(TOKEN_KEY);
  if (kept) {
    signIn(kept).catch(e => signOut(e instanceof AuthError ? 'The token was refused: ' + e.message : e.message));
  } else {
    $('token').focus();
  }
})();
