// The endpoints of the account: one row each, or what to do first when there are none.

import { api, isOperational } from '../api.js';
import { h, replace } from '../dom.js';
import { healthBadge, latency, percent } from '../format.js';

const PAGE = 50;
/** The number of call event types: an endpoint with all of them is shown as "All event types". */
const CALL_TYPES = 8;

const callTypes = (s) => s.event_types.filter((t) => !isOperational(t));
const alertTypes = (s) => s.event_types.filter((t) => isOperational(t));

/**
 * How an endpoint's deliveries went: its 24 h statistics and its health, asked once per row of the
 * list (GET /v1/webhooks/{id}/stats?window=24h and /health). A figure that cannot be had now (the
 * statistics service starting: 503) is shown as unknown rather than failing the list.
 */
const monitoring = new Map();
function monitoringOf(s) {
  if (!monitoring.has(s.id)) {
    const id = encodeURIComponent(s.id);
    const quietly = (p) => p.catch(() => null);
    monitoring.set(s.id, Promise.all([quietly(api('GET', `/v1/webhooks/${id}/stats?window=24h`)),
      quietly(api('GET', `/v1/webhooks/${id}/health`))]).then(([stats, health]) => ({ stats, health })));
  }
  return monitoring.get(s.id);
}

/** @returns a cell's content that shows "…" until the endpoint's monitoring figures come */
function later(s, render) {
  const slot = h('span', { class: 'muted' }, '…');
  monitoringOf(s).then((m) => replace(slot, render(m)));
  return slot;
}

/**
 * The columns of the list, in order: a header and a cell renderer each. The success rate, latency
 * and state columns come from the monitoring API and fill their cells when its answers come.
 */
export const columns = [
  {
    header: 'Endpoint',
    cell: (s) => [
      h('a', { class: 'url', href: `#/endpoints/${encodeURIComponent(s.id)}` }, s.url),
      s.description ? h('div', { class: 'muted small' }, s.description) : null,
    ],
  },
  {
    header: 'Event types',
    cell: (s) => [
      callTypes(s).length === CALL_TYPES
        ? [h('span', {}, 'All event types'), alertTypes(s).length
          ? h('ul', { class: 'chips', 'aria-label': 'Alert types' }, alertTypes(s).map((t) => h('li', {}, t))) : null]
        : h('ul', { class: 'chips', 'aria-label': 'Event types' }, s.event_types.map((t) => h('li', {}, t))),
      s.filter ? h('span', { class: 'filtered-note' }, 'Filtered: ', h('code', {}, s.filter)) : null,
    ],
  },
  {
    header: 'Success (24 h)',
    cell: (s) => later(s, ({ stats }) => (stats
      ? h('span', { dataset: { successRate: stats.total.success_rate === null ? '' : String(stats.total.success_rate) } },
        percent(stats.total.success_rate),
        stats.total.attempts ? h('span', { class: 'muted small' }, ` of ${stats.total.attempts}`) : null)
      : h('span', { class: 'muted' }, 'unknown'))),
  },
  {
    header: 'p95 latency',
    cell: (s) => later(s, ({ stats }) => (stats ? latency(stats.total.latency_p95_ms) : h('span', { class: 'muted' }, 'unknown'))),
  },
  {
    header: 'State',
    cell: (s) => [stateBadge(s), s.enabled ? later(s, ({ health }) => (health ? healthBadge(health) : null)) : null],
  },
];

/** @returns the state of an endpoint: enabled, or disabled with its reason */
export function stateBadge(s) {
  if (s.enabled) {
    return h('span', { class: 'badge enabled', dataset: { state: 'enabled' } }, 'Enabled');
  }
  return h('span', { dataset: { state: 'disabled' } },
    h('span', { class: 'badge disabled' }, 'Disabled'),
    s.disabled_reason ? h('span', { class: 'reason' }, s.disabled_reason) : null);
}

export async function endpointListView() {
  monitoring.clear();
  const first = await api('GET', `/v1/webhooks?limit=${PAGE}`);
  const head = h('div', { class: 'page-head' },
    h('h1', { tabindex: '-1' }, 'Endpoints'),
    first.data.length ? h('a', { class: 'button primary', href: '#/endpoints/new' }, 'Add endpoint') : null);
  if (!first.data.length) {
    return { title: 'Endpoints', node: h('div', {}, head, emptyState()) };
  }
  const body = h('tbody', {});
  const table = h('table', { class: 'endpoints' },
    h('caption', { class: 'visually-hidden' }, 'Endpoints of this account'),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.header)))), body);
  const more = h('div', { class: 'form-actions' });
  const addRows = (page) => {
    for (const s of page.data) {
      body.append(h('tr', { dataset: { id: s.id } },
        columns.map((c) => h('td', { dataset: { label: c.header } }, c.cell(s)))));
    }
    replace(more);
    if (page.next_cursor) {
      const button = h('button', { type: 'button' }, 'Show more');
      button.addEventListener('click', async () => {
        button.disabled = true;
        addRows(await api('GET', `/v1/webhooks?limit=${PAGE}&cursor=${encodeURIComponent(page.next_cursor)}`));
      });
      more.append(button);
    }
  };
  addRows(first);
  return { title: 'Endpoints', node: h('div', {}, head, table, more) };
}

function emptyState() {
  return h('section', { class: 'card empty-state', 'aria-labelledby': 'empty-h' },
    h('h2', { id: 'empty-h' }, 'No endpoints yet'),
    h('p', {}, 'An endpoint is a URL of your system that receives an HTTP POST, signed, each time an event you ',
      'chose happens: a call starts or completes, a sentiment changes, an appointment is booked.'),
    h('ol', {},
      h('li', {}, 'Add an endpoint: its URL and the event types it wants, filtered further if you like.'),
      h('li', {}, 'Copy its signing secret, shown once, so your code can verify each request.'),
      h('li', {}, 'Send a test event and check that your endpoint answers 2xx.')),
    h('a', { class: 'button primary', href: '#/endpoints/new' }, 'Add your first endpoint'));
}
