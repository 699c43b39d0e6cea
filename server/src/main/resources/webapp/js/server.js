// Server: what /api/status reports, polled once a second while the tab is shown, with small SVG
// charts of the last two minutes.

import { getJson, KeyError } from './api.js';

const POINTS = 120;
const SVG = 'http://www.w3.org/2000/svg';

class Chart {
  constructor(svg, series, unit) {
    this.svg = svg;
    this.series = series; // [{name, color}]
    this.unit = unit;
    this.data = series.map(() => []);
  }

  add(values) {
    values.forEach((v, i) => {
      this.data[i].push(Number.isFinite(v) ? v : null);
      if (this.data[i].length > POINTS) this.data[i].shift();
    });
    this.draw();
  }

  draw() {
    const w = 300;
    const h = 100;
    const all = this.data.flat().filter((v) => v !== null);
    const max = Math.max(1e-9, ...all) * 1.1;
    this.svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    this.svg.replaceChildren();
    const grid = document.createElementNS(SVG, 'line');
    Object.entries({ x1: 0, x2: w, y1: h - 0.5, y2: h - 0.5, class: 'axis' }).forEach(([k, v]) =>
      grid.setAttribute(k, v),
    );
    this.svg.append(grid);
    this.data.forEach((d, i) => {
      const pts = d
        .map((v, j) => (v === null ? null : `${(j * w) / Math.max(1, d.length - 1)},${h - (v / max) * (h - 18)}`))
        .filter(Boolean)
        .join(' ');
      const line = document.createElementNS(SVG, 'polyline');
      line.setAttribute('points', pts);
      line.setAttribute('class', 'series s' + i);
      this.svg.append(line);
    });
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', 4);
    label.setAttribute('y', 12);
    label.setAttribute('class', 'chart-max');
    label.textContent = `max ${fmt(max / 1.1)} ${this.unit}`;
    this.svg.append(label);
    let x = w - 4;
    for (let i = this.series.length - 1; i >= 0; i--) {
      const key = document.createElementNS(SVG, 'text');
      key.setAttribute('x', x);
      key.setAttribute('y', 12);
      key.setAttribute('text-anchor', 'end');
      key.setAttribute('class', 'legend l' + i);
      key.textContent = this.series[i].name;
      this.svg.append(key);
      x -= this.series[i].name.length * 6 + 8;
    }
    const last = this.series
      .map((s, i) => `${s.name} ${fmt(this.data[i][this.data[i].length - 1])}`)
      .join(', ');
    this.svg.setAttribute('aria-label', `${this.svg.dataset.title}: ${last} ${this.unit}`);
    this.svg.dataset.points = this.data[0].length;
  }
}

function fmt(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function setUpServer(ui) {
  const $ = (id) => document.getElementById(id);
  const charts = {
    latency: new Chart($('chart-latency'), [{ name: 'p50' }, { name: 'p99' }], 'ms'),
    steps: new Chart(
      $('chart-steps'),
      [{ name: 'encode' }, { name: 'LM' }, { name: 'decode' }, { name: 'step' }],
      'ms',
    ),
    batch: new Chart($('chart-batch'), [{ name: 'dialogue' }, { name: 'transcription' }, { name: 'speech' }], 'sessions'),
    misses: new Chart($('chart-misses'), [{ name: 'dialogue' }, { name: 'transcription' }], 'per s'),
  };
  let previous = null;
  let timer = null;

  const delta = (now, before, key) => {
    if (!now || !before) return null;
    const dc = now.count - before.count;
    return dc > 0 ? (now.sum - before.sum) / dc : null;
  };

  async function poll() {
    let s;
    try {
      s = await getJson('/api/status');
      ui.clearError('server');
    } catch (e) {
      ui.error('server', e instanceof KeyError ? 'the API key was not accepted' : e.message);
      return;
    }
    ui.statusArrived(s);
    renderModels(s);
    renderSessions(s);
    const t = performance.now();
    const eng = s.engines || {};
    const d = eng.dialogue;
    charts.latency.add([s.frame_latency_ms?.p50, s.frame_latency_ms?.p99]);
    if (previous) {
      const pd = previous.s.engines?.dialogue;
      const st = d?.stage_ms;
      const pst = pd?.stage_ms;
      charts.steps.add([
        delta(st?.mimi_encode, pst?.mimi_encode),
        delta(st?.lm, pst?.lm),
        delta(st?.mimi_decode, pst?.mimi_decode),
        delta(st?.step, pst?.step),
      ]);
      // No step in the interval: a batch of 0 (idle); an engine not hosted: no line.
      charts.batch.add(
        ['dialogue', 'transcription', 'speech'].map((k) =>
          eng[k] ? (delta(eng[k].batch_size, previous.s.engines?.[k]?.batch_size) ?? 0) : null,
        ),
      );
      const secs = (t - previous.t) / 1000;
      charts.misses.add(
        ['dialogue', 'transcription'].map((k) =>
          eng[k] && previous.s.engines?.[k]
            ? (eng[k].deadline_misses - previous.s.engines[k].deadline_misses) / secs
            : null,
        ),
      );
    }
    $('server-misses').textContent = d ? d.deadline_misses : '–';
    previous = { s, t };
  }

  function renderModels(s) {
    const body = $('server-models');
    body.replaceChildren(
      ...s.models.map((m) => {
        const tr = document.createElement('tr');
        [m.name, m.kind, m.device, m.demo ? 'yes (random weights)' : 'no'].forEach((v) => {
          const td = document.createElement('td');
          td.textContent = v;
          tr.append(td);
        });
        return tr;
      }),
    );
  }

  function renderSessions(s) {
    const list = $('server-sessions');
    list.replaceChildren(
      ...Object.entries(s.engines).map(([name, e]) => {
        const li = document.createElement('li');
        const label = document.createElement('span');
        label.textContent = `${name}: ${e.sessions_live} / ${e.capacity}`;
        label.dataset.engine = name;
        label.dataset.live = e.sessions_live;
        const meter = document.createElement('meter');
        meter.min = 0;
        meter.max = e.capacity;
        meter.value = e.sessions_live;
        meter.setAttribute('aria-label', `${name} sessions`);
        li.append(label, meter);
        return li;
      }),
    );
  }

  return {
    shown() {
      if (!timer) {
        poll();
        timer = setInterval(poll, 1000);
      }
    },
    hidden() {
      clearInterval(timer);
      timer = null;
    },
  };
}
