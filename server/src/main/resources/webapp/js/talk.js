// Talk: full-duplex dialogue over /api/chat (Kyutai's protocol). Messages are a kind byte and a
// payload: 0 handshake, 1 Ogg Opus pages, 2 text, 4 session metadata (JSON), 5 error. The
// microphone is encoded to Opus by WebCodecs and sent as Ogg pages; the model's pages are demuxed,
// decoded by WebCodecs and played through the jitter buffer.

import { socketUrl, closeReason } from './api.js';
import { SAMPLE_RATE, audioContext, openMicrophone, player, meterValue, rms, resample } from './audio.js';
import { OggOpusMuxer, OggDemuxer, isOpusHeader, opusPacketSamples48k } from './ogg.js';

const FRAME_SAMPLES = 480; // 20 ms Opus frames at 24 kHz

export function hasWebCodecs() {
  return typeof AudioEncoder === 'function' && typeof AudioDecoder === 'function';
}

export function setUpTalk(ui) {
  const $ = (id) => document.getElementById(id);
  const button = $('talk-connect');
  const state = $('talk-state');
  const text = $('talk-text');
  const stats = {
    sent: $('talk-pages-out'),
    received: $('talk-pages-in'),
    played: $('talk-played'),
    missed: $('talk-missed'),
    latency: $('talk-latency'),
    buffer: $('talk-buffer'),
  };
  const micMeter = $('talk-mic-level');
  const modelMeter = $('talk-model-level');
  let call = null;

  if (!hasWebCodecs()) {
    $('talk-unsupported').hidden = false;
    button.disabled = true;
  }

  const show = (s, busy = false) => {
    state.textContent = s;
    state.dataset.state = busy ? 'busy' : s;
  };

  button.addEventListener('click', async () => {
    if (call) {
      call.stop('');
      return;
    }
    ui.clearError('talk');
    text.textContent = '';
    Object.values(stats).forEach((e) => (e.textContent = '0'));
    button.disabled = true;
    try {
      if (!(await ui.ensureKey())) return;
      call = await startCall();
    } catch (e) {
      ui.error('talk', e.message || String(e));
      if (call) call.stop(e.message);
      call = null;
      show('disconnected');
    } finally {
      button.disabled = !hasWebCodecs();
    }
  });

  async function startCall() {
    show('connecting', true);
    const decoderConfig = { codec: 'opus', sampleRate: SAMPLE_RATE, numberOfChannels: 1 };
    if (!(await AudioDecoder.isConfigSupported(decoderConfig)).supported) {
      throw new Error('this browser cannot decode 24 kHz mono Opus with WebCodecs');
    }
    const ctx = await audioContext();
    const params = {
      text_temperature: $('talk-text-temp').value,
      text_topk: $('talk-text-topk').value,
      audio_temperature: $('talk-audio-temp').value,
      audio_topk: $('talk-audio-topk').value,
      text_seed: $('talk-seed').value,
      audio_seed: $('talk-seed').value,
    };
    if (!$('talk-prompt').hidden) {
      params.text_prompt = $('talk-prompt-text').value.trim();
      params.voice_prompt = $('talk-voice').value;
    }
    const ws = new WebSocket(socketUrl('/api/chat', params));
    ws.binaryType = 'arraybuffer';
    let mic = null;
    let encoder = null;
    let decoder = null;
    let out = null;
    let stopped = false;
    let handshake = false;
    let pagesOut = 0;
    let pagesIn = 0;
    let inputSamples = 0; // sent so far
    const sentAt = []; // [inputSamples, time] per page sent, for round-trip latency
    let outputSamples = 0; // decoded so far
    let pending = new Float32Array(0);
    let timestamp = 0;
    let decodeTimestamp = 0;
    const muxer = new OggOpusMuxer(SAMPLE_RATE);

    const playerNode = player(ctx, (r) => {
      stats.played.textContent = r.played.toFixed(2);
      stats.played.dataset.seconds = r.played;
      stats.missed.textContent = r.missed.toFixed(2);
      stats.missed.dataset.seconds = r.missed;
      stats.buffer.textContent = Math.round(r.buffered * 1000);
      modelMeter.value = meterValue(r.level);
    });

    const send = (page) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const msg = new Uint8Array(page.length + 1);
      msg[0] = 1;
      msg.set(page, 1);
      ws.send(msg);
      pagesOut++;
      stats.sent.textContent = pagesOut;
    };

    const stop = (reason) => {
      if (stopped) return;
      stopped = true;
      if (mic) mic.close();
      try { if (encoder && encoder.state !== 'closed') encoder.close(); } catch (_) {}
      try { if (decoder && decoder.state !== 'closed') decoder.close(); } catch (_) {}
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
      playerNode.close();
      ctx.close();
      call = null;
      button.textContent = 'Talk';
      button.setAttribute('aria-pressed', 'false');
      show('disconnected');
      if (reason) ui.error('talk', reason);
    };

    decoder = new AudioDecoder({
      output: (data) => {
        const n = data.numberOfFrames;
        let pcm = new Float32Array(n);
        data.copyTo(pcm, { planeIndex: 0, format: 'f32-planar' });
        pcm = resample(pcm, data.sampleRate, SAMPLE_RATE);
        data.close();
        outputSamples += pcm.length;
        while (sentAt.length > 1 && sentAt[1][0] <= outputSamples) sentAt.shift();
        if (sentAt.length && sentAt[0][0] <= outputSamples) {
          const ms = performance.now() - sentAt[0][1];
          stats.latency.textContent = Math.round(ms);
          stats.latency.dataset.ms = ms;
        }
        playerNode.push(pcm);
      },
      error: (e) => stop('audio decoder failed: ' + e.message),
    });
    decoder.configure(decoderConfig);
    const demux = new OggDemuxer((packet) => {
      if (isOpusHeader(packet)) return;
      const samples = opusPacketSamples48k(packet);
      decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: decodeTimestamp, data: packet }));
      decodeTimestamp += (samples / 48000) * 1e6;
    });

    ws.onmessage = (e) => {
      const msg = new Uint8Array(e.data);
      if (!msg.length) return;
      const body = msg.subarray(1);
      switch (msg[0]) {
        case 0:
          if (!handshake) {
            handshake = true;
            show('connected');
            startMicrophone().catch((err) => stop(err.message || String(err)));
          }
          break;
        case 1:
          pagesIn++;
          stats.received.textContent = pagesIn;
          try {
            demux.push(body);
          } catch (err) {
            stop('bad audio from the server: ' + err.message);
          }
          break;
        case 2:
          text.textContent += new TextDecoder().decode(body);
          text.scrollTop = text.scrollHeight;
          break;
        case 4:
          try {
            const meta = JSON.parse(new TextDecoder().decode(body));
            $('talk-session').textContent = `session ${meta.session_id} · ${meta.model} · seed ${meta.seed}`;
          } catch (_) {}
          break;
        case 5:
          ui.error('talk', 'server: ' + new TextDecoder().decode(body));
          break;
      }
    };
    ws.onclose = (e) => stop(closeReason(e) || (handshake ? '' : 'the server closed the connection'));
    ws.onerror = () => {};

    async function startMicrophone() {
      encoder = new AudioEncoder({
        output: (chunk) => {
          const data = new Uint8Array(chunk.byteLength);
          chunk.copyTo(data);
          send(muxer.packet(data, opusPacketSamples48k(data)));
          sentAt.push([inputSamples, performance.now()]);
        },
        error: (e) => stop('audio encoder failed: ' + e.message),
      });
      const config = {
        codec: 'opus',
        sampleRate: SAMPLE_RATE,
        numberOfChannels: 1,
        bitrate: 32000,
        opus: { frameDuration: 20000, application: 'voip' },
      };
      if (!(await AudioEncoder.isConfigSupported(config)).supported) {
        throw new Error('this browser cannot encode 24 kHz mono Opus with WebCodecs');
      }
      encoder.configure(config);
      muxer.headers().forEach(send);
      mic = await openMicrophone(ctx, (samples) => {
        if (stopped) return;
        micMeter.value = meterValue(rms(samples));
        const merged = new Float32Array(pending.length + samples.length);
        merged.set(pending);
        merged.set(samples, pending.length);
        let at = 0;
        while (merged.length - at >= FRAME_SAMPLES) {
          const frame = merged.slice(at, at + FRAME_SAMPLES);
          at += FRAME_SAMPLES;
          const data = new AudioData({
            format: 'f32-planar',
            sampleRate: SAMPLE_RATE,
            numberOfFrames: FRAME_SAMPLES,
            numberOfChannels: 1,
            timestamp,
            data: frame,
          });
          encoder.encode(data);
          data.close(); // the encoder holds its own copy
          timestamp += (FRAME_SAMPLES / SAMPLE_RATE) * 1e6;
          inputSamples += FRAME_SAMPLES;
        }
        pending = merged.slice(at);
      });
      button.textContent = 'Disconnect';
      button.setAttribute('aria-pressed', 'true');
    }

    return { stop };
  }

  return {
    /**
     * Shows the prompt box and voice picker when the model takes prompts (/api/prompt_voices),
     * marked experimental where they are.
     */
    prompts(p) {
      const box = $('talk-prompt');
      box.hidden = !p.accepts_prompts;
      box.dataset.answered = 'true';
      if (!p.accepts_prompts) return;
      // A Moshi model takes them as an experiment.
      $('talk-prompt-experimental').hidden = !(p.prompts && p.prompts.experimental);
      $('talk-prompt-text').maxLength = p.max_text_chars;
      const picker = $('talk-voice');
      picker.replaceChildren(new Option('none', ''));
      for (const v of p.voices) picker.append(new Option(v, v));
    },
  };
}
