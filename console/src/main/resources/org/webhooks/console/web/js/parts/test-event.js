// Send a test event: the example of a chosen type, signed and sent now like a real delivery
// (POST /v1/webhooks/{id}/test), and what the endpoint answered.

import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { statusText } from '../format.js';

/**
 * @param {object} subscription the endpoint as the API shows it
 * @returns {HTMLElement} the panel
 */
export function testEventPanel(subscription) {
  const headingId = uid('test');
  const select = h('select', { id: `${headingId}-type`, name: 'event_type' },
    subscription.event_types.map((t) => h('option', { value: t }, t)));
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send test event');
  const result = h('div', { class: 'test-result', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'test-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: select.id }, 'Event type'), select), send);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    send.disabled = true;
    replace(result, h('p', { class: 'loading' }, 'Sending…'));
    try {
      const outcome = await api('POST', `/v1/webhooks/${encodeURIComponent(subscription.id)}/test`,
        { event_type: select.value });
      replace(result, outcomeView(outcome));
    } catch (e) {
      replace(result, h('p', { class: 'form-error' }, `The test event was not sent: ${e.message}`));
    } finally {
      send.disabled = false;
    }
  });

  return h('section', { class: 'card', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, 'Send a test event'),
    h('p', { class: 'muted' }, 'Sends the example event of a type to this endpoint now, signed with its secret like a ',
      'real delivery. Nothing is retried or recorded; your endpoint should answer 2xx.'),
    form, result);
}

function outcomeView(o) {
  const status = o.status_code === null ? 'no response' : `${o.status_code} ${statusText(o.status_code)}`.trim();
  const headline = o.succeeded
    ? h('p', { class: 'outcome-ok' }, `Delivered: ${status} in ${o.latency_ms} ms`)
    : h('p', { class: 'outcome-bad' }, `Failed (${o.outcome.replaceAll('_', ' ')}): ${status}, after ${o.latency_ms} ms`);
  const rows = [
    ['Event', `${o.event_id} (${o.event_type})`],
    ['Status', status],
    ['Latency', `${o.latency_ms} ms`],
  ];
  if (o.error) {
    rows.push(['Error', o.error]);
  }
  return h('div', { dataset: { outcome: o.outcome, statusCode: String(o.status_code) } }, headline,
    h('dl', {}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    o.response_excerpt !== null && o.response_excerpt !== ''
      ? [h('h3', { class: 'small' }, 'Response body (start)'), h('pre', {}, o.response_excerpt)]
      : h('p', { class: 'small muted' }, 'The response had no body.'));
}
