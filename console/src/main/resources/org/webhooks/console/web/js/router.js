// Pages are addressed by the URL's fragment (#/endpoints, #/endpoints/sub_...), so the server serves
// one page and a reload or a bookmark lands on the same view. A fragment not starting with #/ (the
// skip link's #main) is an anchor, not a page.

const routes = [];

/**
 * @param {string} pattern e.g. /endpoints/:id
 * @param {function(object): Promise<{title: string, node: Node}>} view renders the page from the
 *   pattern's parameters
 */
export function route(pattern, view) {
  const source = pattern.replace(/:([a-z_]+)/g, '(?<$1>[^/]+)');
  routes.push({ regex: new RegExp(`^${source}$`), view });
}

/** @returns {string|null} the page path of the URL (#/endpoints -> /endpoints), null for an anchor */
export function currentPath() {
  const hash = window.location.hash;
  if (hash === '' || hash === '#') {
    return '/endpoints';
  }
  return hash.startsWith('#/') ? decodeURI(hash.slice(1)) : null;
}

/** @returns the view and parameters of a path, or null */
export function resolve(path) {
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (m) {
      const params = {};
      for (const [k, v] of Object.entries(m.groups || {})) {
        params[k] = decodeURIComponent(v);
      }
      return { view: r.view, params };
    }
  }
  return null;
}

/** Goes to a page (adds a history entry, so Back works). */
export function navigate(path) {
  window.location.hash = `#${path}`;
}
