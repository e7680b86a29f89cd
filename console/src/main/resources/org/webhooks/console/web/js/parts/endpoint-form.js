// The form that adds an endpoint (POST /v1/webhooks) or changes one (PATCH /v1/webhooks/{id}). The
// page checks nothing the API checks: it sends what was entered and shows the API's own error next to
// the field it names, so the rules are the API's (and the CLI's) and written once.

import { api, eventTypes } from '../api.js';
import { h, uid } from '../dom.js';
import { clearErrors, errorSlot, field, showError } from './fields.js';
import { filterEditor } from './filter-editor.js';
import { headersEditor } from './headers-editor.js';

/**
 * @param {object} o
 * @param {object|null} o.subscription the endpoint to change, or null to add one
 * @param {function(object): void} o.onSaved called with the API's answer (with the secret when added)
 * @param {string} [o.cancelHref] where Cancel goes (adding only)
 * @returns {Promise<HTMLElement>} the form
 */
export async function endpointForm({ subscription, onSaved, cancelHref }) {
  const creating = !subscription;
  const s = subscription || { url: '', description: '', event_types: [], filter: null, headers: {}, rate_limit: null };
  const types = await eventTypes();

  const url = h('input', { type: 'text', name: 'url', inputmode: 'url', autocomplete: 'url', spellcheck: 'false',
    placeholder: 'https://example.com/webhooks' });
  url.value = s.url;
  const description = h('input', { type: 'text', name: 'description', maxlength: 500 });
  description.value = s.description || '';

  // event types: a checkbox each, with what the event means
  const legendId = uid('types');
  const boxes = types.map((t) => {
    const id = uid('type');
    const box = h('input', { type: 'checkbox', id, name: 'event_types', value: t.event_type,
      checked: s.event_types.includes(t.event_type), 'aria-describedby': `${id}-desc` });
    return h('div', { class: 'choice' }, box,
      h('label', { for: id }, h('span', { class: 'mono' }, t.event_type),
        h('span', { class: 'desc', id: `${id}-desc` }, t.description)));
  });
  const checkboxes = () => boxes.map((b) => b.querySelector('input'));
  const selectedTypes = () => checkboxes().filter((b) => b.checked).map((b) => b.value);
  const selectAll = h('button', { type: 'button', class: 'small' }, 'Select all');
  const selectNone = h('button', { type: 'button', class: 'small' }, 'Clear');
  const typesField = h('fieldset', { dataset: { field: 'event_types' } },
    h('legend', { id: legendId }, 'Event types'),
    h('span', { class: 'hint' }, 'The events this endpoint receives; at least one.'),
    h('div', { class: 'inline-actions' }, selectAll, selectNone),
    h('div', { class: 'event-types' }, boxes), errorSlot());

  const filter = filterEditor({ initial: s.filter, selectedTypes });
  for (const box of checkboxes()) {
    box.addEventListener('change', () => filter.check());
  }
  selectAll.addEventListener('click', () => {
    checkboxes().forEach((b) => { b.checked = true; });
    filter.check();
  });
  selectNone.addEventListener('click', () => {
    checkboxes().forEach((b) => { b.checked = false; });
    filter.check();
  });

  const headers = headersEditor(s.headers);
  const rateLimit = h('input', { type: 'number', name: 'rate_limit', min: 1, max: 10000, step: 1, inputmode: 'numeric',
    class: 'narrow' });
  rateLimit.value = s.rate_limit === null || s.rate_limit === undefined ? '' : String(s.rate_limit);

  // adding only: the secret (generated, or the customer's own) and whether it starts enabled
  let secretChoice = null;
  let ownSecret = null;
  let enabled = null;
  if (creating) {
    const generateId = uid('secret-generate');
    const ownId = uid('secret-own');
    const generate = h('input', { type: 'radio', id: generateId, name: 'secret_choice', value: 'generate', checked: true });
    const own = h('input', { type: 'radio', id: ownId, name: 'secret_choice', value: 'own' });
    ownSecret = h('input', { type: 'text', name: 'secret', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'whsec_…', class: 'mono' });
    const ownField = field({ name: 'secret', label: 'Your secret', control: ownSecret,
      hint: 'whsec_ followed by the base64 of 24 to 64 random bytes.' });
    ownField.hidden = true;
    const toggle = () => { ownField.hidden = !own.checked; };
    generate.addEventListener('change', toggle);
    own.addEventListener('change', toggle);
    secretChoice = h('fieldset', {},
      h('legend', {}, 'Signing secret'),
      h('span', { class: 'hint' }, 'Every request is signed with it (Standard Webhooks), so your endpoint can check that it came from us.'),
      h('div', { class: 'choice' }, generate, h('label', { for: generateId }, 'Generate a secret for me (recommended)')),
      h('div', { class: 'choice' }, own, h('label', { for: ownId }, 'Use my own secret')),
      ownField);
    const enabledId = uid('enabled');
    enabled = h('input', { type: 'checkbox', id: enabledId, name: 'enabled', checked: true });
    enabled = { box: enabled, node: h('div', { class: 'choice' }, enabled,
      h('label', { for: enabledId }, 'Enabled: deliver events as soon as it is saved')) };
  }

  const submit = h('button', { type: 'submit', class: 'primary' }, creating ? 'Add endpoint' : 'Save changes');
  const form = h('form', { class: 'endpoint-form', novalidate: true },
    field({ name: 'url', label: 'Endpoint URL', control: url,
      hint: 'Where the events are POSTed. https is required; private and local addresses are refused unless your operator allowed them.' }),
    field({ name: 'description', label: 'Description (optional)', control: description,
      hint: 'What this endpoint is for, e.g. "CRM sync".' }),
    typesField,
    filter.node,
    secretChoice,
    headers.node,
    field({ name: 'rate_limit', label: 'Rate limit (optional)', control: rateLimit,
      hint: 'Most requests per second this endpoint gets; more wait and are sent as the limit allows, never dropped. Empty: no limit.' }),
    enabled && enabled.node,
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'form-actions' }, submit, creating && cancelHref ? h('a', { href: cancelHref }, 'Cancel') : null));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const rate = rateLimit.value.trim();
    const body = {
      url: url.value.trim(),
      description: description.value.trim() || null,
      event_types: selectedTypes(),
      filter: filter.value().trim() || null,
      headers: headers.value(),
      // a number the browser could not read is sent as text, for the API to name the field
      rate_limit: rate === '' ? null : (Number.isInteger(Number(rate)) ? Number(rate) : rate),
    };
    if (creating) {
      body.enabled = enabled.box.checked;
      if (!secretChoice.querySelector('input[value="generate"]').checked) {
        body.secret = ownSecret.value.trim();
      }
    }
    submit.disabled = true;
    try {
      const saved = creating
        ? await api('POST', '/v1/webhooks', body)
        : await api('PATCH', `/v1/webhooks/${encodeURIComponent(subscription.id)}`, body);
      onSaved(saved);
    } catch (e) {
      showError(form, e.field, e.message);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
