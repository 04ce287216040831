// One entry per kind the dashboard shows: where the API lists it and how its section looks.
// A new kind (agents, deployments) is one more entry here; dashboard.js lists, watches and
// re-renders every entry the same way and gives each renderer the helpers of `ui` below.
'use strict';

window.SWITCHBOARD_KINDS = [
  {
    kind: 'Site',
    plural: 'sites',
    title: 'Sites',
    render(sites, ui) {
      const list = ui.el('ul', {class: 'cards'});
      for (const s of sites) {
        const ready = ui.condition(s, 'Ready');
        const count = (s.status || {}).backends;
        const tunnel = (s.status || {}).tunnel;
        const maintenance = s.spec.maintenance === true;
        list.append(ui.el('li', {class: 'card', id: 'site-' + s.metadata.name, 'data-ready': ready.status},
          ui.el('h3', {}, s.metadata.name),
          ui.readyBadge(ready),
          maintenance ? ui.badge('Maintenance', 'warn') : '',
          ui.el('dl', {},
            ui.el('dt', {}, 'Backends'),
            ui.el('dd', {}, count ? `${count.healthy}/${count.total} healthy` : '-'),
            ui.el('dt', {}, 'Tunnel'),
            ui.el('dd', {}, !s.spec.wireguard ? 'none declared'
              : tunnel && tunnel.latestHandshake ? 'handshake ' + ui.ago(tunnel.latestHandshake)
                : 'no handshake yet'),
            ui.el('dt', {}, 'Subnet, priority'),
            ui.el('dd', {}, `${s.spec.subnet || '-'}, ${s.spec.priority ?? '-'}`),
            ui.anyHubs([s]) ? [ui.el('dt', {}, 'Hubs'), ui.el('dd', {}, ui.hubs(s))] : ''),
          ui.el('div', {class: 'actions'},
            ui.historyButton(s),
            ui.action(s, maintenance
              ? {label: 'End maintenance', done: 'out of maintenance', change: spec => { delete spec.maintenance; }}
              : {label: 'Maintenance', done: 'in maintenance', change: spec => { spec.maintenance = true; }}))));
      }
      return list;
    },
  },
  {
    kind: 'Service',
    plural: 'services',
    title: 'Services',
    render(services, ui) {
      return ui.table(['Service', 'Ready', 'Hosts', 'Path', 'Endpoints', 'Per site'], services, s => {
        const st = s.status || {};
        return [
          s.metadata.name,
          ui.readyBadge(ui.condition(s, 'Ready')),
          (s.spec.hosts || []).join(', '),
          s.spec.pathPrefix || '/',
          st.totalEndpoints === undefined ? '-' : `${st.readyEndpoints}/${st.totalEndpoints}`,
          (st.endpoints || []).map(e => `${e.site} ${e.ready}/${e.total}`).join(', ') || '-',
        ];
      });
    },
  },
  {
    kind: 'Backend',
    plural: 'backends',
    title: 'Backends',
    render(backends, ui) {
      // Two hubs sharing the fleet: a column of what each sees (one hub: no column).
      const hubs = ui.anyHubs(backends);
      return ui.table(
        ['Backend', 'Service', 'Site', 'Address', 'Role', 'Weight', 'Health', 'Latency', 'Ready',
          ...(hubs ? ['Hubs'] : []), 'Actions'],
        backends,
        b => {
          const health = ((b.status || {}).health) || {};
          const state = health.state || 'Unknown';
          const drained = b.spec.drain === true;
          return [
            b.metadata.name,
            b.spec.service,
            b.spec.site,
            `${b.spec.address}:${b.spec.port}`,
            (b.spec.role || 'primary') + (drained ? ', draining' : ''),
            String(b.spec.weight ?? 1),
            ui.badge(state, state === 'Healthy' ? 'ok' : state === 'Unhealthy' ? 'bad' : 'unknown',
              health.lastError || ''),
            health.latencyMillis === undefined ? '-' : health.latencyMillis + ' ms',
            ui.readyBadge(ui.condition(b, 'Ready')),
            ...(hubs ? [ui.hubs(b)] : []),
            ui.el('div', {class: 'actions'},
              ui.historyButton(b),
              ui.action(b, drained
                ? {label: 'Undrain', done: 'undrained', change: spec => { delete spec.drain; }}
                : {label: 'Drain', done: 'drained', change: spec => { spec.drain = true; }})),
          ];
        },
        b => ({'data-health': ((b.status || {}).health || {}).state || 'Unknown'}));
    },
  },
];
