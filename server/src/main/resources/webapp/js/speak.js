// Speak: text to /api/tts_streaming (moshi-server's streaming TTS) with format=PcmMessagePack.
// The page sends `Text{text}` messages (all at once, or word by word as they are typed) and `Eos`;
// the server answers `Ready`, `Audio{pcm}` (24 kHz floats) and `Text{text, start_s, stop_s}` per
// spoken word, and closes once the last word is spoken.

import { socketUrl, closeReason } from './api.js';
import { SAMPLE_RATE, audioContext, player } from './audio.js';
import { encode, decode } from './msgpack.js';
import { wav16, download } from './files.js';

export function setUpSpeak(ui) {
  const $ = (id) => document.getElementById(id);
  const input = $('tts-text');
  const voice = $('tts-voice');
  const speakAll = $('tts-speak');
  const live = $('tts-live');
  const wordsBox = $('tts-words');
  const firstAudio = $('tts-first-audio');
  const played = $('tts-played');
  const wavButton = $('tts-wav');
  let session = null;
  let audio = [];
  let words = [];
  let typedSent = 0; // characters of the box already sent while streaming

  let current = -1; // the word being spoken

  function addWord(w) {
    const span = document.createElement('span');
    span.className = 'word';
    span.dataset.index = words.length;
    span.textContent = w.text;
    span.dataset.start = w.start;
    span.dataset.stop = w.stop;
    span.title = `${w.start.toFixed(2)} – ${w.stop.toFixed(2)} s`;
    words.push(w);
    wordsBox.append(span);
  }

  // The word whose time span holds the played position is highlighted; each change of word is
  // recorded in data-order so the order can be checked.
  function highlight(seconds) {
    let now = -1;
    words.forEach((w, i) => {
      if (seconds >= w.start && seconds < Math.max(w.stop, w.start + 0.05)) now = i;
    });
    if (now === current) return;
    const spans = wordsBox.children;
    if (current >= 0 && spans[current]) {
      spans[current].classList.remove('spoken-now');
      spans[current].classList.add('spoken');
    }
    current = now;
    if (now >= 0 && spans[now]) {
      spans[now].classList.add('spoken-now');
      wordsBox.dataset.order = (wordsBox.dataset.order ? wordsBox.dataset.order + ',' : '') + now;
    }
  }

  async function open() {
    if (!(await ui.ensureKey())) return null;
    ui.clearError('tts');
    audio = [];
    words = [];
    current = -1;
    wordsBox.replaceChildren();
    wordsBox.dataset.order = '';
    firstAudio.textContent = '–';
    played.textContent = '0.00';
    played.dataset.seconds = 0;
    delete played.dataset.done;
    wavButton.disabled = true;
    const ctx = await audioContext();
    let startedAt = 0;
    let total = 0;
    // Synthesis runs faster than real time: queue all of it (an hour at most), drop nothing.
    const out = player(ctx, (r) => {
      played.textContent = r.played.toFixed(2);
      played.dataset.seconds = r.played;
      highlight(r.played);
      if (s.closed && r.buffered === 0 && r.played * SAMPLE_RATE >= total - 1 && !played.dataset.done) {
        played.dataset.done = 'true';
        setTimeout(() => ctx.close(), 200);
      }
    }, 0.12, 3600);
    const ws = new WebSocket(
      socketUrl('/api/tts_streaming', { format: 'PcmMessagePack', voice: voice.value }),
    );
    ws.binaryType = 'arraybuffer';
    const s = {
      ws,
      closed: false,
      text(t) {
        if (!startedAt) startedAt = performance.now();
        ws.send(encode({ type: 'Text', text: t }));
      },
      end() {
        ws.send(encode({ type: 'Eos' }));
      },
    };
    ws.onmessage = (e) => {
      let m;
      try {
        m = decode(new Uint8Array(e.data));
      } catch (err) {
        ui.error('tts', 'unreadable message from the server: ' + err.message);
        return;
      }
      if (m.type === 'Audio') {
        const pcm = Float32Array.from(m.pcm);
        if (!audio.length && startedAt) {
          const ms = performance.now() - startedAt;
          firstAudio.textContent = Math.round(ms);
          firstAudio.dataset.ms = ms;
        }
        audio.push(pcm.slice());
        total += pcm.length;
        out.push(pcm);
      } else if (m.type === 'Text') {
        addWord({ text: m.text, start: m.start_s, stop: m.stop_s });
      } else if (m.type === 'Error') {
        ui.error('tts', 'server: ' + m.message);
      }
    };
    ws.onclose = (e) => {
      s.closed = true;
      out.end();
      const why = closeReason(e);
      if (why) ui.error('tts', why);
      wavButton.disabled = audio.length === 0;
      session = null;
      live.checked = false;
      speakAll.disabled = false;
    };
    await new Promise((res, rej) => {
      ws.onopen = res;
      ws.onerror = () => rej(new Error('could not connect to /api/tts_streaming'));
    });
    return s;
  }

  speakAll.addEventListener('click', async () => {
    const text = input.value.trim();
    if (!text) {
      ui.error('tts', 'type some text first');
      input.focus();
      return;
    }
    speakAll.disabled = true;
    try {
      session = await open();
      if (!session) return;
      session.text(text);
      session.end();
    } catch (e) {
      ui.error('tts', e.message || String(e));
      speakAll.disabled = false;
    }
  });

  // Streaming as typed: each finished word (followed by a space) goes out at once.
  live.addEventListener('change', async () => {
    if (live.checked) {
      try {
        session = await open();
        if (!session) {
          live.checked = false;
          return;
        }
        typedSent = 0;
        sendTyped(false);
      } catch (e) {
        ui.error('tts', e.message || String(e));
        live.checked = false;
      }
    } else if (session) {
      sendTyped(true);
      session.end();
    }
  });
  input.addEventListener('input', () => {
    if (session && live.checked) sendTyped(false);
  });
  function sendTyped(all) {
    const value = input.value;
    const upTo = all ? value.length : value.lastIndexOf(' ') + 1;
    if (upTo > typedSent) {
      const piece = value.slice(typedSent, upTo).trim();
      typedSent = upTo;
      if (piece) session.text(piece);
    }
  }

  wavButton.addEventListener('click', () => {
    const n = audio.reduce((k, a) => k + a.length, 0);
    const all = new Float32Array(n);
    let o = 0;
    for (const a of audio) {
      all.set(a, o);
      o += a.length;
    }
    download('speech.wav', wav16(all, SAMPLE_RATE));
  });

  return {
    voices(list, dflt) {
      if (!list || voice.options.length) return;
      for (const v of list) {
        const o = document.createElement('option');
        o.value = v;
        o.textContent = v;
        if (v === dflt) o.selected = true;
        voice.append(o);
      }
    },
  };
}
