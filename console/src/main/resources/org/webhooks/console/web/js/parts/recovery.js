// Sending deliveries again in bulk: recover (POST /v1/webhooks/{id}/recover?since=T, the endpoint's
// failed deliveries since T, each once), replay (POST /v1/webhooks/{id}/replay?since=T, matching run
// again over the events published since T, in bounded calls with a cursor), and the dead letters: the
// deliveries given up on, listed from the endpoint's final failed attempts.

import { api, withQuery } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { dateTime, outcomeText } from '../format.js';
import { attemptDetail, FAILED_OUTCOMES } from './attempts.js';
import { clearErrors, field, showError } from './fields.js';

/** Most replay calls one click makes (each reads at most 10,000 events). */
const MAX_REPLAY_CALLS = 100;

/** @returns an instant an hour ago, ISO-8601 to the second */
function anHourAgo() {
  return new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * @param {object} subscription the endpoint
 * @returns {HTMLElement} the panel
 */
export function recoveryPanel(subscription) {
  const headingId = uid('recovery');
  const id = encodeURIComponent(subscription.id);
  const since = h('input', { type: 'text', name: 'since', spellcheck: 'false', class: 'mono' });
  since.value = anHourAgo();
  const recover = h('button', { type: 'button', class: 'primary' }, 'Recover failed deliveries');
  const replay = h('button', { type: 'button' }, 'Replay events');
  const result = h('div', { class: 'recovery-result', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, 'aria-labelledby': headingId },
    field({ name: 'since', label: 'Since (ISO-8601)', control: since,
      hint: 'An instant in UTC, e.g. 2025-01-15T09:00:00Z.' }),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'form-actions' }, recover, replay));
  form.addEventListener('submit', (e) => e.preventDefault());

  const run = async (button, action) => {
    clearErrors(form);
    button.disabled = true;
    replace(result, h('p', { class: 'loading' }, 'Working…'));
    try {
      replace(result, await action(since.value.trim()));
    } catch (e) {
      replace(result);
      showError(form, e.field, e.message);
    } finally {
      button.disabled = false;
    }
  };

  recover.addEventListener('click', () => run(recover, async (t) => {
    const r = await api('POST', withQuery(`/v1/webhooks/${id}/recover`, { since: t }));
    return h('div', { dataset: { recovered: String(r.recovered) } },
      h('p', { class: r.recovered ? 'outcome-ok' : '' },
        r.recovered ? `${r.recovered} failed deliver${r.recovered === 1 ? 'y' : 'ies'} sent again.`
          : 'No failed delivery to send again since then.'),
      r.deliveries.length ? h('ul', { class: 'small' }, r.deliveries.map((d) =>
        h('li', {}, `${d.event_id} (${d.event_type}), last ${outcomeText(d.last_outcome)}, from its `,
          d.source === 'dead_letter' ? 'dead letter' : 'event'))) : null,
      r.not_recovered.length ? [h('p', { class: 'small' }, 'Not sent again:'), h('ul', { class: 'small' },
        r.not_recovered.map((n) => h('li', {}, `${n.event_id}: ${n.reason}`)))] : null);
  }));

  replay.addEventListener('click', () => run(replay, async (t) => {
    let cursor = null;
    let delivered = 0;
    let read = 0;
    let last = null;
    for (let calls = 0; calls < MAX_REPLAY_CALLS; calls += 1) {
      last = await api('POST', withQuery(`/v1/webhooks/${id}/replay`, { since: t, cursor }));
      delivered += last.delivered;
      read += last.records_read;
      if (last.complete) {
        break;
      }
      cursor = last.next_cursor;
    }
    return h('p', { class: 'outcome-ok', dataset: { replayed: String(delivered) } },
      `${read} event${read === 1 ? '' : 's'} published from ${dateTime(last.since)} to ${dateTime(last.until)} read again; `,
      `${delivered} matched this endpoint and ${delivered === 1 ? 'is' : 'are'} being delivered.`,
      last.complete ? '' : ' Not all were read: replay again to go on.');
  }));

  return h('section', { class: 'card', 'aria-labelledby': headingId, dataset: { panel: 'recovery' } },
    h('h2', { id: headingId }, 'Recover and replay'),
    h('p', { class: 'muted' }, h('strong', {}, 'Recover'), ' sends again, each once, the deliveries to this endpoint that ',
      'failed for good since then: given up on after their retries (dead letters), answered 410, or cancelled while it was disabled. ',
      h('strong', {}, 'Replay'), ' runs matching again over the events published since then and delivers every one this ',
      'endpoint selects now, also those it never got (down, disabled, filtered, or added later). Either way each ',
      'delivery keeps its webhook-id, so your endpoint can drop repeats.'),
    form, result);
}

/**
 * @param {Array<object>} attempts attempt records, newest first
 * @returns {Array<object>} per delivery whose newest attempt failed and was final (no retry follows,
 *   nor was it sent again since with success), that attempt; newest first
 */
export function givenUp(attempts) {
  const seen = new Set();
  const out = [];
  for (const a of attempts) {
    if (seen.has(a.delivery_id)) {
      continue;
    }
    seen.add(a.delivery_id);
    // a final 'deferred' attempt: dead-lettered while the endpoint's circuit stayed open (as recover counts it)
    if (a.final && [...FAILED_OUTCOMES, 'cancelled', 'deferred'].includes(a.outcome)) {
      out.push(a);
    }
  }
  return out;
}

/**
 * The endpoint's dead letters: its deliveries whose last attempt failed and was final (no retry
 * follows), from the attempts index (the newest 500 attempts). Redeliver sends one again now; Redeliver all is a recover since
 * the oldest of them, which sends each from its dead letter and marks it, so it is sent once.
 * @param {object} subscription the endpoint
 * @returns {HTMLElement} the panel
 */
export function deadLettersPanel(subscription) {
  const headingId = uid('dead');
  const id = encodeURIComponent(subscription.id);
  const list = h('div', {});
  const result = h('div', { role: 'status', 'aria-live': 'polite' });
  const detail = h('div', {});
  const refresh = h('button', { type: 'button', class: 'small' }, 'Refresh dead letters');

  const load = async () => {
    let page;
    try {
      page = await api('GET', withQuery(`/v1/webhooks/${id}/attempts`, { limit: 500 }));
    } catch (e) {
      replace(list, h('p', { class: 'form-error' }, `The dead letters could not be had now: ${e.message}`));
      return;
    }
    const dead = givenUp(page.data);
    if (!dead.length) {
      replace(list, h('p', { class: 'muted' }, 'No delivery to this endpoint has been given up on lately.'));
      return;
    }
    const oldest = dead[dead.length - 1].started_at;
    const all = h('button', { type: 'button', class: 'primary' }, `Redeliver all ${dead.length}`);
    all.addEventListener('click', async () => {
      all.disabled = true;
      try {
        const r = await api('POST', withQuery(`/v1/webhooks/${id}/recover`, { since: oldest }));
        replace(result, h('p', { class: 'outcome-ok', dataset: { recovered: String(r.recovered) } },
          `${r.recovered} sent again${r.not_recovered.length ? `; ${r.not_recovered.length} not (sent again before, or gone from the log)` : ''}.`));
      } catch (e) {
        replace(result, h('p', { class: 'form-error' }, `Not sent again: ${e.message}`));
      } finally {
        all.disabled = false;
      }
    });
    replace(list,
      h('div', { class: 'table-scroll' }, h('table', { class: 'data dead-letters' },
        h('caption', { class: 'visually-hidden' }, 'Deliveries given up on'),
        h('thead', {}, h('tr', {}, ['Last attempt', 'Event', 'Attempts', 'Outcome', ''].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, dead.map((a) => {
          const open = h('button', { type: 'button', class: 'small', 'aria-label': `Redeliver ${a.event_id}` }, 'Redeliver');
          open.addEventListener('click', () => {
            replace(detail, attemptDetail(a, () => replace(detail)));
            detail.querySelector('h3').focus();
          });
          return h('tr', { dataset: { eventId: a.event_id, attemptId: a.attempt_id } },
            h('td', { dataset: { label: 'Last attempt' } }, dateTime(a.started_at)),
            h('td', { dataset: { label: 'Event' } }, h('span', { class: 'mono' }, a.event_id), h('div', { class: 'muted small' }, a.event_type)),
            h('td', { dataset: { label: 'Attempts' } }, String(a.attempt)),
            h('td', { dataset: { label: 'Outcome' } }, outcomeText(a.outcome), a.error ? h('div', { class: 'muted small' }, a.error) : null),
            h('td', {}, open));
        })))),
      h('div', { class: 'form-actions' }, all));
  };
  refresh.addEventListener('click', load);
  load();
  return h('section', { class: 'card', 'aria-labelledby': headingId, dataset: { panel: 'dead-letters' } },
    h('div', { class: 'panel-head' }, h('h2', { id: headingId }, 'Dead letters'), refresh),
    h('p', { class: 'muted' }, 'Deliveries given up on: their last attempt failed and no retry follows. ',
      'Redeliver one to see its last attempt and send it again now; Redeliver all sends each of them once.'),
    list, result, detail);
}
