// Building the page from data. Text from the API (URLs, descriptions, response bodies, error messages)
// is only ever set as text, never parsed as HTML, so it cannot inject markup; event handlers are added
// with addEventListener, never as attributes, which the Content-Security-Policy would block anyway.

let nextId = 0;

/** @returns a document-unique id with the given prefix, for label/for and aria-describedby pairs */
export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * Creates an element.
 * @param {string} tag the element name
 * @param {object} props attributes; `class`, `text` (its text), `dataset` (data-* values), and
 *   functions under `on<Event>` names (listeners); null, undefined and false are left out, true is an
 *   empty attribute
 * @param  {...(Node|string|null|Array)} children nodes or strings (as text), nested arrays flattened
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name === 'class') {
      el.className = value;
    } else if (name === 'text') {
      el.textContent = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends nodes and strings (as text) to a parent, flattening arrays and skipping null. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces every child of a parent. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}
