// The endpoints of the account: one row each, or what to do first when there are none.

import { api } from '../api.js';
import { h, replace } from '../dom.js';

const PAGE = 50;
const ALL_TYPES = 8;

/**
 * The columns of the list, in order: a header and a cell renderer each. Columns that need more than
 * the subscription (24 h success rate, p95 latency and circuit state from the monitoring API) are
 * added here with a renderer that fills its cell when their answer comes.
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
      s.event_types.length === ALL_TYPES
        ? h('span', {}, 'All event types')
        : h('ul', { class: 'chips', 'aria-label': 'Event types' }, s.event_types.map((t) => h('li', {}, t))),
      s.filter ? h('span', { class: 'filtered-note' }, 'Filtered: ', h('code', {}, s.filter)) : null,
    ],
  },
  {
    header: 'State',
    cell: (s) => stateBadge(s),
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
