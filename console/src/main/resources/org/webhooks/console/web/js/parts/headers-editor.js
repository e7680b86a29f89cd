// Custom request headers: name and value pairs sent with every delivery (the API refuses the ones the
// platform sets itself: webhook-*, content-*, host, user-agent and hop-by-hop headers).

import { h, replace, uid } from '../dom.js';
import { errorSlot } from './fields.js';

/**
 * @param {Object<string, string>} initial the stored headers
 * @returns {{node: HTMLElement, value: function(): Object<string, string>}} the editor; value() holds
 *   every row with a name or a value (a value without a name is left for the API to refuse)
 */
export function headersEditor(initial) {
  const rows = h('div', {});
  const legendId = uid('headers');
  const add = h('button', { type: 'button', class: 'small' }, 'Add header');
  const node = h('fieldset', { class: 'field', dataset: { field: 'headers' }, 'aria-describedby': `${legendId}-hint` },
    h('legend', { id: legendId }, 'Custom headers (optional)'),
    h('span', { class: 'hint', id: `${legendId}-hint` },
      'Sent with every request, e.g. a token your endpoint expects. Signature, content and host headers are set by the platform.'),
    rows, errorSlot(), add);

  function renumber() {
    [...rows.children].forEach((row, i) => {
      const [nameLabel, name, valueLabel, value, remove] = row.children;
      nameLabel.textContent = `Header ${i + 1} name`;
      valueLabel.textContent = `Header ${i + 1} value`;
      remove.setAttribute('aria-label', `Remove header ${i + 1}`);
      name.dataset.row = String(i);
      value.dataset.row = String(i);
    });
  }

  function addRow(name = '', value = '') {
    const nameId = uid('header-name');
    const valueId = uid('header-value');
    const nameInput = h('input', { type: 'text', id: nameId, placeholder: 'X-Api-Token', autocomplete: 'off',
      spellcheck: 'false', class: 'header-name' });
    nameInput.value = name;
    const valueInput = h('input', { type: 'text', id: valueId, placeholder: 'value', autocomplete: 'off',
      spellcheck: 'false', class: 'header-value' });
    valueInput.value = value;
    const remove = h('button', { type: 'button', class: 'small' }, 'Remove');
    const row = h('div', { class: 'header-row' },
      h('label', { for: nameId, class: 'visually-hidden' }), nameInput,
      h('label', { for: valueId, class: 'visually-hidden' }), valueInput, remove);
    // the grid shows inputs and button; labels are for assistive technology
    remove.addEventListener('click', () => {
      row.remove();
      renumber();
      add.focus();
    });
    rows.append(row);
    renumber();
    return nameInput;
  }

  add.addEventListener('click', () => addRow().focus());
  replace(rows);
  for (const [name, value] of Object.entries(initial || {})) {
    addRow(name, value);
  }
  return {
    node,
    value: () => {
      const out = {};
      for (const row of rows.children) {
        const name = row.querySelector('.header-name').value.trim();
        const value = row.querySelector('.header-value').value;
        if (name || value) {
          out[name] = value;
        }
      }
      return out;
    },
  };
}
