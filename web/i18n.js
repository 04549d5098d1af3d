// SPDX-License-Identifier: GPL-3.0-or-later
// The shop's messages are msgids of po/ (xgettext reads web/*.js, see
// po/POTFILES); tools/web-i18n.py writes each language's translations of
// them to i18n/LANG.json. A message without a translation stays English.

export const LANGUAGES = ['en', 'de', 'fr'];

let catalogue = {};
export let language = 'en';
// Prices and dates in the buyer's own locale (de-AT, fr-CH, …).
export let locale = navigator.language || 'en';

function pick() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (LANGUAGES.includes(asked))
    return asked;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base))
      return base;
  }
  return 'en';
}

export async function load(lang = pick()) {
  language = lang;
  if (!locale.toLowerCase().startsWith(lang))
    locale = lang;
  catalogue = {};
  if (lang !== 'en') {
    try {
      const response = await fetch(new URL(`i18n/${lang}.json`, import.meta.url));
      if (response.ok)
        catalogue = await response.json();
    } catch {
      // Offline or not built: English.
    }
  }
  document.documentElement.lang = lang;
}

// _('{n} left', {n: 3}): the translation, or the English, with its values.
export function _(msgid, values = {}) {
  const text = catalogue[msgid] || msgid;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));
}

// The digits of a currency's minor unit, as Intl knows them (EUR 2, JPY 0).
function digits(currency) {
  return new Intl.NumberFormat('en', { style: 'currency', currency })
    .resolvedOptions().maximumFractionDigits;
}

export function formatPrice(minor, currency) {
  return new Intl.NumberFormat(locale, { style: 'currency', currency })
    .format(minor / 10 ** digits(currency));
}

// A time of the API (UTC) as it is at the venue.
export function formatDate(iso, timeZone) {
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'full', timeStyle: 'short', timeZone: timeZone || 'UTC',
  }).format(new Date(iso));
}

export function formatCountdown(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
