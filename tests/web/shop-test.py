#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drives the web shop in headless Chromium (Debian's chromium and
chromium-driver, python3-selenium 4.8) against the backend the C test
started: one scenario a run. Every wait has a deadline; axe-core checks
each page the scenario reaches. Prints RESULT lines for the C test, which
then checks the server.

usage: shop-test.py BASE_URL SCENARIO EVENT_ID TIER_ID AXE_JS TMPDIR [SHOTS_DIR]
scenarios: purchase (keyboard only, desktop), sold-out (phone), expired and
declined (desktop)
"""
import json
import os
import sys
import time
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException,
                                        StaleElementReferenceException, TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 60  # seconds: a loaded 2-core machine

base, scenario, event_id, tier_id, axe_path, tmp = sys.argv[1:7]
shots = sys.argv[7] if len(sys.argv) > 7 else None


def browser(phone):
    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                '--no-first-run', '--disable-extensions', '--lang=en-US',
                f'--user-data-dir={os.path.join(tmp, "chromium")}',
                '--window-size=1280,800'):
        options.add_argument(arg)
    options.add_experimental_option('prefs', {'intl.accept_languages': 'en-US,en'})
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
    driver.set_script_timeout(WAIT)
    # The viewport itself, whatever the window around it takes.
    size(driver, *((390, 844, True) if phone else (1280, 800, False)))
    return driver


def size(driver, width, height, mobile):
    driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
        'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': mobile})


def wait(driver, what, condition, seconds=WAIT):
    try:
        # A view is drawn anew as the shop moves on: elements go stale.
        return WebDriverWait(driver, seconds, poll_frequency=0.2,
                             ignored_exceptions=(NoSuchElementException,
                                                 StaleElementReferenceException)
                             ).until(condition)
    except TimeoutException:
        fail(driver, f'timed out after {seconds} s waiting for {what}')


def fail(driver, why):
    print(f'FAIL: {why}', file=sys.stderr)
    try:
        print('URL: ' + driver.current_url, file=sys.stderr)
        print('MESSAGE: ' + driver.find_element(By.ID, 'message').text, file=sys.stderr)
        print('VIEW: ' + driver.find_element(By.ID, 'view').text[:2000], file=sys.stderr)
        for entry in driver.get_log('browser'):
            print('CONSOLE: ' + entry['message'], file=sys.stderr)
        driver.save_screenshot(os.path.join(tmp, 'failure.png'))
    finally:
        driver.quit()
        sys.exit(1)


def heading(driver, text):
    wait(driver, f'the heading “{text}”',
         lambda d: any(h.text == text for h in d.find_elements(By.TAG_NAME, 'h1')))


def message_contains(driver, text):
    wait(driver, f'a message with “{text}”',
         lambda d: text in d.find_element(By.ID, 'message').text)


def axe(driver, page):
    """axe-core on the page as it is: no violation of any rule."""
    if not driver.execute_script('return typeof window.axe !== "undefined"'):
        with open(axe_path, encoding='utf-8') as f:
            driver.execute_script(f.read())
    violations = driver.execute_async_script(
        'const done = arguments[arguments.length - 1];'
        'axe.run(document, {resultTypes: ["violations"]})'
        '  .then((r) => done(r.violations), (e) => done([{id: "axe-error", help: String(e),'
        '                                                nodes: []}]));')
    if violations:
        for v in violations:
            nodes = '; '.join(n.get('html', '')[:120] for n in v['nodes'][:3])
            print(f'axe on {page}: {v["id"]}: {v["help"]}: {nodes}', file=sys.stderr)
        fail(driver, f'axe-core found {len(violations)} violations on {page}')
    print(f'RESULT axe-clean {page}')


def fits(driver, page):
    """Nothing wider than the viewport (no sideways scrolling on a phone)."""
    overflow = driver.execute_script(
        'return document.documentElement.scrollWidth - document.documentElement.clientWidth')
    if overflow > 0:
        fail(driver, f'{page} is {overflow} px wider than the viewport')


def tab_to(driver, selector, limit=60):
    """Presses Tab until the focus is on @selector: the keyboard alone."""
    for _ in range(limit):
        if driver.execute_script('return document.activeElement.matches(arguments[0])',
                                 selector):
            return
        ActionChains(driver).send_keys(Keys.TAB).perform()
    fail(driver, f'Tab never reached {selector}')


def keys(driver, *text):
    ActionChains(driver).send_keys(*text).perform()


def shot(driver, name):
    if shots:
        driver.save_screenshot(os.path.join(shots, name))


def api(method, path, token=None, body=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header('Content-Type', 'application/json')
    request.add_header('Idempotency-Key', uuid.uuid4().hex)
    if token:
        request.add_header('Authorization', 'Bearer ' + token)
    with urllib.request.urlopen(request, timeout=WAIT) as answer:
        return json.load(answer)


def available_text(driver):
    return driver.find_element(By.ID, f'available-{tier_id}').text


def purchase():
    """A whole purchase with the keyboard alone, on a desktop."""
    d = browser(phone=False)
    d.get(base + '/shop/')
    heading(d, 'Events on sale')
    axe(d, 'events')
    shot(d, 'desktop-events.png')
    tab_to(d, f'a[href="#/event/{event_id}"]')
    keys(d, Keys.ENTER)
    wait(d, 'the tiers', lambda d: available_text(d).endswith('left'))
    axe(d, 'event')
    tab_to(d, f'#quantity-{tier_id}')
    keys(d, Keys.BACKSPACE, '2')
    tab_to(d, '#hold')
    keys(d, Keys.ENTER)
    heading(d, 'Your cart')
    wait(d, 'the countdown', lambda d: 'held for' in d.find_element(By.ID, 'countdown').text)
    axe(d, 'cart')
    tab_to(d, '#name')
    keys(d, 'Ada Lovelace')
    tab_to(d, '#email')
    keys(d, 'ada@example.org')
    shot(d, 'desktop-cart.png')
    tab_to(d, '#pay')
    keys(d, Keys.ENTER)
    heading(d, 'Your tickets')
    qr = wait(d, 'two QR codes',
              lambda d: len(d.find_elements(By.CSS_SELECTOR, '.tickets img')) == 2 and
              d.find_elements(By.CSS_SELECTOR, '.tickets img'))
    for img in qr:
        if not img.get_attribute('src').startswith('data:image/') or not img.get_attribute('alt'):
            fail(d, 'a QR code without an image or a text alternative')
    message_contains(d, 'paid')
    axe(d, 'order')
    shot(d, 'desktop-order.png')
    order_id = d.execute_script('return decodeURIComponent(location.hash.split("/")[2])')
    # The PDF link's request, as the page makes it.
    pdf = d.execute_async_script(
        'const done = arguments[arguments.length - 1];'
        'fetch(`../api/v1/orders/${arguments[0]}/tickets.pdf`, {headers: {Authorization:'
        '  `Bearer ${sessionStorage.getItem("leap-shop-token")}`}})'
        '  .then((r) => done([r.status, r.headers.get("Content-Type")]), (e) => done([0, String(e)]));',
        order_id)
    if pdf != [200, 'application/pdf']:
        fail(d, f'the tickets PDF answered {pdf}')
    print(f'RESULT order {order_id}')
    # The same shop on a phone, for the README's screenshots.
    if shots:
        size(d, 390, 844, True)
        d.refresh()
        heading(d, 'Your tickets')
        fits(d, 'the order on a phone')
        shot(d, 'phone-order.png')
        d.get(base + f'/shop/#/event/{event_id}')
        wait(d, 'the tiers', lambda d: available_text(d).endswith('left'))
        fits(d, 'the event on a phone')
        shot(d, 'phone-event.png')
    d.quit()


def sold_out():
    """Another buyer takes a ticket while this one chooses: the count
    changes live, and the hold that asks for too many is refused."""
    d = browser(phone=True)
    d.get(base + f'/shop/#/event/{event_id}')
    wait(d, 'the tiers', lambda d: available_text(d) == '2 left')
    fits(d, 'the event on a phone')
    quantity = d.find_element(By.ID, f'quantity-{tier_id}')
    quantity.clear()
    quantity.send_keys('2')
    other = api('POST', '/api/v1/sessions', body={'guest': True})['token']
    api('POST', '/api/v1/holds', other,
        {'event_id': int(event_id), 'items': [{'tier_id': int(tier_id), 'quantity': 1}]})
    wait(d, 'the live count', lambda d: available_text(d) == '1 left')
    d.find_element(By.ID, 'hold').click()
    message_contains(d, 'Sold out')
    if d.find_elements(By.ID, 'countdown'):
        fail(d, 'a cart after a sold-out answer')
    fits(d, 'the sold-out message on a phone')
    axe(d, 'sold out')
    api('POST', '/api/v1/holds', other,
        {'event_id': int(event_id), 'items': [{'tier_id': int(tier_id), 'quantity': 1}]})
    wait(d, 'the tier shown sold out', lambda d: available_text(d) == 'Sold out')
    if d.find_element(By.ID, f'quantity-{tier_id}').is_enabled():
        fail(d, 'a quantity field for a sold-out tier')
    axe(d, 'sold-out tier')
    print('RESULT sold-out')
    d.quit()


def expired():
    """A hold left to run out: the shop says so and offers the tickets again."""
    d = browser(phone=False)
    d.get(base + f'/shop/#/event/{event_id}')
    wait(d, 'the tiers', lambda d: available_text(d) == '3 left')
    quantity = d.find_element(By.ID, f'quantity-{tier_id}')
    quantity.clear()
    quantity.send_keys('1')
    d.find_element(By.ID, 'hold').click()
    heading(d, 'Your cart')
    wait(d, 'the count after the hold', lambda d: 'held for' in
         d.find_element(By.ID, 'countdown').text)
    hold_id = d.execute_script('return decodeURIComponent(location.hash.split("/")[2])')
    message_contains(d, 'Your hold expired')
    wait(d, 'the tickets back on sale', lambda d: available_text(d) == '3 left')
    axe(d, 'expired hold')
    print(f'RESULT hold {hold_id}')
    d.quit()


def declined():
    """A card the terminal declines: the shop says so and offers the tickets again."""
    d = browser(phone=False)
    d.get(base + f'/shop/#/event/{event_id}')
    wait(d, 'the tiers', lambda d: available_text(d) == '3 left')
    quantity = d.find_element(By.ID, f'quantity-{tier_id}')
    quantity.clear()
    quantity.send_keys('1')
    d.find_element(By.ID, 'hold').click()
    heading(d, 'Your cart')
    hold_id = d.execute_script('return decodeURIComponent(location.hash.split("/")[2])')
    d.find_element(By.ID, 'name').send_keys('Ada Lovelace')
    d.find_element(By.ID, 'email').send_keys('ada@example.org')
    d.find_element(By.ID, 'pay').click()
    message_contains(d, 'Your card was declined')
    wait(d, 'the tickets back on sale', lambda d: available_text(d) == '3 left')
    axe(d, 'declined')
    print(f'RESULT hold {hold_id}')
    d.quit()


{'purchase': purchase, 'sold-out': sold_out, 'expired': expired,
 'declined': declined}[scenario]()
