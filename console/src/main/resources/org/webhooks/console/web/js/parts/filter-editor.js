// The filter editor: a CEL expression checked as it is typed, by the API's POST /v1/filters/check
// (the fanout's own compiler and evaluation), showing whether it can be saved, where an error is, and
// what it does to the example event of each of the eight types.

import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { errorSlot } from './fields.js';

/** Typing pauses this long, ms, before the filter is checked. */
const PAUSE_MS = 250;

const EXAMPLES = [
  ['By agent', "data.agent_id == 'agent_123'"],
  ['Gold customers', "has(data.customer) && data.customer.tier == 'gold'"],
  ['Negative sentiment', 'data.sentiment_score < -0.5'],
  ['Booked appointments', "data.outcome == 'appointment_booked'"],
];

const FILTERED = {
  not_matched: 'Filtered out',
  missing_field: 'Filtered out: a field it reads is missing',
  no_matching_overload: 'Filtered out: values of the wrong type',
  not_boolean: 'Filtered out: not true or false',
  other: 'Filtered out: it failed',
};

/**
 * @param {object} o
 * @param {string|null} o.initial the filter to start with
 * @param {function(): string[]} o.selectedTypes the event types currently selected in the form
 * @returns {{node: HTMLElement, value: function(): string, check: function(): void}} the editor; call
 *   check() when the selected types change
 */
export function filterEditor({ initial, selectedTypes }) {
  const id = uid('filter');
  const textarea = h('textarea', { id, name: 'filter', rows: 3, spellcheck: 'false', autocomplete: 'off',
    autocapitalize: 'off', 'aria-describedby': `${id}-hint ${id}-status` });
  textarea.value = initial || '';
  const status = h('p', { class: 'filter-status', id: `${id}-status`, role: 'status', 'aria-live': 'polite' });
  const caret = h('pre', { class: 'filter-caret', hidden: true, 'aria-hidden': 'true' });
  const list = h('ul', { class: 'examples', id: `${id}-examples`, 'aria-label': 'What this filter does to the example events' });

  const exampleButtons = EXAMPLES.map(([label, expression]) => h('button', {
    type: 'button', class: 'small', title: expression,
    onClick: () => {
      textarea.value = expression;
      textarea.focus();
      check();
    },
  }, label));

  const node = h('div', { class: 'field', dataset: { field: 'filter' } },
    h('label', { for: id }, 'Filter (optional)'),
    h('span', { class: 'hint', id: `${id}-hint` },
      'Deliver only the events for which this expression is true. It is written in CEL over ',
      h('code', {}, 'event_type'), ' and ', h('code', {}, 'data'), ' (the event\'s data object); guard optional ',
      'fields with ', h('code', {}, 'has(...)'), '. Leave it empty to receive every event of the selected types.'),
    textarea, errorSlot(), status, caret,
    h('div', { class: 'filter-examples-help small muted' }, 'Start from an example: ', exampleButtons),
    h('h3', { class: 'small' }, 'Against the example events'), list);

  let timer = null;
  let sequence = 0;

  async function check() {
    window.clearTimeout(timer);
    sequence += 1;
    const mine = sequence;
    const filter = textarea.value;
    let verdict;
    try {
      verdict = await api('POST', '/v1/filters/check', { filter, event_types: selectedTypes() });
    } catch (e) {
      if (mine === sequence) {
        status.className = 'filter-status invalid';
        status.textContent = `The filter could not be checked: ${e.message}`;
      }
      return;
    }
    if (mine !== sequence) {
      return; // a later check is on its way; this answer is stale
    }
    show(filter, verdict);
  }

  function show(filter, verdict) {
    node.dataset.valid = String(verdict.valid);
    if (!verdict.valid) {
      status.className = 'filter-status invalid';
      status.textContent = verdict.error;
      textarea.setAttribute('aria-invalid', 'true');
      if (verdict.position) {
        const line = filter.split('\n')[verdict.position.line - 1] || '';
        caret.textContent = `${line}\n${' '.repeat(Math.max(verdict.position.column - 1, 0))}^`;
        caret.hidden = false;
      } else {
        caret.hidden = true;
      }
    } else {
      textarea.removeAttribute('aria-invalid');
      caret.hidden = true;
      status.className = 'filter-status valid';
      const delivered = verdict.examples.filter((e) => e.delivered).length;
      status.textContent = filter.trim()
        ? `Valid filter: ${delivered} of the 8 example events would be delivered.`
        : `No filter: every event of the selected types is delivered (${delivered} of the 8 examples).`;
    }
    replace(list, verdict.examples.map((e) => exampleItem(e, verdict.valid)));
  }

  textarea.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, PAUSE_MS);
  });
  check();
  return { node, value: () => textarea.value, check };
}

function exampleItem(example, valid) {
  let verdict;
  let kind;
  if (!valid) {
    verdict = 'Not checked';
    kind = 'unsubscribed';
  } else if (!example.subscribed) {
    verdict = 'Not selected';
    kind = 'unsubscribed';
  } else if (example.delivered) {
    verdict = 'Delivered';
    kind = 'delivered';
  } else {
    verdict = FILTERED[example.filter_result] || 'Filtered out';
    kind = 'filtered';
  }
  return h('li', { class: kind, dataset: { eventType: example.event_type, delivered: String(example.delivered) } },
    h('span', { class: 'mono' }, example.event_type), h('span', { class: 'verdict' }, verdict));
}
