// A short message after an action (e.g. "Changes saved"), read out by screen readers (role=status).
// A message about an action that moved to another page is shown once that page is there; any other
// message ends with its page.

let timer = null;
let nextPage = null;

function show(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  window.clearTimeout(timer);
  timer = window.setTimeout(() => {
    el.textContent = '';
  }, 5000);
}

/** Shows a message for five seconds, or until another page opens. */
export function toast(message) {
  show(message);
}

/** Shows a message on the page that opens next (after the action navigated there). */
export function toastOnNextPage(message) {
  nextPage = message;
}

/** Called when a page has opened: ends the previous page's message and shows the one meant for this page. */
export function pageOpened() {
  const message = nextPage;
  nextPage = null;
  window.clearTimeout(timer);
  document.getElementById('toast').textContent = '';
  if (message) {
    show(message);
  }
}
