// Alerts: which endpoint receives the operational events (endpoint.failing, endpoint.recovered,
// endpoint.disabled, message.attempt.exhausted). An alert endpoint is a subscription that selects
// those event types, so this page only changes subscriptions' event types through the public API.

import { api, eventTypes, isOperational, OPERATIONAL_TYPES } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { clearErrors, field, showError } from '../parts/fields.js';
import { handOver } from '../parts/secret.js';
import { toastOnNextPage } from '../parts/toast.js';
import { navigate, reload } from '../router.js';

const MAX_ENDPOINTS = 500;

async function allEndpoints() {
  const out = [];
  let cursor = null;
  do {
    const page = await api('GET', `/v1/webhooks?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && out.length < MAX_ENDPOINTS);
  return out;
}

export async function alertsView() {
  const [endpoints, types] = await Promise.all([allEndpoints(), eventTypes()]);
  const described = new Map(types.map((t) => [t.event_type, t.description]));
  const receiving = endpoints.filter((s) => s.event_types.some(isOperational));

  // the alert types, each with what it means
  const typeBoxes = OPERATIONAL_TYPES.map((t) => {
    const id = uid('alert-type');
    return h('div', { class: 'choice' },
      h('input', { type: 'checkbox', id, name: 'alert_types', value: t, checked: true, 'aria-describedby': `${id}-desc` }),
      h('label', { for: id }, h('span', { class: 'mono' }, t), h('span', { class: 'desc', id: `${id}-desc` }, described.get(t) || '')));
  });
  const chosenTypes = () => typeBoxes.map((b) => b.querySelector('input')).filter((b) => b.checked).map((b) => b.value);

  // an existing endpoint, or a new one made for alerts
  const select = h('select', { name: 'endpoint' },
    h('option', { value: '' }, 'A new endpoint, at this URL:'),
    endpoints.map((s) => h('option', { value: s.id }, s.description ? `${s.url} (${s.description})` : s.url)));
  const url = h('input', { type: 'text', name: 'url', inputmode: 'url', spellcheck: 'false', placeholder: 'https://example.com/alerts' });
  const urlField = field({ name: 'url', label: 'Alert endpoint URL', control: url,
    hint: 'It gets a signing secret of its own, shown once on its page.' });
  select.addEventListener('change', () => { urlField.hidden = select.value !== ''; });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Send alerts there');
  const form = h('form', { novalidate: true },
    field({ name: 'endpoint', label: 'Endpoint that receives alerts', control: select }),
    urlField,
    h('fieldset', { dataset: { field: 'event_types' } }, h('legend', {}, 'Alerts to send'), h('div', { class: 'event-types' }, typeBoxes),
      h('p', { class: 'field-error', hidden: true })),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'form-actions' }, save));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    save.disabled = true;
    try {
      if (select.value === '') {
        const created = await api('POST', '/v1/webhooks', { url: url.value.trim(), event_types: chosenTypes(),
          description: 'Alerts' });
        handOver(created.id, created.secret);
        navigate(`/endpoints/${encodeURIComponent(created.id)}`);
        return;
      }
      const s = endpoints.find((e) => e.id === select.value);
      const keep = s.event_types.filter((t) => !isOperational(t));
      await api('PATCH', `/v1/webhooks/${encodeURIComponent(s.id)}`, { event_types: [...keep, ...chosenTypes()] });
      toastOnNextPage('Alerts are sent there now.');
      reload();
    } catch (e) {
      showError(form, e.field, e.message);
    } finally {
      save.disabled = false;
    }
  });

  const current = receiving.length
    ? h('table', { class: 'data alert-endpoints' },
      h('caption', { class: 'visually-hidden' }, 'Endpoints that receive alerts'),
      h('thead', {}, h('tr', {}, ['Endpoint', 'Alerts', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, receiving.map((s) => alertRow(s))))
    : h('p', { class: 'muted', dataset: { empty: 'alerts' } }, 'No endpoint receives alerts yet.');

  const node = h('div', {},
    h('h1', { tabindex: '-1' }, 'Alerts'),
    h('p', { class: 'muted' }, 'Get a webhook when one of your endpoints starts failing (its success rate falls below the ',
      'threshold, or its circuit stays open), when it recovers, when it is disabled, and when a delivery is given up on. ',
      'Alerts are events like any other: signed, retried and listed with the attempts of the endpoint that receives them. ',
      'An endpoint that receives only alerts raises none about itself.'),
    h('section', { class: 'card', 'aria-labelledby': 'alerts-now' }, h('h2', { id: 'alerts-now' }, 'Receiving alerts'), current),
    h('section', { class: 'card', 'aria-labelledby': 'alerts-choose' }, h('h2', { id: 'alerts-choose' }, 'Choose where alerts go'), form));
  return { title: 'Alerts', node };
}

function alertRow(s) {
  const alerts = s.event_types.filter(isOperational);
  const others = s.event_types.filter((t) => !isOperational(t));
  const stop = h('button', { type: 'button', class: 'small', 'aria-label': `Stop alerts to ${s.url}` }, 'Stop alerts');
  const error = h('p', { class: 'field-error', hidden: true });
  stop.addEventListener('click', async () => {
    error.hidden = true;
    try {
      if (others.length) {
        await api('PATCH', `/v1/webhooks/${encodeURIComponent(s.id)}`, { event_types: others });
      } else {
        await api('DELETE', `/v1/webhooks/${encodeURIComponent(s.id)}`);
      }
      toastOnNextPage(others.length ? 'No more alerts are sent there.' : 'The alert endpoint was deleted.');
      reload();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    }
  });
  return h('tr', { dataset: { id: s.id } },
    h('td', { dataset: { label: 'Endpoint' } }, h('a', { class: 'url', href: `#/endpoints/${encodeURIComponent(s.id)}` }, s.url),
      others.length ? null : h('div', { class: 'muted small' }, 'Only alerts: stopping deletes it.')),
    h('td', { dataset: { label: 'Alerts' } }, h('ul', { class: 'chips' }, alerts.map((t) => h('li', {}, t)))),
    h('td', {}, stop, error));
}
