// Form fields with a label, an optional hint and a place for the API's own error about that field.
// The API refuses a request with {"error", "field"}; the error is shown under the control whose
// data-field is that field name, and the control is marked invalid and focused.

import { h, uid } from '../dom.js';

/**
 * @param {object} o
 * @param {string} o.name the API's name of the field (url, description, filter, rate_limit, ...)
 * @param {string} o.label the visible label
 * @param {string|Node} [o.hint] help shown under the label
 * @param {HTMLElement} o.control the input, select or textarea
 * @returns {HTMLElement} the field
 */
export function field({ name, label, hint, control }) {
  if (!control.id) {
    control.id = uid(name);
  }
  const hintEl = hint ? h('span', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) {
    control.setAttribute('aria-describedby', hintEl.id);
  }
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: control.id }, label), hintEl, control, errorSlot());
}

/** @returns an empty, hidden paragraph where an error about its field appears */
export function errorSlot() {
  return h('p', { class: 'field-error', id: uid('error'), hidden: true });
}

/** Hides every error of a form and unmarks its controls. */
export function clearErrors(form) {
  for (const slot of form.querySelectorAll('.field-error, .form-error')) {
    slot.textContent = '';
    slot.hidden = true;
  }
  for (const control of form.querySelectorAll('[aria-invalid="true"]')) {
    control.removeAttribute('aria-invalid');
    const ids = (control.getAttribute('aria-describedby') || '').split(' ').filter((id) => !id.startsWith('error-'));
    if (ids.length) {
      control.setAttribute('aria-describedby', ids.join(' '));
    } else {
      control.removeAttribute('aria-describedby');
    }
  }
}

/**
 * Shows an error next to the field it names, or at the form's level when it names none the form has.
 * @param {HTMLElement} form the form (holds [data-field] containers and one .form-error)
 * @param {string|null} fieldName the API's field name
 * @param {string} message the API's message, shown as it is
 */
export function showError(form, fieldName, message) {
  const container = fieldName ? form.querySelector(`[data-field="${CSS.escape(fieldName)}"]`) : null;
  if (!container) {
    const general = form.querySelector('.form-error');
    general.textContent = message;
    general.hidden = false;
    return;
  }
  const slot = container.querySelector('.field-error');
  slot.textContent = message;
  slot.hidden = false;
  const control = container.querySelector('input:not([type="hidden"]), textarea, select');
  if (control) {
    control.setAttribute('aria-invalid', 'true');
    const ids = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    control.setAttribute('aria-describedby', [...ids, slot.id].join(' '));
    control.focus();
  }
}
