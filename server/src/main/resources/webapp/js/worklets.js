// AudioWorklet processors (run on the audio thread).

// Microphone capture: hands every render quantum to the page, with its level.
class CaptureProcessor extends AudioWorkletProcessor {
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch && ch.length) {
      this.port.postMessage(ch.slice(0));
    }
    return true;
  }
}

// Player with a jitter buffer: starts once `startSeconds` are queued, plays silence (counted as
// missed) when it runs dry, and waits for the buffer again. Reports what it played.
class PlayerProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = (options && options.processorOptions) || {};
    this.start = Math.round((o.startSeconds ?? 0.12) * sampleRate);
    this.max = Math.round((o.maxSeconds ?? 4) * sampleRate);
    this.queue = [];
    this.offset = 0; // read position in queue[0]
    this.queued = 0;
    this.playing = false;
    this.played = 0;
    this.missed = 0;
    this.dropped = 0;
    this.everPlayed = false;
    this.ended = false;
    this.sumSq = 0;
    this.sinceReport = 0;
    this.port.onmessage = (e) => {
      const m = e.data;
      if (m instanceof Float32Array) {
        this.queue.push(m);
        this.queued += m.length;
        while (this.queued > this.max && this.queue.length > 1) {
          const old = this.queue.shift();
          this.queued -= old.length - this.offset;
          this.dropped += old.length - this.offset;
          this.offset = 0;
        }
      } else if (m && m.type === 'end') {
        this.ended = true; // play out what is left without waiting for the buffer to fill
      } else if (m && m.type === 'reset') {
        this.queue = [];
        this.queued = 0;
        this.offset = 0;
        this.playing = false;
        this.ended = false;
      }
    };
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    if (!this.playing && (this.queued >= this.start || (this.ended && this.queued > 0))) {
      this.playing = true;
    }
    let i = 0;
    if (this.playing) {
      while (i < out.length && this.queue.length) {
        const head = this.queue[0];
        const n = Math.min(out.length - i, head.length - this.offset);
        out.set(head.subarray(this.offset, this.offset + n), i);
        for (let k = i; k < i + n; k++) this.sumSq += out[k] * out[k];
        i += n;
        this.offset += n;
        this.queued -= n;
        if (this.offset >= head.length) {
          this.queue.shift();
          this.offset = 0;
        }
      }
      this.played += i;
      if (i > 0) this.everPlayed = true;
      if (i < out.length) {
        if (!this.ended) this.missed += out.length - i; // ran dry mid-stream
        this.playing = false;
      }
    }
    out.fill(0, i);
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    this.sinceReport += out.length;
    if (this.sinceReport >= sampleRate / 20) {
      this.port.postMessage({
        played: this.played / sampleRate,
        missed: this.missed / sampleRate,
        dropped: this.dropped / sampleRate,
        buffered: this.queued / sampleRate,
        level: Math.sqrt(this.sumSq / this.sinceReport),
      });
      this.sumSq = 0;
      this.sinceReport = 0;
    }
    return true;
  }
}

registerProcessor('parley-capture', CaptureProcessor);
registerProcessor('parley-player', PlayerProcessor);
