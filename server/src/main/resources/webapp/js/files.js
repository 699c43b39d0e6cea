// Files the page hands to the person: WAV, subtitles, text, JSON.

export function wav16(samples, sampleRate) {
  const data = new DataView(new ArrayBuffer(44 + samples.length * 2));
  const ascii = (o, s) => [...s].forEach((c, i) => data.setUint8(o + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  data.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  data.setUint32(16, 16, true);
  data.setUint16(20, 1, true); // PCM
  data.setUint16(22, 1, true); // mono
  data.setUint32(24, sampleRate, true);
  data.setUint32(28, sampleRate * 2, true);
  data.setUint16(32, 2, true);
  data.setUint16(34, 16, true);
  ascii(36, 'data');
  data.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    data.setInt16(44 + i * 2, Math.round(s * 32767), true);
  }
  return new Blob([data.buffer], { type: 'audio/wav' });
}

function stamp(seconds, sep) {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3600000);
  const m = Math.floor(ms / 60000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
}

/** Words grouped into cues of at most `per` words or a pause of 1 s. */
export function cues(words, per = 8) {
  const out = [];
  let cur = null;
  for (const w of words) {
    const end = w.end ?? w.start;
    if (!cur || cur.words.length >= per || w.start - cur.end > 1) {
      cur = { start: w.start, end, words: [] };
      out.push(cur);
    }
    cur.words.push(w.text);
    cur.end = Math.max(cur.end, end, w.start + 0.01);
  }
  return out;
}

export function srt(words) {
  return cues(words)
    .map((c, i) => `${i + 1}\n${stamp(c.start, ',')} --> ${stamp(c.end, ',')}\n${c.words.join(' ')}\n`)
    .join('\n');
}

export function vtt(words) {
  return (
    'WEBVTT\n\n' +
    cues(words)
      .map((c) => `${stamp(c.start, '.')} --> ${stamp(c.end, '.')}\n${c.words.join(' ')}\n`)
      .join('\n')
  );
}

export function download(name, blobOrText, type = 'text/plain') {
  const blob = blobOrText instanceof Blob ? blobOrText : new Blob([blobOrText], { type });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
