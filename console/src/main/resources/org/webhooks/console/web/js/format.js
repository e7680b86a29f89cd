// How values are shown.

import { h } from './dom.js';

/** @returns an ISO-8601 instant in the reader's time zone, e.g. "15 Jan 2025, 16:45:32" */
export function dateTime(iso) {
  if (!iso) {
    return '';
  }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) {
    return iso;
  }
  return d.toLocaleString(undefined, {
    day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

/** @returns the reason text of an HTTP status the console shows beside its code */
export function statusText(code) {
  const names = {
    200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found',
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout',
    410: 'Gone', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
    503: 'Service Unavailable', 504: 'Gateway Timeout',
  };
  return names[code] || '';
}

/** @returns a rate from 0 to 1 as a percentage, e.g. "97.5 %"; "no attempts" for null */
export function percent(rate) {
  if (rate === null || rate === undefined) {
    return 'no attempts';
  }
  const p = rate * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)} %`;
}

/** @returns a latency in ms as shown, e.g. "120 ms"; "–" for null (nothing measured) */
export function latency(ms) {
  return ms === null || ms === undefined ? '–' : `${ms} ms`;
}

/** @returns an attempt outcome as words, e.g. "http error" */
export function outcomeText(outcome) {
  return outcome.replaceAll('_', ' ');
}

const HEALTH = {
  healthy: ['Healthy', 'enabled'],
  failing: ['Failing', 'failing'],
  circuit_open: ['Circuit open', 'failing'],
  disabled: ['Disabled', 'disabled'],
  // health is judged on deliveries of call events only (an alert endpoint raises no alert of its own)
  no_attempts: ['No call events yet', 'neutral'],
};

/**
 * @param {object} health the answer of GET /v1/webhooks/{id}/health
 * @returns {HTMLElement} its status as a badge (circuit open, failing, healthy, ...), with the reason
 *   it is failing
 */
export function healthBadge(health) {
  const [label, kind] = HEALTH[health.status] || [health.status, 'neutral'];
  const circuit = health.circuit === 'open' && health.status !== 'circuit_open'
    ? h('span', { class: 'badge failing' }, 'Circuit open') : null;
  return h('span', { class: 'health', dataset: { health: health.status, circuit: health.circuit } },
    h('span', { class: `badge ${kind}` }, label), circuit,
    health.failing_reason ? h('span', { class: 'reason' }, health.failing_reason) : null);
}
