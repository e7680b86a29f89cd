// Signing in: an account's API key, or an operator key and the account it acts for. The key is
// checked with one API call before it is kept (in this tab's sessionStorage only).

import { call } from '../api.js';
import { h, uid } from '../dom.js';
import { clearErrors, field, showError } from '../parts/fields.js';
import { navigate } from '../router.js';
import { saveSession } from '../session.js';

/** @returns the sign-in page; `reason` says why the reader is here again (e.g. a revoked key) */
export async function signInView(params, reason) {
  const accountKindId = uid('kind-account');
  const operatorKindId = uid('kind-operator');
  const accountKind = h('input', { type: 'radio', id: accountKindId, name: 'kind', value: 'account', checked: true });
  const operatorKind = h('input', { type: 'radio', id: operatorKindId, name: 'kind', value: 'operator' });
  const key = h('input', { type: 'password', name: 'key', autocomplete: 'off', spellcheck: 'false', required: true });
  const account = h('input', { type: 'text', name: 'account_id', autocomplete: 'off', spellcheck: 'false' });
  const accountField = field({ name: 'account_id', label: 'Account id', control: account,
    hint: 'The account this operator key acts for, e.g. acct_1.' });
  accountField.hidden = true;
  const kindChanged = () => { accountField.hidden = !operatorKind.checked; };
  accountKind.addEventListener('change', kindChanged);
  operatorKind.addEventListener('change', kindChanged);

  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { novalidate: true },
    h('fieldset', {},
      h('legend', {}, 'Key'),
      h('div', { class: 'choice' }, accountKind, h('label', { for: accountKindId }, 'Account API key')),
      h('div', { class: 'choice' }, operatorKind,
        h('label', { for: operatorKindId }, 'Operator key, acting for one account'))),
    field({ name: 'key', label: 'API key', control: key,
      hint: h('span', {}, 'Made with ', h('code', {}, './webhooks api-keys create --account ACCOUNT'),
        ' (or ', h('code', {}, '--operator'), ').') }),
    accountField,
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'form-actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const operator = operatorKind.checked;
    const session = { key: key.value.trim(), operator, accountId: operator ? account.value.trim() : null };
    if (!session.key) {
      showError(form, 'key', 'Enter an API key.');
      return;
    }
    if (operator && !session.accountId) {
      showError(form, 'account_id', 'Name the account this operator key acts for.');
      return;
    }
    submit.disabled = true;
    try {
      await call(session, 'GET', '/v1/webhooks?limit=1');
      saveSession(session);
      navigate('/endpoints');
    } catch (e) {
      if (e.status === 401) {
        showError(form, 'key', 'This key was refused: it is unknown, mistyped or revoked.');
      } else if (e.field === 'account_id' && !operator) {
        showError(form, 'key', 'This is an operator key: choose "Operator key" and name the account it acts for.');
      } else if (e.field === 'account_id') {
        showError(form, 'account_id', 'This is an account key, which acts for its own account only: choose "Account API key".');
      } else {
        showError(form, null, e.message);
      }
    } finally {
      submit.disabled = false;
    }
  });

  const node = h('section', { class: 'card narrow' },
    h('h1', { tabindex: '-1' }, 'Sign in to the webhooks console'),
    reason ? h('p', { class: 'notice warn', role: 'alert' }, reason) : null,
    h('p', { class: 'muted' }, 'Manage the endpoints that receive your account\'s events. The key stays in this ',
      'browser tab only (session storage) and is sent only to this server\'s API.'),
    form);
  return { title: 'Sign in', node };
}
