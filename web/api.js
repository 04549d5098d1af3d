// SPDX-License-Identifier: GPL-3.0-or-later
// The API of this origin as a guest: one guest session, an Idempotency-Key
// on every write, and the retries the API allows (docs/api.md).

const BASE = new URL('../api/v1/', import.meta.url).pathname;
const TOKEN_KEY = 'leap-shop-token';
const RETRIES = 4;

export class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

// crypto.randomUUID () needs a secure context; a demo may run on plain HTTP.
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The server's clock minus ours, from the Date header: a hold's expires_at
// is by the server's clock.
export let clockSkew = 0;

async function send(method, path, { body, token, key } = {}) {
  const headers = { Accept: 'application/json' };
  if (token)
    headers.Authorization = `Bearer ${token}`;
  if (key)
    headers['Idempotency-Key'] = key;
  if (body !== undefined)
    headers['Content-Type'] = 'application/json';
  // A write keeps its key through every retry, so it runs at most once.
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      response = await fetch(BASE + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (e) {
      if (attempt < RETRIES) {
        await sleep(500 * 2 ** attempt);
        continue;
      }
      throw new ApiError(0, 'offline', e.message);
    }
    const date = Date.parse(response.headers.get('Date') ?? '');
    if (!Number.isNaN(date))
      clockSkew = date - Date.now();
    const retryAfter = Number(response.headers.get('Retry-After') ?? '1');
    if ((response.status === 503 || response.status === 429 ||
         (response.status === 409 && response.headers.has('Retry-After'))) &&
        attempt < RETRIES && retryAfter <= 5) {
      await sleep(Math.max(retryAfter, 1) * 1000);
      continue;
    }
    if (response.status === 204)
      return null;
    if (path.endsWith('.pdf') && response.ok)
      return response.blob();
    let json = null;
    try {
      json = await response.json();
    } catch {
      // An answer from something in between (a proxy), not the API.
    }
    if (!response.ok) {
      const { code = 'internal', message = response.statusText, ...extra } = json?.error ?? {};
      throw new ApiError(response.status, code, message, extra);
    }
    return json;
  }
}

export class Api {
  constructor() {
    this.token = sessionStorage.getItem(TOKEN_KEY);
  }

  async session() {
    if (this.token)
      return this.token;
    const answer = await send('POST', 'sessions', { body: { guest: true }, key: newKey() });
    this.token = answer.token;
    sessionStorage.setItem(TOKEN_KEY, this.token);
    return this.token;
  }

  // A call that needs the session; a session that expired is opened again once.
  async #signed(method, path, options = {}) {
    await this.session();
    try {
      return await send(method, path, { ...options, token: this.token });
    } catch (e) {
      if (e.code !== 'unauthorized')
        throw e;
      sessionStorage.removeItem(TOKEN_KEY);
      this.token = null;
      await this.session();
      return send(method, path, { ...options, token: this.token });
    }
  }

  // The next 100 events (the API takes whole seconds).
  events() {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return send('GET', `events?from=${encodeURIComponent(now)}&limit=100`);
  }

  event(id) {
    return send('GET', `events/${id}`);
  }

  venue(id) {
    return send('GET', `venues/${id}`);
  }

  availability(id) {
    return send('GET', `events/${id}/availability`);
  }

  hold(eventId, items, key) {
    return this.#signed('POST', 'holds', { body: { event_id: eventId, items }, key });
  }

  getHold(id) {
    return this.#signed('GET', `holds/${encodeURIComponent(id)}`);
  }

  release(id) {
    return this.#signed('DELETE', `holds/${encodeURIComponent(id)}`, { key: newKey() });
  }

  order(holdId, customer, key) {
    return this.#signed('POST', 'orders', {
      body: { hold_id: holdId, payment: { method: 'card' }, customer },
      key,
    });
  }

  getOrder(id) {
    return this.#signed('GET', `orders/${encodeURIComponent(id)}`);
  }

  ticketsPdf(id) {
    return this.#signed('GET', `orders/${encodeURIComponent(id)}/tickets.pdf`);
  }
}
