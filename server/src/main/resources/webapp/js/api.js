// How the page reaches the server: the API key (asked once, kept for this tab), JSON over fetch
// with `Authorization: Bearer`, and WebSocket URLs with `auth_id` (browsers cannot set headers on
// a WebSocket).

const KEY_STORE = 'parley-api-key';

export class KeyError extends Error {}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORE) || '';
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORE, key);
  else sessionStorage.removeItem(KEY_STORE);
}

/** GET a JSON endpoint; a 401 throws KeyError, other failures an Error with the server's text. */
export async function getJson(path) {
  const headers = {};
  if (apiKey()) headers.Authorization = 'Bearer ' + apiKey();
  const res = await fetch(path, { headers, cache: 'no-store' });
  if (res.status === 401) throw new KeyError((await res.text()).trim());
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${(await res.text()).trim()}`);
  return res.json();
}

/** The ws:// or wss:// URL of `path` on this server, with the query and the key. */
export function socketUrl(path, params = {}) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  if (apiKey()) url.searchParams.set('auth_id', apiKey());
  return url.toString();
}

/** Why a WebSocket closed, in words for a person. */
export function closeReason(event) {
  if (event.code === 1000 || event.code === 1005) return '';
  if (event.reason) return `${event.reason} (code ${event.code})`;
  if (event.code === 1006) {
    return 'the connection was refused or dropped (is the server running, is the model hosted, is the key right?)';
  }
  return `closed with code ${event.code}`;
}
