// Audio plumbing shared by the tabs: a 24 kHz AudioContext (the models' rate, so the browser
// resamples the microphone and the speakers), the microphone through a capture worklet, and the
// jitter-buffered player worklet.

export const SAMPLE_RATE = 24000;

export async function audioContext() {
  const ctx = new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: 'interactive' });
  await ctx.audioWorklet.addModule(new URL('./worklets.js', import.meta.url));
  if (ctx.state === 'suspended') await ctx.resume();
  return ctx;
}

/** The microphone (echo cancellation on): calls onSamples(Float32Array) per render quantum. */
export async function openMicrophone(ctx, onSamples) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new Error('this browser gives no microphone access here (it needs https or localhost)');
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
  });
  const source = ctx.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(ctx, 'parley-capture', { numberOfOutputs: 0 });
  node.port.onmessage = (e) => onSamples(e.data);
  source.connect(node);
  return {
    close() {
      node.port.onmessage = null;
      source.disconnect();
      node.disconnect();
      stream.getTracks().forEach((t) => t.stop());
    },
  };
}

/**
 * A player node: push(Float32Array), end(), and onReport({played, missed, dropped, buffered,
 * level}). Past `maxSeconds` queued the oldest audio is dropped (a live call must not lag).
 */
export function player(ctx, onReport, startSeconds = 0.12, maxSeconds = 4) {
  const node = new AudioWorkletNode(ctx, 'parley-player', {
    numberOfInputs: 0,
    outputChannelCount: [1],
    processorOptions: { startSeconds, maxSeconds },
  });
  node.connect(ctx.destination);
  node.port.onmessage = (e) => onReport(e.data);
  return {
    push(samples) {
      node.port.postMessage(samples, [samples.buffer]);
    },
    end() {
      node.port.postMessage({ type: 'end' });
    },
    reset() {
      node.port.postMessage({ type: 'reset' });
    },
    close() {
      node.port.onmessage = null;
      node.disconnect();
    },
  };
}

/** Root mean square of a block, as a 0..1 meter value (−60 dB .. 0 dB). */
export function meterValue(rms) {
  if (!(rms > 0)) return 0;
  const db = 20 * Math.log10(rms);
  return Math.max(0, Math.min(1, (db + 60) / 60));
}

export function rms(samples) {
  let s = 0;
  for (let i = 0; i < samples.length; i++) s += samples[i] * samples[i];
  return samples.length ? Math.sqrt(s / samples.length) : 0;
}

/** Linear resampling (only used if a decoder hands out another rate than asked). */
export function resample(samples, from, to) {
  if (from === to) return samples;
  const n = Math.floor((samples.length * to) / from);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = (i * from) / to;
    const j = Math.floor(x);
    const f = x - j;
    out[i] = (samples[j] ?? 0) * (1 - f) + (samples[j + 1] ?? samples[j] ?? 0) * f;
  }
  return out;
}
