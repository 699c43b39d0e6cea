// Transcribe: the microphone or a file, as 80 ms blocks of 24 kHz float samples in MessagePack
// `Audio{pcm}` messages, to /api/asr-streaming (moshi-server's protocol). Words arrive as
// `Word{text, start_time}` and `EndWord{stop_time}`; `Step{prs}` carries the pause heads' view.
// At the end the page sends a `Marker`, then silence until the marker comes back (so every word
// has been heard), and closes.

import { socketUrl, closeReason } from './api.js';
import { SAMPLE_RATE, audioContext, openMicrophone, meterValue, rms } from './audio.js';
import { encode, decode } from './msgpack.js';
import { srt, vtt, download } from './files.js';

const BLOCK = 1920; // one 80 ms model frame

export function setUpTranscribe(ui) {
  const $ = (id) => document.getElementById(id);
  const micButton = $('asr-mic');
  const fileInput = $('asr-file');
  const drop = $('asr-drop');
  const wordsBox = $('asr-words');
  const state = $('asr-state');
  const pause = $('asr-pause');
  const meter = $('asr-level');
  let words = [];
  let run = null;

  const setState = (s) => {
    state.textContent = s;
    state.dataset.state = s;
  };

  function render() {
    wordsBox.replaceChildren(
      ...words.map((w) => {
        const span = document.createElement('span');
        span.className = 'word';
        span.dataset.start = w.start;
        span.title = `${w.start.toFixed(2)} s${w.end !== undefined ? ' – ' + w.end.toFixed(2) + ' s' : ''}`;
        const t = document.createElement('small');
        t.textContent = w.start.toFixed(2);
        span.append(t, document.createTextNode(' ' + w.text));
        return span;
      }),
    );
    const empty = words.length === 0;
    for (const b of document.querySelectorAll('.asr-export')) b.disabled = empty;
  }

  async function connect(stopped) {
    if (!(await ui.ensureKey())) return null;
    words = [];
    render();
    ui.clearError('asr');
    const ws = new WebSocket(socketUrl('/api/asr-streaming'));
    ws.binaryType = 'arraybuffer';
    let ready;
    const readyP = new Promise((r) => (ready = r));
    let markerBack;
    const markerP = new Promise((r) => (markerBack = r));
    let lastWordAt = 0;
    let streamSeconds = 0;
    ws.onmessage = (e) => {
      let m;
      try {
        m = decode(new Uint8Array(e.data));
      } catch (err) {
        ui.error('asr', 'unreadable message from the server: ' + err.message);
        return;
      }
      switch (m.type) {
        case 'Ready':
          ready(true);
          break;
        case 'Word':
          words.push({ text: m.text, start: m.start_time });
          lastWordAt = m.start_time;
          pause.textContent = 'speaking';
          pause.dataset.state = 'speaking';
          render();
          break;
        case 'EndWord':
          if (words.length) words[words.length - 1].end = m.stop_time;
          render();
          break;
        case 'Step':
          streamSeconds = ((m.step_idx ?? 0) * BLOCK) / SAMPLE_RATE;
          if (Array.isArray(m.prs) && m.prs.length > 2 && m.prs[2] > 0.5) {
            pause.textContent = 'end of turn';
            pause.dataset.state = 'end-of-turn';
          } else if (words.length && streamSeconds - lastWordAt > 1.5) {
            pause.textContent = 'pause';
            pause.dataset.state = 'pause';
          }
          break;
        case 'Marker':
          markerBack(true);
          break;
        case 'Error':
          ui.error('asr', 'server: ' + m.message);
          break;
      }
    };
    ws.onclose = (e) => {
      const why = closeReason(e);
      if (why) ui.error('asr', why);
      ready(false);
      markerBack(false);
      stopped();
    };
    await new Promise((res, rej) => {
      ws.onopen = res;
      ws.onerror = () => rej(new Error('could not connect to /api/asr-streaming'));
    });
    if (!(await readyP)) throw new Error('the server did not start a transcription');
    const sendBlock = (pcm) => ws.send(encode({ type: 'Audio', pcm }));
    return {
      ws,
      sendBlock,
      async finish() {
        // moshi-server's rule: a marker comes back once every sample before it is transcribed,
        // which takes the model's delay of further audio; so mark the end, then send silence
        // until the marker returns (at most a minute of it).
        let back = false;
        markerP.then(() => (back = true));
        ws.send(encode({ type: 'Marker', id: 1 }));
        const silence = new Float32Array(BLOCK);
        for (let i = 0; i < 750 && !back && ws.readyState === WebSocket.OPEN; i++) {
          sendBlock(silence);
          await new Promise((r) => setTimeout(r, 40));
          while (!back && ws.bufferedAmount > 1 << 16) await new Promise((r) => setTimeout(r, 20));
        }
        if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      },
    };
  }

  micButton.addEventListener('click', async () => {
    if (run) {
      run.stop();
      return;
    }
    micButton.disabled = true;
    try {
      const ctx = await audioContext();
      let pending = new Float32Array(0);
      let mic = null;
      let ending = false;
      const conn = await connect(() => {
        if (mic) mic.close();
        ctx.close();
        run = null;
        micButton.textContent = 'Transcribe microphone';
        micButton.setAttribute('aria-pressed', 'false');
        setState('idle');
      });
      if (!conn) {
        ctx.close();
        return;
      }
      mic = await openMicrophone(ctx, (samples) => {
        if (ending || conn.ws.readyState !== WebSocket.OPEN) return;
        meter.value = meterValue(rms(samples));
        const merged = new Float32Array(pending.length + samples.length);
        merged.set(pending);
        merged.set(samples, pending.length);
        let at = 0;
        for (; merged.length - at >= BLOCK; at += BLOCK) conn.sendBlock(merged.slice(at, at + BLOCK));
        pending = merged.slice(at);
      });
      setState('listening');
      micButton.textContent = 'Stop';
      micButton.setAttribute('aria-pressed', 'true');
      run = {
        stop() {
          ending = true;
          setState('finishing');
          conn.finish();
        },
      };
    } catch (e) {
      ui.error('asr', e.message || String(e));
    } finally {
      micButton.disabled = false;
    }
  });

  async function transcribeFile(file) {
    if (run) return;
    run = { stop() {} };
    setState('reading file');
    try {
      const ctx = new OfflineAudioContext(1, SAMPLE_RATE, SAMPLE_RATE);
      let audio;
      try {
        audio = await ctx.decodeAudioData(await file.arrayBuffer());
      } catch (e) {
        throw new Error(`${file.name}: this browser cannot decode it (${e.message || e})`);
      }
      const pcm = audio.getChannelData(0); // resampled to 24 kHz by decodeAudioData
      const conn = await connect(() => {
        run = null;
        setState('idle');
      });
      if (!conn) {
        run = null;
        setState('idle');
        return;
      }
      setState('sending file');
      for (let at = 0; at < pcm.length && conn.ws.readyState === WebSocket.OPEN; at += BLOCK) {
        const block = new Float32Array(BLOCK);
        block.set(pcm.subarray(at, Math.min(at + BLOCK, pcm.length)));
        conn.sendBlock(block);
        while (conn.ws.bufferedAmount > 1 << 18) await new Promise((r) => setTimeout(r, 20));
      }
      setState('finishing');
      await conn.finish();
    } catch (e) {
      ui.error('asr', e.message || String(e));
      run = null;
      setState('idle');
    }
  }

  fileInput.addEventListener('change', () => {
    if (fileInput.files[0]) transcribeFile(fileInput.files[0]);
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files[0]) transcribeFile(e.dataTransfer.files[0]);
  });

  const plain = () => words.map((w) => w.text).join(' ');
  $('asr-copy').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(plain());
      ui.say('asr', 'copied');
    } catch (e) {
      ui.error('asr', 'could not copy: ' + e.message);
    }
  });
  $('asr-txt').addEventListener('click', () => download('transcript.txt', plain() + '\n'));
  $('asr-srt').addEventListener('click', () => download('transcript.srt', srt(words), 'application/x-subrip'));
  $('asr-vtt').addEventListener('click', () => download('transcript.vtt', vtt(words), 'text/vtt'));
  $('asr-json').addEventListener('click', () =>
    download('transcript.json', JSON.stringify({ words }, null, 2), 'application/json'),
  );
  render();
}
