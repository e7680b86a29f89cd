// The console's entry point: which page a URL shows, who is signed in, and the frame around pages.

import { ApiError, whenUnauthorized } from './api.js';
import { h, replace } from './dom.js';
import { pageOpened } from './parts/toast.js';
import { currentPath, navigate, resolve, route } from './router.js';
import { clearSession, currentSession } from './session.js';
import { endpointListView } from './views/endpoint-list.js';
import { endpointNewView } from './views/endpoint-new.js';
import { endpointPageView } from './views/endpoint-page.js';
import { signInView } from './views/sign-in.js';

route('/sign-in', signInView);
route('/endpoints', endpointListView);
route('/endpoints/new', endpointNewView);
route('/endpoints/:id', endpointPageView);

const main = document.getElementById('main');
let rendering = 0;
let signInReason = null;

whenUnauthorized(() => {
  clearSession();
  signInReason = 'Your key was refused (it may have been revoked): sign in again.';
  navigate('/sign-in');
});

document.getElementById('sign-out').addEventListener('click', () => {
  clearSession();
  signInReason = null;
  navigate('/sign-in');
});

/** Shows who is signed in, and the navigation, in the top bar. */
function showSession(session, path) {
  document.getElementById('mainnav').hidden = !session;
  document.getElementById('who').hidden = !session;
  if (session) {
    document.getElementById('who-text').textContent = session.operator
      ? `Operator, acting for ${session.accountId}` : 'Signed in with an account key';
  }
  for (const link of document.querySelectorAll('#mainnav a')) {
    if (path.startsWith(link.getAttribute('href').slice(1))) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
}

async function render() {
  const path = currentPath();
  if (path === null) {
    return; // an anchor within the page (the skip link), not another page
  }
  const session = currentSession();
  if (!session && path !== '/sign-in') {
    navigate('/sign-in');
    return;
  }
  if (session && path === '/sign-in') {
    navigate('/endpoints');
    return;
  }
  showSession(session, path);
  rendering += 1;
  const mine = rendering;
  const match = resolve(path);
  let page;
  try {
    if (!match) {
      page = { title: 'Not found', node: h('section', { class: 'card' }, h('h1', { tabindex: '-1' }, 'No such page'),
        h('a', { href: '#/endpoints' }, 'Go to the endpoints')) };
    } else {
      replace(main, h('p', { class: 'loading' }, 'Loading…'));
      page = path === '/sign-in' ? await match.view(match.params, signInReason) : await match.view(match.params);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      return; // whenUnauthorized has gone to the sign-in page
    }
    page = { title: 'Error', node: h('section', { class: 'card', role: 'alert' }, h('h1', { tabindex: '-1' }, 'Something went wrong'),
      h('p', {}, e.message), h('a', { href: '#/endpoints' }, 'Go to the endpoints')) };
  }
  if (mine !== rendering) {
    return; // the reader went elsewhere meanwhile
  }
  document.title = `${page.title} · Webhooks console`;
  replace(main, page.node);
  pageOpened();
  const heading = main.querySelector('h1');
  if (heading) {
    heading.focus();
  }
}

window.addEventListener('hashchange', render);
render();
