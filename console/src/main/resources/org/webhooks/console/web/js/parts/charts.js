// Charts of an endpoint's deliveries over a window (GET /v1/webhooks/{id}/stats?window=1h|24h|7d):
// success rate, and latency p50/p95/p99, per bucket. Drawn by uPlot (a canvas chart library, served
// from its WebJar); it sizes its elements through element.style, which the Content-Security-Policy
// allows (it blocks style attributes in markup, not the CSS object model).

import uPlot from '../../vendor/uplot/uPlot.esm.js';
import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { latency, percent } from '../format.js';

const WINDOWS = [['1h', '1 hour'], ['24h', '24 hours'], ['7d', '7 days']];
const HEIGHT = 180;

/**
 * @param {object} subscription the endpoint
 * @param {function(): void} [onRefresh] called when the reader asks for fresh figures (the page
 *   shows the endpoint's health again)
 * @returns {HTMLElement} the panel: a choice of window, the window's totals and the two charts
 */
export function statsPanel(subscription, onRefresh = () => {}) {
  const headingId = uid('stats');
  const choice = h('div', { class: 'segmented', role: 'radiogroup', 'aria-labelledby': `${headingId}-window` });
  const totals = h('dl', { class: 'figures', 'aria-live': 'polite' });
  const rateBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Success rate per bucket' });
  const latencyBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Latency p50, p95 and p99 per bucket' });
  const error = h('p', { class: 'form-error', hidden: true });
  const charts = [];
  let current = '24h';

  const draw = async (window) => {
    current = window;
    for (const input of choice.querySelectorAll('input')) {
      input.checked = input.value === window;
    }
    let stats;
    try {
      stats = await api('GET', `/v1/webhooks/${encodeURIComponent(subscription.id)}/stats?window=${window}`);
      error.hidden = true;
    } catch (e) {
      error.textContent = `The statistics could not be had now: ${e.message}`;
      error.hidden = false;
      return;
    }
    if (window !== current) {
      return; // another window was chosen meanwhile
    }
    const t = stats.total;
    replace(totals,
      figure('Attempts', String(t.attempts), 'attempts'),
      figure('Success rate', percent(t.success_rate), 'success-rate'),
      figure('Failed', String(t.failed), 'failed'),
      figure('Latency p50', latency(t.latency_p50_ms), 'p50'),
      figure('Latency p95', latency(t.latency_p95_ms), 'p95'),
      figure('Latency p99', latency(t.latency_p99_ms), 'p99'));
    totals.dataset.window = window;
    totals.dataset.attempts = String(t.attempts);
    const x = stats.series.map((b) => Date.parse(b.start) / 1000);
    const rate = stats.series.map((b) => (b.success_rate === null ? null : b.success_rate * 100));
    const p = (k) => stats.series.map((b) => b[k]);
    charts.forEach((c) => c.destroy());
    charts.length = 0;
    charts.push(chart(rateBox, [x, rate], [{ label: 'Success rate', stroke: '#166534', fill: 'rgba(22,101,52,0.08)',
      value: (u, v) => (v === null ? '–' : `${v.toFixed(1)} %`) }], { min: 0, max: 100, unit: '%' }));
    charts.push(chart(latencyBox, [x, p('latency_p50_ms'), p('latency_p95_ms'), p('latency_p99_ms')], [
      { label: 'p50', stroke: '#1d4ed8' }, { label: 'p95', stroke: '#d97706' }, { label: 'p99', stroke: '#b91c1c' },
    ].map((s) => ({ ...s, value: (u, v) => (v === null ? '–' : `${v} ms`) })), { min: 0, unit: 'ms' }));
  };

  for (const [value, label] of WINDOWS) {
    const id = uid('window');
    const input = h('input', { type: 'radio', id, name: `${headingId}-window`, value });
    input.addEventListener('change', () => draw(value));
    choice.append(h('span', { class: 'segment' }, input, h('label', { for: id }, label)));
  }
  const refresh = h('button', { type: 'button', class: 'small' }, 'Refresh charts');
  refresh.addEventListener('click', () => {
    onRefresh();
    draw(current);
  });
  draw(current);

  return h('section', { class: 'card', 'aria-labelledby': headingId, dataset: { panel: 'stats' } },
    h('div', { class: 'panel-head' }, h('h2', { id: headingId }, 'Deliveries'), refresh),
    h('p', { class: 'muted', id: `${headingId}-window` }, 'Success rate and latency over the last:'),
    choice, totals, error,
    h('h3', {}, 'Success rate'), rateBox,
    h('h3', {}, 'Latency'), latencyBox);
}

function figure(label, value, key) {
  return h('div', { class: 'figure', dataset: { figure: key } }, h('dt', {}, label), h('dd', {}, value));
}

/**
 * Draws a chart in a box as wide as the box, and redraws it at its new width when the box changes
 * size (a narrow screen, a rotated phone).
 * @returns {{destroy: function(): void}}
 */
function chart(box, data, series, { min, max, unit }) {
  replace(box);
  let plot = null;
  const make = (width) => {
    plot = new uPlot({
      width,
      height: HEIGHT,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, lo, hi) => [min, max === undefined ? Math.max(hi || 0, 1) * 1.1 : max] } },
      axes: [{}, { values: (u, ticks) => ticks.map((v) => `${Math.round(v)} ${unit}`), size: 64 }],
      series: [{}, ...series.map((s) => ({ spanGaps: false, width: 2, points: { show: true, size: 4 }, ...s }))],
    }, data, box);
  };
  // drawn in the next frame, not in the observer's callback: a chart changes the box's height, which
  // inside the callback would be a resize loop the browser reports as an error
  const observer = new ResizeObserver(() => window.requestAnimationFrame(() => {
    const width = Math.floor(box.clientWidth);
    if (width <= 0 || !box.isConnected) {
      return;
    }
    if (!plot) {
      make(width);
    } else if (plot.width !== width) {
      plot.setSize({ width, height: HEIGHT });
    }
  }));
  observer.observe(box);
  return {
    destroy() {
      observer.disconnect();
      if (plot) {
        plot.destroy();
        plot = null;
      }
    },
  };
}
