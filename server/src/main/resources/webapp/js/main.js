// The page: tabs, the API key dialog, messages, and what /api/status says about the server.

import { getJson, KeyError, apiKey, setApiKey } from './api.js';
import { setUpTalk } from './talk.js';
import { setUpTranscribe } from './transcribe.js';
import { setUpSpeak } from './speak.js';
import { setUpServer } from './server.js';

const $ = (id) => document.getElementById(id);
let status = null;

const ui = {
  error(area, message) {
    const box = $(area + '-error');
    box.textContent = message;
    box.hidden = !message;
  },
  clearError(area) {
    ui.error(area, '');
  },
  say(area, message) {
    const box = $(area + '-note');
    if (box) box.textContent = message;
  },
  statusArrived(s) {
    status = s;
    const services = Object.keys(s.engines || {});
    $('demo-banner').hidden = !(s.models || []).some((m) => m.demo);
    for (const [tab, service] of [
      ['talk', 'dialogue'],
      ['asr', 'transcription'],
      ['tts', 'speech'],
    ]) {
      $(tab + '-missing').hidden = services.includes(service);
    }
    speak.voices(s.voices, s.default_voice);
    if (services.includes('dialogue')) {
      getJson('/api/prompt_voices')
        .then((p) => talk.prompts(p))
        .catch((e) => ui.error('talk', e.message));
    }
    $('server-name').textContent = s.server;
  },
  /** Makes sure the server takes our key (asking for one when it needs it); false if cancelled. */
  async ensureKey() {
    for (let wrong = false; ; ) {
      try {
        ui.statusArrived(await getJson('/api/status'));
        return true;
      } catch (e) {
        if (!(e instanceof KeyError)) {
          ui.error('global', e.message);
          return true; // let the route itself say what is wrong
        }
        if (apiKey()) wrong = true;
        const key = await askKey(wrong);
        if (key === null) return false;
        setApiKey(key);
      }
    }
  },
};

function askKey(wrong) {
  const dialog = $('key-dialog');
  const input = $('key-input');
  const msg = $('key-message');
  msg.textContent = wrong
    ? 'That API key was not accepted by the server. Check it and try again.'
    : 'This server needs an API key.';
  msg.dataset.state = wrong ? 'wrong' : 'asked';
  input.value = '';
  return new Promise((resolve) => {
    const done = (value) => {
      dialog.removeEventListener('close', onClose);
      resolve(value);
    };
    const onClose = () => done(dialog.returnValue === 'ok' ? input.value.trim() : null);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    input.focus();
  });
}

// Tabs (WAI-ARIA tabs pattern: arrows move between tabs, one tab stop).
const tabs = [...document.querySelectorAll('[role="tab"]')];
const talk = setUpTalk(ui);
const transcribe = setUpTranscribe(ui);
const speak = setUpSpeak(ui);
const server = setUpServer(ui);

function select(tab, focus = true) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (focus) tab.focus();
  if (tab.id === 'tab-server') server.shown();
  else server.hidden();
  history.replaceState(null, '', '#' + tab.id.slice(4));
}

tabs.forEach((t, i) => {
  t.addEventListener('click', () => select(t));
  t.addEventListener('keydown', (e) => {
    const next = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (next) select(tabs[(i + next + tabs.length) % tabs.length]);
    if (e.key === 'Home') select(tabs[0]);
    if (e.key === 'End') select(tabs[tabs.length - 1]);
  });
});
select($('tab-' + (location.hash.slice(1) || 'talk')) || tabs[0], false);

// A first look at the server; a keyed server asks for its key right away.
ui.ensureKey();
void talk;
void transcribe;
