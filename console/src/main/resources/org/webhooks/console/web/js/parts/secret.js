// A signing secret shown once, with a copy button. It is held in this page's memory only: the API
// returns a secret when it is created or rotated and never again, so the console does the same.

import { h, uid } from '../dom.js';

/** The secret just made by a create, handed to the endpoint page that opens next. */
let handedOver = null;

/** Keeps a new endpoint's secret for the page that shows it next. */
export function handOver(subscriptionId, secret) {
  handedOver = { subscriptionId, secret };
}

/** @returns the secret handed over for this endpoint, once, or null */
export function takeHandedOver(subscriptionId) {
  if (handedOver && handedOver.subscriptionId === subscriptionId) {
    const { secret } = handedOver;
    handedOver = null;
    return secret;
  }
  return null;
}

/**
 * @param {string} secret the whsec_... secret
 * @param {Array<Node|string>} note what the reader should know about it (e.g. until when the old one signs)
 * @returns {HTMLElement} a panel showing the secret with a copy button and a dismiss button
 */
export function secretPanel(secret, note) {
  const inputId = uid('secret');
  const input = h('input', { type: 'text', id: inputId, readonly: true, value: secret, spellcheck: 'false',
    autocomplete: 'off', class: 'mono', dataset: { secret: 'true' } });
  const status = h('p', { class: 'small muted', role: 'status' });
  const copy = h('button', { type: 'button', class: 'primary' }, 'Copy secret');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      status.textContent = 'Copied to the clipboard.';
    } catch {
      input.focus();
      input.select();
      status.textContent = 'This browser did not allow copying: the secret is selected, copy it with Ctrl+C or ⌘C.';
    }
  });
  const panel = h('section', { class: 'notice warn', 'aria-labelledby': `${inputId}-h` },
    h('h2', { id: `${inputId}-h` }, 'Signing secret: shown once'),
    h('p', {}, 'Copy it now and keep it with your endpoint\'s code: it verifies that each request comes from us ',
      '(Standard Webhooks signature). It is not shown again; if it is lost, rotate it.'),
    note,
    h('div', { class: 'secret-box' }, h('label', { for: inputId, class: 'visually-hidden' }, 'Signing secret'), input, copy),
    status);
  const done = h('button', { type: 'button' }, 'I have saved it');
  done.addEventListener('click', () => {
    panel.remove();
    const heading = document.querySelector('main h1');
    if (heading) {
      heading.focus();
    }
  });
  panel.append(done);
  return panel;
}
