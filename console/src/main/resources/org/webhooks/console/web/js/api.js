// The public REST API, and nothing else: every call the console makes is one a customer could make
// with curl and the same key (see /openapi.json). An operator key names the account it acts for with
// ?account_id= on every call, as the API asks.

import { currentSession } from './session.js';

/** A refused call: the API's own {"error", "field"} with the HTTP status (0 when nothing answered). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `the API answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.field = body && body.field ? body.field : null;
  }
}

let onUnauthorized = () => {};

/** @param {function(ApiError):void} handler called when a signed-in call gets 401 (key revoked) */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/**
 * Calls the API as the signed-in tab.
 * @param {string} method GET, POST, PATCH, DELETE
 * @param {string} path e.g. /v1/webhooks?limit=50
 * @param {object} [body] sent as JSON
 * @returns {Promise<object|null>} the JSON answer (null for 204)
 * @throws {ApiError} when refused, or when the control plane did not answer
 */
export async function api(method, path, body) {
  const session = currentSession();
  if (!session) {
    const e = new ApiError(401, { error: 'Signed out.' });
    onUnauthorized(e);
    throw e;
  }
  try {
    return await call(session, method, path, body);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      onUnauthorized(e);
    }
    throw e;
  }
}

/**
 * Calls the API with a given key (signing in checks a key before keeping it).
 * @param {{key: string, accountId: (string|null)}} session the key, and the account of an operator key
 */
export async function call(session, method, path, body) {
  const url = new URL(path, window.location.origin);
  if (session.accountId) {
    url.searchParams.set('account_id', session.accountId);
  }
  const init = {
    method,
    headers: { Authorization: `Bearer ${session.key}`, Accept: 'application/json' },
    cache: 'no-store',
    credentials: 'omit',
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, { error: `The control plane did not answer (${e.message}).` });
  }
  const text = await response.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = { error: text };
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, json);
  }
  return json;
}

let eventTypesOnce = null;

/**
 * @returns {Promise<Array<{event_type: string, description: string, example: object}>>} the eight
 *   event types, asked for once per page load
 */
export function eventTypes() {
  if (!eventTypesOnce) {
    eventTypesOnce = api('GET', '/v1/event-types').then((r) => r.data).catch((e) => {
      eventTypesOnce = null;
      throw e;
    });
  }
  return eventTypesOnce;
}
