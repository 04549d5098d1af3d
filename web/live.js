// SPDX-License-Identifier: GPL-3.0-or-later
// /api/v1/live: tiers' availability and an order's result, pushed. The
// socket comes back by itself after a drop and subscribes again.

export class Live {
  constructor(onAvailability, onOrder) {
    this.onAvailability = onAvailability;
    this.onOrder = onOrder;
    this.events = new Set();
    this.orders = new Map(); // order id -> session token
    this.delay = 500;
    this.socket = null;
  }

  #url() {
    const url = new URL('../api/v1/live', import.meta.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.href;
  }

  #connect() {
    if (this.socket)
      return;
    const socket = new WebSocket(this.#url());
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.delay = 500;
      if (this.events.size > 0)
        socket.send(JSON.stringify({ subscribe: [...this.events] }));
      for (const [order, token] of this.orders)
        socket.send(JSON.stringify({ subscribe: { order }, token }));
    });
    socket.addEventListener('message', (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data.type === 'order')
        this.onOrder(data);
      else if (data.tier_id !== undefined)
        this.onAvailability(data);
    });
    socket.addEventListener('close', () => {
      this.socket = null;
      if (this.events.size === 0 && this.orders.size === 0)
        return;
      setTimeout(() => this.#connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  #send(message) {
    if (this.socket?.readyState === WebSocket.OPEN)
      this.socket.send(JSON.stringify(message));
    else
      this.#connect();
  }

  watchEvent(id) {
    for (const old of this.events)
      if (old !== id)
        this.#send({ unsubscribe: [old] });
    this.events = new Set([id]);
    this.#send({ subscribe: [id] });
  }

  watchOrder(order, token) {
    this.orders.set(order, token);
    this.#send({ subscribe: { order }, token });
  }
}
