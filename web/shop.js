// SPDX-License-Identifier: GPL-3.0-or-later
// The reference web shop: events on sale, an event's tiers with live
// availability, a held cart with its countdown, the buyer, card payment,
// and the order with its tickets. Views are drawn from the hash
// (#/event/1, #/order/o-…) so that the browser's back button works.

import { Api, ApiError, clockSkew, newKey } from './api.js';
import { Live } from './live.js';
import { _, formatCountdown, formatDate, formatPrice, language, load } from './i18n.js';
import qrcode from './vendor/qrcode-generator/qrcode.mjs';

const api = new Api();
const view = document.getElementById('view');
const messageBox = document.getElementById('message');
const statusLine = document.getElementById('status');
const announcer = document.getElementById('announce');

const state = {
  event: null,     // the event shown, with its tiers and venue
  available: new Map(), // tier id -> tickets left
  hold: null,      // the cart
  orderKey: null,  // Idempotency-Key of the cart's order: one per hold, kept through retries
  timer: 0,
  orderWait: null, // resolves the order's result
  message: null,   // said on the next view
};

// h('p', {class: 'meta'}, 'text', child…)
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined)
      continue;
    if (name.startsWith('on'))
      element.addEventListener(name.slice(2), value);
    else
      element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined));
  return element;
}

function show(title, ...content) {
  const heading = h('h1', { tabindex: '-1' }, title);
  view.replaceChildren(heading, ...content);
  document.title = `${title} · ${_('Leap Box Office')}`;
  heading.focus();
}

function say(text) {
  statusLine.textContent = text;
}

function complain(text, good = false) {
  messageBox.textContent = text;
  messageBox.classList.toggle('good', good);
  messageBox.hidden = !text;
}

// What happened, in words, for every error the API documents.
function explain(error) {
  if (!(error instanceof ApiError))
    return _('Something went wrong: {detail}', { detail: error.message });
  switch (error.code) {
    case 'sold_out':
      return _('Sold out: not enough tickets are left for your choice. ' +
               'The numbers shown are up to date; please choose again.');
    case 'expired':
      return _('Your hold expired and its tickets went back on sale. ' +
               'Please choose your tickets again.');
    case 'unavailable':
      return _('The box office is very busy right now. Please try again in a moment.');
    case 'offline':
      return _('You seem to be offline. Check your connection and try again.');
    case 'rate_limited':
      return _('Too many requests from here. Please wait a minute and try again.');
    case 'too_many_holds':
    case 'too_many_held_tickets':
      return _('You already hold as many tickets as a guest may. ' +
               'Pay for them or let them go first.');
    case 'conflict':
      return _('This event is not on sale at the moment.');
    case 'not_found':
      return _('This is not here any more.');
    case 'invalid_field':
      return _('Please check your entries: {detail}', { detail: error.message });
    default:
      return _('Something went wrong: {detail}', { detail: error.message });
  }
}

function stopTimer() {
  clearInterval(state.timer);
  state.timer = 0;
}

const live = new Live(
  ({ tier_id, available }) => {
    state.available.set(tier_id, available);
    const line = document.getElementById(`available-${tier_id}`);
    if (line)
      showAvailable(line, tier_id);
  },
  (result) => state.orderWait?.(result),
);

function showAvailable(line, tierId) {
  const left = state.available.get(tierId);
  line.classList.toggle('none', left === 0);
  line.textContent = left === undefined ? ''
                   : left === 0 ? _('Sold out')
                   : _('{n} left', { n: left });
  const input = document.getElementById(`quantity-${tierId}`);
  if (input && left !== undefined) {
    const tier = state.event.tiers.find((t) => t.id === tierId);
    input.max = String(Math.min(left, tier.max_per_order));
    input.disabled = left === 0;
  }
}

// The events on sale.
async function showEvents() {
  say(_('Loading events…'));
  const { events } = await api.events();
  const venues = new Map();
  const onSale = events.filter((e) => e.status === 'on_sale');
  for (const event of onSale)
    if (!venues.has(event.venue_id))
      venues.set(event.venue_id, await api.venue(event.venue_id));
  say('');
  if (onSale.length === 0) {
    show(_('Events on sale'), h('p', {}, _('Nothing is on sale right now.')));
    return;
  }
  show(_('Events on sale'), h('ul', { class: 'events' }, onSale.map((event) => {
    const venue = venues.get(event.venue_id);
    return h('li', { class: 'card' },
      h('h2', {}, h('a', { href: `#/event/${event.id}` }, event.name)),
      h('p', { class: 'meta' }, formatDate(event.starts_at, venue.timezone)),
      h('p', { class: 'meta' }, [venue.name, venue.city].filter(Boolean).join(', ')));
  })));
}

// An event's tiers, their availability kept live, and the form that holds tickets.
async function showEvent(id) {
  say(_('Loading…'));
  const event = await api.event(id);
  event.venue = await api.venue(event.venue_id);
  const { tiers } = await api.availability(id);
  state.event = event;
  state.available = new Map(tiers.map((t) => [t.tier_id, t.available]));
  live.watchEvent(event.id);
  say('');

  const rows = event.tiers.map((tier) => {
    const line = h('p', { class: 'available', id: `available-${tier.id}` });
    const row = h('div', { class: 'tier' },
      h('label', { for: `quantity-${tier.id}` },
        `${tier.name} · ${formatPrice(tier.price, tier.currency)}`),
      h('input', { type: 'number', id: `quantity-${tier.id}`, name: `tier-${tier.id}`,
                   min: '0', max: String(tier.max_per_order), value: '0',
                   inputmode: 'numeric', 'aria-describedby': `available-${tier.id}` }),
      line);
    return [row, line, tier];
  });
  const form = h('form', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    holdTickets(event, form);
  } },
    h('fieldset', { class: 'tiers' }, h('legend', {}, _('Tickets')), rows.map(([row]) => row)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', id: 'hold' }, _('Hold tickets')),
      h('a', { href: '#/', class: 'back' }, _('Back to all events'))));
  show(event.name,
    h('p', { class: 'meta' }, formatDate(event.starts_at, event.venue.timezone)),
    h('p', { class: 'meta' }, [event.venue.name, event.venue.city].filter(Boolean).join(', ')),
    event.description ? h('p', {}, event.description) : null,
    form);
  for (const [, line, tier] of rows)
    showAvailable(line, tier.id);
}

async function holdTickets(event, form) {
  const items = event.tiers
    .map((tier) => ({ tier_id: tier.id,
                      quantity: Number(form.elements[`tier-${tier.id}`].value) || 0 }))
    .filter((item) => item.quantity > 0);
  complain('');
  if (items.length === 0) {
    complain(_('Choose how many tickets you want first.'));
    form.elements[`tier-${event.tiers[0].id}`]?.focus();
    return;
  }
  const button = document.getElementById('hold');
  button.disabled = true;
  say(_('Holding your tickets…'));
  try {
    // api.js retries with the same key: a hold whose answer was lost is made once.
    state.hold = await api.hold(event.id, items, newKey());
    state.orderKey = newKey();
    navigate(`#/cart/${state.hold.hold_id}`);
  } catch (e) {
    say('');
    complain(explain(e));
    button.disabled = false;
    if (e.code === 'sold_out')
      for (const { tier_id, available } of (await api.availability(event.id)).tiers) {
        state.available.set(tier_id, available);
        showAvailable(document.getElementById(`available-${tier_id}`), tier_id);
      }
  }
}

function holdExpired() {
  stopTimer();
  const eventId = state.hold?.event_id;
  state.hold = null;
  navigate(eventId ? `#/event/${eventId}` : '#/', explain(new ApiError(410, 'expired', '')));
}

// Goes to @hash, saying @message there.
function navigate(hash, message = '') {
  state.message = message;
  if (location.hash === hash)
    route();
  else
    location.hash = hash;
}

// The cart: what is held, for how long, the buyer and the payment.
async function showCart(holdId) {
  if (state.hold?.hold_id !== holdId)
    state.hold = await api.getHold(holdId);
  const hold = state.hold;
  if (hold.status !== 'held') {
    if (hold.status === 'expired')
      holdExpired();
    else
      navigate('#/');
    return;
  }
  state.orderKey ??= newKey();
  const timer = h('p', { class: 'timer', role: 'timer', id: 'countdown' });
  const expires = Date.parse(hold.expires_at);
  // The time left, said aloud once a minute rather than every second.
  let lastSaid = null;
  const tick = () => {
    const left = expires - (Date.now() + clockSkew);
    if (left <= 0) {
      holdExpired();
      return;
    }
    timer.textContent = _('Your tickets are held for {time}.', { time: formatCountdown(left) });
    const minute = Math.ceil(left / 60000);
    if (minute !== lastSaid) {
      lastSaid = minute;
      announcer.textContent = timer.textContent;
    }
  };
  stopTimer();
  state.timer = setInterval(tick, 1000);
  tick();

  const name = h('input', { id: 'name', name: 'name', autocomplete: 'name', required: true,
                            maxlength: '200' });
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'email',
                             required: true, maxlength: '254' });
  const pay = h('button', { type: 'submit', id: 'pay' },
                _('Pay {total} by card', { total: formatPrice(hold.total, hold.currency) }));
  const form = h('form', { class: 'customer', onsubmit: (e) => {
    e.preventDefault();
    if (!form.reportValidity())
      return;
    placeOrder(hold, { name: name.value.trim(), email: email.value.trim() }, form);
  } },
    h('div', {}, h('label', { for: 'name' }, _('Your name')), name),
    h('div', {}, h('label', { for: 'email' }, _('Your e-mail address')), email),
    h('p', { class: 'meta' },
      _('Payment by card on the box office’s simulated card terminal: no card details are asked for.')),
    h('div', { class: 'actions' }, pay,
      h('button', { type: 'button', class: 'secondary', id: 'cancel',
                    onclick: () => cancelHold(hold) }, _('Cancel'))));
  show(_('Your cart'),
    h('div', { class: 'columns' },
      h('section', { 'aria-labelledby': 'held-heading' },
        h('h2', { id: 'held-heading' }, _('Held for you')),
        timer,
        h('ul', { class: 'lines' }, hold.items.map((item) =>
          h('li', {}, _('{n} × {tier} at {price}', {
            n: item.quantity, tier: item.name,
            price: formatPrice(item.unit_price, item.currency) })))),
        h('p', {}, h('strong', {}, _('Total: {total}',
                                     { total: formatPrice(hold.total, hold.currency) })))),
      h('section', { 'aria-labelledby': 'buyer-heading' },
        h('h2', { id: 'buyer-heading' }, _('Your details')), form)));
}

async function cancelHold(hold) {
  stopTimer();
  try {
    await api.release(hold.hold_id);
  } catch (e) {
    // Already gone (expired): nothing is held either way.
    if (e.code !== 'conflict' && e.code !== 'not_found')
      complain(explain(e));
  }
  state.hold = null;
  navigate(`#/event/${hold.event_id}`);
}

// Places the order and waits for its result: pushed over the live socket,
// and asked for every two seconds in case the socket is down.
async function placeOrder(hold, customer, form) {
  for (const control of form.elements)
    control.disabled = true;
  complain('');
  say(_('Paying…'));
  let order;
  try {
    order = await api.order(hold.hold_id, customer, state.orderKey);
  } catch (e) {
    say('');
    if (e.code === 'expired') {
      holdExpired();
      return;
    }
    complain(explain(e));
    for (const control of form.elements)
      control.disabled = false;
    return;
  }
  stopTimer();
  live.watchOrder(order.order_id, api.token);
  let status = order.status;
  const deadline = Date.now() + 120000;
  while (status === 'pending' && Date.now() < deadline) {
    const pushed = await new Promise((resolve) => {
      state.orderWait = (result) => result.order_id === order.order_id && resolve(result.status);
      setTimeout(() => resolve(null), 2000);
    });
    state.orderWait = null;
    status = pushed ?? (await api.getOrder(order.order_id).catch(() => order)).status;
  }
  say('');
  state.hold = null;
  if (status === 'paid' || status === 'needs_review') {
    navigate(`#/order/${order.order_id}`);
    return;
  }
  const settled = await api.getOrder(order.order_id).catch(() => null);
  if (status === 'failed')
    navigate(`#/event/${hold.event_id}`,
             _('Your card was declined ({reason}). Nothing was charged and the tickets ' +
               'went back on sale; please try again.',
               { reason: settled?.reason ?? _('no reason given') }));
  else
    navigate(`#/order/${order.order_id}`,
             _('The payment is taking longer than usual. Your order {code} will show here ' +
               'once it is settled.', { code: groupedCode(order.code) }));
}

function groupedCode(code) {
  return code && code.length === 7 ? `${code.slice(0, 3)}-${code.slice(3)}` : code;
}

function qrImage(text, label) {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  return h('img', { src: qr.createDataURL(4, 4), alt: label });
}

async function downloadPdf(orderId, button) {
  button.disabled = true;
  try {
    const blob = await api.ticketsPdf(orderId);
    const link = h('a', { href: URL.createObjectURL(blob), download: `tickets-${orderId}.pdf` });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (e) {
    complain(explain(e));
  } finally {
    button.disabled = false;
  }
}

// The order and its tickets.
async function showOrder(id) {
  stopTimer();
  const order = await api.getOrder(id);
  const event = await api.event(order.event_id);
  const venue = await api.venue(event.venue_id);
  const tierNames = new Map(event.tiers.map((t) => [t.id, t.name]));
  if (order.status === 'needs_review') {
    show(_('Your order'), h('p', {}, _('Your payment went through; the box office checks ' +
                                       'this order by hand and will send your tickets.')));
    return;
  }
  if (order.status === 'pending') {
    show(_('Your order'), h('p', {}, _('Your payment is being processed. ' +
                                       'Reload this page in a moment to see your tickets.')));
    return;
  }
  if (order.status !== 'paid') {
    show(_('Your order'), h('p', {}, _('This order is not paid.')));
    return;
  }
  const valid = order.tickets.filter((t) => t.status === 'valid');
  const pdf = h('button', { type: 'button', id: 'pdf',
                            onclick: () => downloadPdf(order.order_id, pdf) },
                _('Download the tickets (PDF)'));
  complain(_('Thank you! Your order is paid.'), true);
  show(_('Your tickets'),
    h('p', {}, _('Order'), ' ', h('span', { class: 'order-code', id: 'order-code' },
                                   groupedCode(order.code))),
    h('p', {}, h('strong', {}, event.name), h('br'),
      formatDate(event.starts_at, venue.timezone), h('br'),
      [venue.name, venue.city].filter(Boolean).join(', ')),
    h('p', {}, _('Total: {total}', { total: formatPrice(order.total, order.currency) })),
    h('div', { class: 'actions' }, pdf, h('a', { href: '#/' }, _('Back to all events'))),
    h('ul', { class: 'tickets', 'aria-label': _('Tickets') }, valid.map((ticket, i) => {
      const label = _('Ticket {n} of {count}: {tier}',
                      { n: i + 1, count: valid.length, tier: tierNames.get(ticket.tier_id) });
      return h('li', { class: 'card ticket' },
        h('h2', {}, label),
        qrImage(ticket.code, _('QR code of ticket {n}', { n: i + 1 })),
        h('p', { class: 'code' }, ticket.code));
    })));
}

async function route() {
  const [, page, id] = location.hash.match(/^#\/(\w+)\/(.+)$/) ?? [];
  complain(state.message ?? '');
  state.message = null;
  if (page !== 'cart')
    stopTimer();
  try {
    if (page === 'event')
      await showEvent(Number(id));
    else if (page === 'cart')
      await showCart(decodeURIComponent(id));
    else if (page === 'order')
      await showOrder(decodeURIComponent(id));
    else
      await showEvents();
  } catch (e) {
    say('');
    complain(explain(e));
    if (!view.querySelector('h1'))
      show(_('Leap Box Office'), h('p', {}, h('a', { href: '#/' }, _('Back to all events'))));
  }
}

function translatePage() {
  document.querySelector('.skip').textContent = _('Skip to content');
  document.querySelector('label[for="language"]').textContent = _('Language');
  document.getElementById('brand').textContent = _('Leap Box Office');
  const select = document.getElementById('language');
  select.value = language;
  select.addEventListener('change', () => {
    const url = new URL(location.href);
    url.searchParams.set('lang', select.value);
    location.href = url.href;
  });
}

window.addEventListener('hashchange', route);
window.addEventListener('offline', () => complain(explain(new ApiError(0, 'offline', ''))));
window.addEventListener('online', () => complain(''));

await load();
translatePage();
route();
