// The attempts of one endpoint (GET /v1/webhooks/{id}/attempts), newest first: filters (failed only,
// event type, a time range), a page at a time, and the details of one attempt with a button that
// sends its delivery again (POST /v1/attempts/{id}/resend).

import { api, withQuery } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { dateTime, outcomeText, statusText } from '../format.js';
import { clearErrors, field, showError } from './fields.js';

/** The outcomes of an attempt that failed (the API's failed: neither succeeded nor still to be made). */
export const FAILED_OUTCOMES = ['http_error', 'timeout', 'connection_error', 'blocked', 'other'];
const PAGE = 20;

/**
 * @param {object} subscription the endpoint
 * @returns {HTMLElement} the panel
 */
export function attemptsPanel(subscription) {
  const headingId = uid('attempts');
  const base = `/v1/webhooks/${encodeURIComponent(subscription.id)}/attempts`;

  const failedId = uid('failed-only');
  const failedOnly = h('input', { type: 'checkbox', id: failedId, name: 'failed_only' });
  const eventType = h('select', { name: 'event_type' }, h('option', { value: '' }, 'All event types'),
    subscription.event_types.map((t) => h('option', { value: t }, t)));
  const since = h('input', { type: 'text', name: 'since', spellcheck: 'false', class: 'mono', placeholder: '2025-01-15T09:00:00Z' });
  const until = h('input', { type: 'text', name: 'until', spellcheck: 'false', class: 'mono', placeholder: 'now' });
  const apply = h('button', { type: 'submit' }, 'Show attempts');
  const form = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Filter the attempts' },
    h('div', { class: 'choice' }, failedOnly, h('label', { for: failedId }, 'Failed only')),
    field({ name: 'event_type', label: 'Filter by event type', control: eventType }),
    field({ name: 'since', label: 'From (ISO-8601)', control: since }),
    field({ name: 'until', label: 'To (ISO-8601)', control: until }),
    h('div', { class: 'filters-actions' }, apply),
    h('p', { class: 'form-error', role: 'alert', hidden: true }));

  const body = h('tbody', {});
  const table = h('table', { class: 'data attempts' },
    h('caption', { class: 'visually-hidden' }, 'Attempts of this endpoint, newest first'),
    h('thead', {}, h('tr', {}, ['Started', 'Event', 'Attempt', 'Outcome', 'Status', 'Latency', ''].map((c) =>
      h('th', { scope: 'col' }, c)))), body);
  const empty = h('p', { class: 'muted', hidden: true }, 'No attempts match.');
  const status = h('p', { class: 'small muted', role: 'status' });
  const newer = h('button', { type: 'button', class: 'small' }, 'Newer attempts');
  const older = h('button', { type: 'button', class: 'small' }, 'Older attempts');
  const detail = h('div', { class: 'attempt-detail-slot' });

  // the cursors of the pages shown so far: [null, c1, c2...]; the last one is the page on screen
  let cursors = [null];
  let nextCursor = null;
  let query = {};

  const load = async () => {
    const cursor = cursors[cursors.length - 1];
    let page;
    try {
      page = await api('GET', withQuery(base, { ...query, limit: PAGE, cursor }));
    } catch (e) {
      showError(form, e.field, e.message);
      return;
    }
    nextCursor = page.next_cursor;
    replace(body, page.data.map((a) => row(a, () => showDetail(a))));
    empty.hidden = page.data.length > 0;
    newer.hidden = cursors.length === 1;
    older.hidden = !nextCursor;
    status.textContent = `${page.data.length} attempt${page.data.length === 1 ? '' : 's'} on this page.`;
  };

  const showDetail = (a) => {
    replace(detail, attemptDetail(a, () => replace(detail)));
    detail.querySelector('h3').focus();
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    query = {
      outcome: failedOnly.checked ? FAILED_OUTCOMES.join(',') : null,
      event_type: eventType.value,
      since: since.value.trim(),
      until: until.value.trim(),
    };
    cursors = [null];
    replace(detail);
    load();
  });
  older.addEventListener('click', () => {
    cursors.push(nextCursor);
    load();
  });
  newer.addEventListener('click', () => {
    cursors.pop();
    load();
  });
  load();

  return h('section', { class: 'card', 'aria-labelledby': headingId, dataset: { panel: 'attempts' } },
    h('h2', { id: headingId }, 'Attempts'),
    h('p', { class: 'muted' }, 'Every request made to this endpoint, newest first. Choose one to see what it answered, ',
      'and send its delivery again.'),
    form, h('div', { class: 'table-scroll' }, table), empty,
    h('div', { class: 'pager' }, newer, older, status), detail);
}

function row(a, onDetails) {
  const details = h('button', { type: 'button', class: 'small', 'aria-label': `Details of attempt ${a.attempt} of ${a.event_id}` },
    'Details');
  details.addEventListener('click', onDetails);
  const failed = FAILED_OUTCOMES.includes(a.outcome);
  return h('tr', { dataset: { attemptId: a.attempt_id, eventId: a.event_id, outcome: a.outcome } },
    h('td', { dataset: { label: 'Started' } }, dateTime(a.started_at)),
    h('td', { dataset: { label: 'Event' } }, h('span', { class: 'mono' }, a.event_id), h('div', { class: 'muted small' }, a.event_type)),
    h('td', { dataset: { label: 'Attempt' } }, String(a.attempt)),
    h('td', { dataset: { label: 'Outcome' } }, h('span', { class: `badge ${failed ? 'failing' : (a.outcome === 'succeeded' ? 'enabled' : 'neutral')}` },
      outcomeText(a.outcome))),
    h('td', { dataset: { label: 'Status' } }, a.status_code === null || a.status_code === undefined ? '–' : String(a.status_code)),
    h('td', { dataset: { label: 'Latency' } }, `${a.latency_ms} ms`),
    h('td', {}, details));
}

/**
 * The details of one attempt as the worker recorded it, and a button that sends its delivery again.
 * @param {object} a the attempt
 * @param {function(): void} onClose called when the reader closes it
 */
export function attemptDetail(a, onClose) {
  const headingId = uid('attempt');
  const status = a.status_code === null || a.status_code === undefined ? 'no response'
    : `${a.status_code} ${statusText(a.status_code)}`.trim();
  const rows = [
    ['Attempt id', a.attempt_id],
    ['Event', `${a.event_id} (${a.event_type})`],
    ['Delivery', `${a.delivery_id}, attempt ${a.attempt}`],
    ['Request', `POST ${a.url}`],
    ['webhook-id header', a.event_id],
    ['Started', dateTime(a.started_at)],
    ['Outcome', outcomeText(a.outcome)],
    ['Status', status],
    ['Latency', `${a.latency_ms} ms`],
  ];
  if (a.error) {
    rows.push(['Error', a.error]);
  }
  rows.push(['Next attempt', a.final ? 'None: this was the last attempt of the delivery'
    : (a.next_attempt_at ? dateTime(a.next_attempt_at) : 'None')]);
  const result = h('div', { role: 'status', 'aria-live': 'polite' });
  const resend = h('button', { type: 'button', class: 'primary' }, 'Resend');
  resend.addEventListener('click', async () => {
    resend.disabled = true;
    try {
      const r = await api('POST', `/v1/attempts/${encodeURIComponent(a.attempt_id)}/resend`);
      replace(result, h('p', { class: 'outcome-ok', dataset: { resent: r.delivery_id } },
        `Sent again: event ${r.event_id} is queued for delivery now, with the same webhook-id.`));
    } catch (e) {
      replace(result, h('p', { class: 'form-error' }, `Not sent again: ${e.message}`));
    } finally {
      resend.disabled = false;
    }
  });
  const lookup = h('button', { type: 'button' }, 'Which endpoints got this event');
  const verdicts = h('div', { class: 'verdicts', 'aria-live': 'polite' });
  lookup.addEventListener('click', async () => {
    lookup.disabled = true;
    try {
      replace(verdicts, eventView(await api('GET', `/v1/events/${encodeURIComponent(a.event_id)}/attempts`)));
    } catch (e) {
      replace(verdicts, h('p', { class: 'form-error' }, `Not found: ${e.message}`));
    } finally {
      lookup.disabled = false;
    }
  });
  const close = h('button', { type: 'button' }, 'Close details');
  close.addEventListener('click', onClose);
  return h('section', { class: 'attempt-detail', 'aria-labelledby': headingId, dataset: { attemptId: a.attempt_id } },
    h('h3', { id: headingId, tabindex: '-1' }, `Attempt ${a.attempt} of ${a.event_id}`),
    h('dl', { class: 'pairs' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    a.response_excerpt
      ? [h('h4', { class: 'small' }, 'Response body (start)'), h('pre', {}, a.response_excerpt)]
      : h('p', { class: 'small muted' }, 'No response body was recorded.'),
    requestView(a),
    h('div', { class: 'form-actions' }, resend, lookup, close), result, verdicts);
}

/**
 * The request an attempt made (GET /v1/attempts/{id}): its headers, each marked exact or as it is now,
 * and its body, exactly as sent. Loaded when the details open.
 * @param {object} a the attempt
 * @returns {HTMLElement} the section, filled in once the API answers
 */
function requestView(a) {
  const headingId = uid('request');
  const slot = h('div', { 'aria-live': 'polite' }, h('p', { class: 'small muted' }, 'Loading the request…'));
  const section = h('section', { class: 'attempt-request', 'aria-labelledby': headingId },
    h('h4', { id: headingId, class: 'small' }, 'Request as sent'), slot);
  api('GET', `/v1/attempts/${encodeURIComponent(a.attempt_id)}`).then((detail) => {
    const r = detail.request;
    if (!r) {
      replace(slot, h('p', { class: 'small muted' }, detail.request_note || 'No request was made.'));
      return;
    }
    const exact = new Set(r.exact_headers);
    const current = new Set(r.current_headers);
    const kind = (name, value) => {
      if (value === null) {
        return 'not kept';
      }
      return exact.has(name) ? 'exact' : (current.has(name) ? 'as it is now' : '');
    };
    const headers = h('table', { class: 'data request-headers' },
      h('caption', { class: 'visually-hidden' }, 'Request headers'),
      h('thead', {}, h('tr', {}, ['Header', 'Value', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, Object.entries(r.headers).map(([name, value]) => h('tr', { dataset: { header: name } },
        h('td', { class: 'mono', dataset: { label: 'Header' } }, name),
        h('td', { class: 'mono', dataset: { label: 'Value' } }, value === null ? '–' : value),
        h('td', { class: 'small muted' }, kind(name, value))))));
    replace(slot,
      h('p', { class: 'mono small' }, `${r.method} ${r.url}`),
      h('div', { class: 'table-scroll' }, headers),
      r.signature_note ? h('p', { class: 'small muted' }, `webhook-signature: ${r.signature_note}.`) : null,
      h('p', { class: 'small muted' }, 'Custom headers and user-agent are shown as they are now; they may have been ',
        'otherwise when this attempt was made.'),
      r.body === null
        ? h('p', { class: 'small muted request-body-gone' }, `Body: ${r.body_note}.`)
        : [h('h5', { class: 'small' }, 'Body'), h('pre', { class: 'request-body', text: r.body })]);
  }).catch((e) => {
    replace(slot, h('p', { class: 'form-error' }, `The request cannot be shown: ${e.message}`));
  });
  return section;
}

const VERDICTS = {
  matched: 'Delivered',
  disabled: 'Not delivered: the endpoint was disabled',
  event_type_not_selected: 'Not delivered: it does not select this event type',
  created_after_event: 'Not delivered: it was added after the event',
  filter_false: 'Not delivered: its filter left the event out',
  filter_error: 'Not delivered: its filter could not be evaluated on the event',
};

/**
 * @param {object} e the answer of GET /v1/events/{event_id}/attempts
 * @returns {HTMLElement} per endpoint of the account, whether it got the event and, if not, why
 */
function eventView(e) {
  const attempts = new Map();
  for (const a of e.attempts) {
    attempts.set(a.subscription_id, (attempts.get(a.subscription_id) || 0) + 1);
  }
  return h('div', {},
    h('h4', { class: 'small' }, `Event ${e.event_id} (${e.event_type}), published ${dateTime(e.published_at)}`),
    h('ul', { class: 'verdict-list' }, e.verdicts.map((v) => h('li', { dataset: { subscriptionId: v.subscription_id, verdict: v.verdict } },
      h('a', { class: 'mono', href: `#/endpoints/${encodeURIComponent(v.subscription_id)}` }, v.subscription_id), ': ',
      VERDICTS[v.verdict] || v.verdict, v.detail ? ` (${v.detail.replaceAll('_', ' ')})` : '',
      v.source === 'replay' ? ', by a replay' : '',
      attempts.get(v.subscription_id) ? `; ${attempts.get(v.subscription_id)} attempt${attempts.get(v.subscription_id) === 1 ? '' : 's'}` : ''))),
    e.unlisted_verdicts ? h('p', { class: 'small muted' }, `And ${e.unlisted_verdicts} more endpoints.`) : null);
}
