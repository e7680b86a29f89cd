// Modal dialogs on the native <dialog> element: focus moves into it and stays there, Escape cancels,
// and focus returns to what opened it.

import { ApiError } from '../api.js';
import { h, uid } from '../dom.js';

/**
 * Opens a dialog whose confirm button runs an action; an ApiError of the action is shown inside the
 * dialog, which stays open so the reader can fix the input or cancel.
 * @param {object} o
 * @param {string} o.title the heading
 * @param {Array<Node|string>} o.content what the dialog says and asks
 * @param {string} o.confirmLabel the confirm button's text
 * @param {boolean} [o.danger] the confirm button does something that cannot be undone
 * @param {function(HTMLElement): Promise<*>} o.action runs on confirm, given the dialog's element
 * @returns {Promise<*>} the action's result, or null when cancelled
 */
export function openDialog({ title, content, confirmLabel, danger, action }) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const titleId = uid('dialog-title');
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const cancel = h('button', { type: 'button', autofocus: true }, 'Cancel');
    const confirm = h('button', { type: 'button', class: danger ? 'danger' : 'primary' }, confirmLabel);
    const dialog = h('dialog', { 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title), content, error,
      h('div', { class: 'form-actions' }, confirm, cancel));
    let result = null;
    const finish = (value) => {
      result = value;
      dialog.close();
    };
    cancel.addEventListener('click', () => finish(null));
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      error.hidden = true;
      try {
        finish(await action(dialog));
      } catch (e) {
        if (!(e instanceof ApiError)) {
          throw e;
        }
        error.textContent = e.message;
        error.hidden = false;
        confirm.disabled = false;
      }
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected) {
        opener.focus();
      }
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
