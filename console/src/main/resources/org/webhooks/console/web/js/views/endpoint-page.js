// One endpoint: its state, the secret just made (once), a test event, its settings, secret rotation
// and deletion. Each is a panel of its own; the monitoring panels (charts of success rate and
// latency, the attempts table, recovery) take their places in the list below.

import { api, ApiError } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { dateTime } from '../format.js';
import { openDialog } from '../parts/dialog.js';
import { endpointForm } from '../parts/endpoint-form.js';
import { secretPanel, takeHandedOver } from '../parts/secret.js';
import { testEventPanel } from '../parts/test-event.js';
import { toast, toastOnNextPage } from '../parts/toast.js';
import { navigate } from '../router.js';
import { stateBadge } from './endpoint-list.js';

/**
 * The panels of the page, top to bottom; each is made once from the endpoint and the page's controls,
 * and may follow later changes through page.onUpdate.
 */
const PANELS = [
  (s, page) => testPanel(s, page),
  (s, page) => settingsPanel(s, page),
  (s, page) => secretRotationPanel(s, page),
  (s) => deletePanel(s),
];

export async function endpointPageView(params) {
  let s;
  try {
    s = await api('GET', `/v1/webhooks/${encodeURIComponent(params.id)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      return notFound(params.id);
    }
    throw e;
  }
  const headState = h('span', {});
  const toggle = h('button', { type: 'button' });
  const secretSlot = h('div', {});
  const panels = h('div', {});
  const title = h('h1', { class: 'url', tabindex: '-1' });
  const description = h('p', { class: 'muted' });

  const listeners = [];
  const page = {
    /** Shows the endpoint as the API last answered it, here and in every panel that follows it. */
    update(next) {
      s = next;
      title.textContent = s.url;
      description.textContent = s.description || '';
      description.hidden = !s.description;
      replace(headState, stateBadge(s));
      toggle.textContent = s.enabled ? 'Disable endpoint' : 'Enable endpoint';
      listeners.forEach((listener) => listener(s));
    },
    /** @param {function(object): void} listener called with the endpoint after each change */
    onUpdate(listener) {
      listeners.push(listener);
    },
    /** Shows a secret once, at the top of the page. */
    showSecret(secret, note) {
      replace(secretSlot, secretPanel(secret, note));
      secretSlot.querySelector('button.primary').focus();
    },
  };

  toggle.addEventListener('click', async () => {
    toggle.disabled = true;
    try {
      page.update(await api('PATCH', `/v1/webhooks/${encodeURIComponent(s.id)}`, { enabled: !s.enabled }));
      toast(s.enabled ? 'Endpoint enabled: events are delivered again.' : 'Endpoint disabled: nothing is delivered to it.');
    } catch (e) {
      toast(`Not changed: ${e.message}`);
    } finally {
      toggle.disabled = false;
    }
  });

  page.update(s);
  replace(panels, PANELS.map((panel) => panel(s, page)));
  const fresh = takeHandedOver(s.id);
  if (fresh) {
    replace(secretSlot, secretPanel(fresh, h('p', { class: 'small' }, 'Endpoint added.')));
  }
  const node = h('div', {},
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' }, h('a', { href: '#/endpoints' }, 'Endpoints'), ' / ',
      h('span', { class: 'mono' }, s.id)),
    h('div', { class: 'page-head' }, title, h('div', { class: 'actions' }, headState, toggle)),
    description, secretSlot, panels);
  return { title: s.url, node };
}

/** The test event panel, made again when the endpoint's event types change. */
function testPanel(s, page) {
  const slot = h('div', {}, testEventPanel(s));
  let types = s.event_types.join(',');
  page.onUpdate((next) => {
    if (next.event_types.join(',') !== types) {
      types = next.event_types.join(',');
      replace(slot, testEventPanel(next));
    }
  });
  return slot;
}

function settingsPanel(s, page) {
  const headingId = uid('settings');
  const section = h('section', { class: 'card', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, 'Settings'));
  endpointForm({
    subscription: s,
    onSaved: (saved) => {
      page.update(saved);
      toast('Changes saved.');
    },
  }).then((form) => section.append(form));
  return section;
}

function secretRotationPanel(s, page) {
  const headingId = uid('rotation');
  const rotate = h('button', { type: 'button' }, 'Rotate secret');
  rotate.addEventListener('click', async () => {
    const ownId = uid('rotate-own');
    const own = h('input', { type: 'text', id: ownId, autocomplete: 'off', spellcheck: 'false', class: 'mono',
      placeholder: 'whsec_… (empty: generate one)' });
    const rotated = await openDialog({
      title: 'Rotate the signing secret?',
      content: [
        h('p', {}, 'A new secret starts signing now. The current one keeps signing beside it for a grace period ',
          '(24 hours unless your operator set another), so every request carries both signatures and your ',
          'endpoint verifies with either while you deploy the new one. After that only the new secret signs.'),
        h('div', { class: 'field' }, h('label', { for: ownId }, 'New secret (optional)'),
          h('span', { class: 'hint' }, 'Leave empty to have one generated.'), own),
      ],
      confirmLabel: 'Rotate secret',
      action: () => api('POST', `/v1/webhooks/${encodeURIComponent(s.id)}/secret/rotate`,
        own.value.trim() ? { secret: own.value.trim() } : {}),
    });
    if (rotated) {
      page.showSecret(rotated.secret, h('p', { class: 'small', dataset: { previousExpireAt: rotated.previous_secrets_expire_at || '' } },
        rotated.previous_secrets_expire_at
          ? `Secret rotated. The previous secret keeps signing beside this one until ${dateTime(rotated.previous_secrets_expire_at)}.`
          : 'Secret rotated.'));
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, 'Signing secret'),
    h('p', { class: 'muted' }, 'The secret is never shown again after it is made. Rotate it when it may have leaked ',
      'or when your policy says so: the old one keeps working for a grace period, so no delivery fails meanwhile.'),
    rotate);
}

function deletePanel(s) {
  const headingId = uid('delete');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete endpoint');
  remove.addEventListener('click', async () => {
    const deleted = await openDialog({
      title: 'Delete this endpoint?',
      content: [
        h('p', {}, 'Nothing more is delivered to ', h('span', { class: 'url' }, s.url),
          '; deliveries waiting for a retry are cancelled. This cannot be undone.'),
      ],
      confirmLabel: 'Delete endpoint',
      danger: true,
      action: async () => {
        await api('DELETE', `/v1/webhooks/${encodeURIComponent(s.id)}`);
        return true;
      },
    });
    if (deleted) {
      toastOnNextPage('Endpoint deleted.');
      navigate('/endpoints');
    }
  });
  return h('section', { class: 'card danger', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, 'Delete endpoint'),
    h('p', { class: 'muted' }, 'Stops every delivery to this endpoint at once. To pause instead, disable it.'),
    remove);
}

function notFound(id) {
  return {
    title: 'No such endpoint',
    node: h('section', { class: 'card' },
      h('h1', { tabindex: '-1' }, 'No such endpoint'),
      h('p', {}, 'This account has no endpoint ', h('code', {}, id), '.'),
      h('a', { href: '#/endpoints' }, 'Back to the endpoints')),
  };
}
