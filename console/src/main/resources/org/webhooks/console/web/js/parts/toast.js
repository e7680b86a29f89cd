// A short message after an action that moved to another page (e.g. "Endpoint deleted"), read out by
// screen readers (role=status).

let timer = null;

/** Shows a message for five seconds. */
export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  window.clearTimeout(timer);
  timer = window.setTimeout(() => {
    el.textContent = '';
  }, 5000);
}
