// Who is signed in: the API key, and for an operator key the account it acts for. Kept in this tab's
// sessionStorage only, never in persistent storage, a cookie or the URL: it ends with the tab and is sent
// only to this origin's API, in the Authorization header.

const STORAGE_KEY = 'webhooks.console.session';

/**
 * @typedef {object} Session
 * @property {string} key the API key
 * @property {boolean} operator whether it is an operator key
 * @property {string|null} accountId the account an operator key acts for (null for an account key)
 */

/** @returns {Session|null} the session of this tab, or null when signed out */
export function currentSession() {
  const raw = window.sessionStorage.getItem(STORAGE_KEY);
  if (!raw) {
    return null;
  }
  try {
    const s = JSON.parse(raw);
    return typeof s.key === 'string' && s.key ? s : null;
  } catch {
    return null;
  }
}

/** @param {Session} session the session to keep for this tab */
export function saveSession(session) {
  window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
}

export function clearSession() {
  window.sessionStorage.removeItem(STORAGE_KEY);
}
