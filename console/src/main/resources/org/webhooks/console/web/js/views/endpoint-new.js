// Adding an endpoint. On success the endpoint's page opens with its secret, shown that once.

import { h } from '../dom.js';
import { endpointForm } from '../parts/endpoint-form.js';
import { handOver } from '../parts/secret.js';
import { navigate } from '../router.js';

export async function endpointNewView() {
  const form = await endpointForm({
    subscription: null,
    cancelHref: '#/endpoints',
    onSaved: (created) => {
      handOver(created.id, created.secret);
      navigate(`/endpoints/${encodeURIComponent(created.id)}`);
    },
  });
  const node = h('div', {},
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' }, h('a', { href: '#/endpoints' }, 'Endpoints'), ' / New'),
    h('h1', { tabindex: '-1' }, 'Add an endpoint'),
    h('div', { class: 'card' }, form));
  return { title: 'Add an endpoint', node };
}
