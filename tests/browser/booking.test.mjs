// End-to-end booking flows against one `skranke demo` server, in a real browser:
//
//   1. Danish, with e-mail: start → centre → service → day (htmx) → slot → details (a
//      validation error re-renders a `<script>` name escaped) → code from the demo mailbox →
//      confirmation with a reference → the .ics file.
//   2. A wrong code shows an alert and keeps the citizen on the code page; the right code
//      still works afterwards.
//   3. English, without e-mail: confirmed at once → moved to another slot → cancelled.
//   4. An invalid e-mail re-renders the form with an alert, aria-invalid and the typed name.
//
// Every page visited (both languages, with and without errors) goes through checkA11y; the
// last test checks that the whole list was covered.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allViolations, checkA11y, launchBrowser, screenshot, startServer } from './lib.mjs';

const REFERENCE_RE = /^[2-9A-Z]{3}-[2-9A-Z]{3}$/;
const CODE_MAIL_RE = /(?:Din kode er|Your code is): (\d{6})/;
const XSS_NAME = 'Jens <script>window.__skrankeXss = 1</script> & "Hansen"';

// Pages that must have been checked with axe by the end of the file.
const REQUIRED_A11Y = [
  'da start',
  'da services',
  'da slots',
  'da slots after htmx day switch',
  'da details',
  'da details with error',
  'da code',
  'da code with error',
  'da confirmation',
  'da dev mail',
  'en start',
  'en services',
  'en slots',
  'en details',
  'en details with error',
  'en confirmation',
  'en move',
  'en move other day',
  'en moved confirmation',
  'en cancel confirmation',
  'en cancelled',
  'en dev mail',
];

describe('booking', () => {
  let server;
  let browser;
  const checked = new Set();
  let mailCounter = 0;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    const minor = allViolations.filter((v) => !['serious', 'critical'].includes(v.violation.impact));
    for (const { label, violation } of minor) {
      process.stderr.write(`[a11y note] ${label}: [${violation.impact}] ${violation.id}: ${violation.help}\n`);
    }
  });

  // ------------------------------------------------------------------ helpers

  /** A fresh browser context (own cookies, so the language choice does not leak between tests). */
  async function newContext() {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const problems = [];
    context.on('page', (page) => watch(page, problems));
    return { context, problems };
  }

  /**
   * Record what should never happen: JS errors, server errors, failing sub-resources (CSS,
   * htmx, fragments). Documents answering 4xx are expected (validation errors); their status
   * is asserted where they happen. Chromium's own /favicon.ico probe is ignored (no icon).
   */
  function watch(page, problems) {
    page.on('pageerror', (err) => problems.push(`pageerror on ${page.url()}: ${err.message}`));
    page.on('console', (msg) => {
      // "Failed to load resource" duplicates the HTTP status seen below.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
        problems.push(`console error on ${page.url()}: ${msg.text()}`);
      }
    });
    page.on('response', (r) => {
      const req = r.request();
      const what = `HTTP ${r.status()} for ${req.method()} ${r.url()}`;
      if (r.status() >= 500) problems.push(what);
      else if (r.status() >= 400 && !req.isNavigationRequest() && new URL(r.url()).pathname !== '/favicon.ico') {
        problems.push(what);
      }
    });
  }

  /** Run a test body; on failure save screenshots of every open page and dump the server logs. */
  async function scenario(name, body, { quiet = false } = {}) {
    const { context, problems } = await newContext();
    try {
      await body(context);
      assert.deepEqual(problems, [], 'browser reported errors');
    } catch (err) {
      if (quiet) throw err;
      let i = 0;
      for (const page of context.pages()) {
        const shot = await screenshot(page, `failed-${name}-${i++}`).catch(() => null);
        if (shot) process.stderr.write(`screenshot: ${shot} (${page.url()})\n`);
      }
      if (problems.length) process.stderr.write(`browser problems:\n  ${problems.join('\n  ')}\n`);
      server.dumpLogs(`skranke logs for failed test "${name}"`);
      throw err;
    } finally {
      await context.close();
    }
  }

  /**
   * Perform `action` and wait for the resulting top-level navigation to finish (following
   * redirects). Returns the final document response.
   */
  async function navigation(page, action) {
    const final = page.waitForResponse(
      (r) =>
        r.request().isNavigationRequest() &&
        r.frame() === page.mainFrame() &&
        !(r.status() >= 300 && r.status() < 400),
    );
    await action();
    const response = await final;
    await page.waitForLoadState('load');
    return response;
  }

  async function goto(page, path) {
    const response = await page.goto(server.baseUrl + path, { waitUntil: 'load' });
    assert.ok(response, `no response for ${path}`);
    return response;
  }

  async function a11y(page, label) {
    await checkA11y(page, label);
    checked.add(label);
  }

  function expectStatus(response, status, what) {
    assert.equal(response.status(), status, `${what}: HTTP status of ${response.request().method()} ${response.url()}`);
  }

  async function expectLang(page, lang) {
    assert.equal(await page.locator('html').getAttribute('lang'), lang, 'html lang');
  }

  function uniqueEmail(tag) {
    mailCounter += 1;
    return `${tag}.${process.pid}.${Date.now()}.${mailCounter}@example.dk`;
  }

  /**
   * Walk start → first centre → first online service, checking each page. Returns the page on
   * the slot list.
   */
  async function toSlots(page, lang, { query = '' } = {}) {
    let r = await goto(page, `/${query}`);
    expectStatus(r, 200, 'start page');
    await expectLang(page, lang);
    await a11y(page, `${lang} start`);

    const centre = page.locator('ul.cards a').first();
    assert.match(await centre.getAttribute('href'), /^\/book\/[^/]+$/);
    r = await navigation(page, () => centre.click());
    expectStatus(r, 200, 'services page');
    await a11y(page, `${lang} services`);

    // Services that cannot be booked online are not links.
    const service = page.locator('ul.cards a').first();
    assert.match(await service.getAttribute('href'), /^\/book\/[^/]+\/[^/]+$/);
    r = await navigation(page, () => service.click());
    expectStatus(r, 200, 'slots page');
    await page.locator('a.slot').first().waitFor();
    await a11y(page, `${lang} slots`);
    return page;
  }

  /** Click the first slot and land on the details form. Returns the slot's start instant. */
  async function pickFirstSlot(page, lang) {
    const slot = page.locator('a.slot').first();
    const href = await slot.getAttribute('href');
    const start = new URL(href, server.baseUrl).searchParams.get('start');
    assert.ok(start, `slot link without start: ${href}`);
    const r = await navigation(page, () => slot.click());
    expectStatus(r, 200, 'details page');
    assert.match(new URL(page.url()).pathname, /^\/book\/[^/]+\/[^/]+\/details$/);
    await page.locator('#name').waitFor();
    await a11y(page, `${lang} details`);
    return start;
  }

  async function submitDetails(page, { name, email = '', phone = '' }) {
    await page.locator('#name').fill(name);
    await page.locator('#email').fill(email);
    await page.locator('#phone').fill(phone);
    return navigation(page, () => page.locator('form button[type=submit]').click());
  }

  /** Open /dev/mail in a second page of the same context and read the newest code sent to `email`. */
  async function readCode(context, email, { label } = {}) {
    const mailbox = await context.newPage();
    try {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const r = await goto(mailbox, '/dev/mail');
        expectStatus(r, 200, 'demo mailbox');
        const bodies = await mailbox
          .locator('article.mail')
          .filter({ has: mailbox.locator('.recipient', { hasText: email }) })
          .locator('pre.mail-body')
          .allTextContents();
        const codes = bodies.map((b) => CODE_MAIL_RE.exec(b)?.[1]).filter(Boolean);
        if (codes.length > 0) {
          if (label) await a11y(mailbox, label);
          // The mailbox lists the newest mail first.
          return codes[0];
        }
        if (Date.now() > deadline) {
          assert.fail(`no code mail to ${email} in /dev/mail after 15 s; mails there:\n${bodies.join('\n---\n')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      await mailbox.close();
    }
  }

  async function submitCode(page, code) {
    await page.locator('#code').fill(code);
    return navigation(page, () => page.locator('form button[type=submit]').click());
  }

  async function expectConfirmation(page, id, heading) {
    const url = new URL(page.url());
    assert.equal(url.pathname, `/booking/${id}`, 'on the booking page');
    assert.ok(url.searchParams.get('token'), 'booking page keeps the token');
    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: 2_000 }));
    const reference = (await page.locator('.reference').textContent()).trim();
    assert.match(reference, REFERENCE_RE, 'booking reference');
    return reference;
  }

  const bookingIdOf = (page) => /^\/booking\/([^/]+)/.exec(new URL(page.url()).pathname)?.[1];

  /** Straight to the slot list of the first online service (no a11y: covered elsewhere). */
  async function slotsOfFirstService(page) {
    const r = await goto(page, '/');
    expectStatus(r, 200, 'start page');
    await navigation(page, () => page.locator('ul.cards a').first().click());
    await navigation(page, () => page.locator('ul.cards a').first().click());
    await page.locator('a.slot').first().waitFor();
  }

  /** Straight to the details form of the first free slot (no a11y: covered elsewhere). */
  async function detailsOfFirstSlot(page) {
    await slotsOfFirstService(page);
    const r = await navigation(page, () => page.locator('a.slot').first().click());
    expectStatus(r, 200, 'details page');
    await page.locator('#name').waitFor();
  }

  // ------------------------------------------------------------------ tests

  test('Danish booking with e-mail: code from the mailbox, reference, calendar file', () =>
    scenario('da-email', async (context) => {
      const page = await context.newPage();
      await toSlots(page, 'da');

      // Another day: htmx swaps only the slot list and pushes the day URL.
      const days = page.locator('ul.days a');
      assert.ok((await days.count()) >= 2, 'the demo service has at least two bookable days');
      const secondDay = days.nth(1);
      const dayLabel = (await secondDay.textContent()).trim();
      const dayHref = await secondDay.getAttribute('href');
      await page.evaluate(() => (window.__sameDocument = true));
      await secondDay.click();
      await page.locator('#slots h2', { hasText: dayLabel }).waitFor();
      await page.waitForURL((u) => u.pathname + u.search === dayHref);
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'day switch did not reload the page');
      // (That aria-current follows the chosen day is a separate test below.)
      await a11y(page, 'da slots after htmx day switch');

      const start = await pickFirstSlot(page, 'da');
      assert.equal(start.slice(0, 10), new URL(dayHref, server.baseUrl).searchParams.get('day'), 'slot is on the chosen day');

      // A validation error (bad phone) re-renders the form: the name must come back as text.
      const email = uniqueEmail('da');
      let r = await submitDetails(page, { name: XSS_NAME, email, phone: '12' });
      expectStatus(r, 422, 'details with a bad phone');
      const html = await r.text();
      assert.ok(!html.includes('<script>window.__skrankeXss'), 'the name is not echoed as markup');
      assert.match(html, /value="Jens &(?:lt|#60|#x3c);script&(?:gt|#62|#x3e);/i, 'the name is HTML-escaped');
      assert.equal(await page.evaluate(() => window.__skrankeXss), undefined, 'no script from the name ran');
      assert.equal(await page.locator('#name').inputValue(), XSS_NAME, 'the name is kept verbatim');
      assert.equal(await page.locator('#email').inputValue(), email, 'the e-mail is kept');
      await page.getByRole('alert').waitFor();
      assert.equal(await page.locator('#phone').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.locator('#name').getAttribute('aria-invalid'), null);
      await a11y(page, 'da details with error');

      r = await submitDetails(page, { name: XSS_NAME, email, phone: '' });
      expectStatus(r, 200, 'code page');
      assert.match(new URL(page.url()).pathname, /^\/booking\/[^/]+\/code$/);
      const id = bookingIdOf(page);
      assert.ok(new URL(page.url()).searchParams.get('token'), 'code page URL has the token');
      assert.ok((await page.locator('main').textContent()).includes(email), 'code page names the address');
      await a11y(page, 'da code');

      const code = await readCode(context, email, { label: 'da dev mail' });
      r = await submitCode(page, code);
      expectStatus(r, 200, 'confirmation');
      const reference = await expectConfirmation(page, id, 'Din tid er bestilt');
      await expectLang(page, 'da');
      await a11y(page, 'da confirmation');
      const shot = await screenshot(page, 'booking-confirmation-da');
      process.stderr.write(`confirmation screenshot (da): ${shot} [${reference}]\n`);

      // The calendar file, fetched with the page's cookies through the link.
      const ics = page.locator('a[href*=".ics"]');
      const icsUrl = new URL(await ics.getAttribute('href'), page.url()).href;
      const res = await page.request.get(icsUrl);
      assert.equal(res.status(), 200, `GET ${icsUrl}`);
      assert.match(res.headers()['content-type'] ?? '', /^text\/calendar/);
      const body = await res.text();
      assert.match(body, /^BEGIN:VCALENDAR\r?$/m);
      assert.match(body, /^BEGIN:VEVENT\r?$/m);
      assert.match(body, /^DTSTART(?:;[^:\r\n]*)?:\d{8}T\d{6}Z\r?$/m, `DTSTART in UTC:\n${body}`);
      const dtstart = /^DTSTART(?:;[^:\r\n]*)?:(\d{8}T\d{6}Z)\r?$/m.exec(body)[1];
      assert.equal(dtstart, start.replace(/[-:]/g, '').replace(/\.\d+/, ''), 'DTSTART is the booked slot');
    }));

  test('a wrong code shows an alert and stays on the code page', () =>
    scenario('da-wrong-code', async (context) => {
      const page = await context.newPage();
      await detailsOfFirstSlot(page);
      const email = uniqueEmail('wrong');
      let r = await submitDetails(page, { name: 'Karen Jensen', email });
      expectStatus(r, 200, 'code page');
      const codeUrl = page.url();
      const id = bookingIdOf(page);

      const code = await readCode(context, email);
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      r = await submitCode(page, wrong);
      assert.equal(r.status(), 422, 'wrong code answers 422');
      assert.equal(new URL(page.url()).pathname, new URL(codeUrl).pathname, 'still on the code page');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.textContent(), /Koden er forkert/);
      assert.equal(await page.locator('#code').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.locator('.reference').count(), 0, 'not confirmed');
      await a11y(page, 'da code with error');

      // The right code still confirms afterwards.
      r = await submitCode(page, code);
      expectStatus(r, 200, 'confirmation after a wrong code');
      await expectConfirmation(page, id, 'Din tid er bestilt');
    }));

  test('English booking without e-mail: confirmed at once, moved, then cancelled', () =>
    scenario('en-no-email', async (context) => {
      const page = await context.newPage();
      await toSlots(page, 'en', { query: '?lang=en' });
      const cookies = await context.cookies();
      assert.ok(cookies.some((c) => c.name === 'lang' && c.value === 'en'), 'language cookie set');
      // The cookie alone keeps English on the next pages (their links carry no ?lang).
      await expectLang(page, 'en');
      assert.equal(await page.locator('h2#days-h').textContent(), 'Choose a day');

      const start = await pickFirstSlot(page, 'en');
      await expectLang(page, 'en');

      // Missing name: alert, aria-invalid on the name.
      let r = await submitDetails(page, { name: '' });
      expectStatus(r, 422, 'details without a name');
      await page.getByRole('alert').waitFor();
      assert.equal(await page.locator('#name').getAttribute('aria-invalid'), 'true');
      await a11y(page, 'en details with error');

      r = await submitDetails(page, { name: 'Ole Olsen' });
      expectStatus(r, 200, 'confirmation without e-mail');
      const id = bookingIdOf(page);
      const reference = await expectConfirmation(page, id, 'Your time is booked');
      await expectLang(page, 'en');
      await a11y(page, 'en confirmation');
      const shot = await screenshot(page, 'booking-confirmation-en');
      process.stderr.write(`confirmation screenshot (en): ${shot} [${reference}]\n`);
      const whenBefore = (await page.locator('.facts dd').nth(3).textContent()).trim();

      // Move: another day (plain link), then another slot.
      r = await navigation(page, () => page.getByRole('link', { name: 'Move the appointment' }).click());
      expectStatus(r, 200, 'move page');
      assert.equal(new URL(page.url()).pathname, `/booking/${id}/move`);
      await a11y(page, 'en move');
      const days = page.locator('ul.days a');
      assert.ok((await days.count()) >= 2, 'several days to move to');
      r = await navigation(page, () => days.nth(1).click());
      expectStatus(r, 200, 'move page, other day');
      await a11y(page, 'en move other day');
      const radios = page.locator('input[type=radio][name=start]');
      const values = await radios.evaluateAll((els) => els.map((e) => e.value));
      const target = values.find((v) => Date.parse(v) !== Date.parse(start));
      assert.ok(target, `a slot other than ${start} on the move page: ${values}`);
      await page.locator(`input[type=radio][value="${target}"]`).check();
      r = await navigation(page, () => page.getByRole('button', { name: 'Move to the chosen time' }).click());
      expectStatus(r, 200, 'after moving');
      assert.equal(new URL(page.url()).searchParams.get('done'), 'moved');
      assert.equal((await page.getByRole('status').textContent()).trim(), 'Your appointment has been moved.');
      assert.equal((await page.locator('.reference').textContent()).trim(), reference, 'same reference');
      const whenAfter = (await page.locator('.facts dd').nth(3).textContent()).trim();
      assert.notEqual(whenAfter, whenBefore, 'the time changed');
      await a11y(page, 'en moved confirmation');

      // Cancel: a confirmation page first, then the cancellation.
      r = await navigation(page, () => page.getByRole('link', { name: 'Cancel the appointment' }).click());
      expectStatus(r, 200, 'cancel confirmation page');
      await page.getByRole('heading', { level: 1, name: 'Cancel the appointment?' }).waitFor();
      assert.ok((await page.locator('main h1 + p').textContent()).includes(reference), 'the question names the booking');
      await a11y(page, 'en cancel confirmation');
      r = await navigation(page, () => page.getByRole('button', { name: 'Yes, cancel the appointment' }).click());
      expectStatus(r, 200, 'after cancelling');
      assert.equal(new URL(page.url()).searchParams.get('done'), 'cancelled');
      await page.getByRole('heading', { level: 1, name: 'The appointment is cancelled' }).waitFor();
      assert.equal((await page.getByRole('status').textContent()).trim(), 'Your appointment is cancelled.');
      assert.equal((await page.locator('.facts dd').nth(1).textContent()).trim(), 'Cancelled');
      assert.equal(await page.getByRole('link', { name: 'Cancel the appointment' }).count(), 0);
      assert.equal(await page.getByRole('link', { name: 'Move the appointment' }).count(), 0);
      await a11y(page, 'en cancelled');

      // Their data (Art. 15) and its erasure (Art. 17), now that the appointment is cancelled.
      r = await navigation(page, () => page.getByRole('link', { name: 'Your data' }).click());
      expectStatus(r, 200, 'data page');
      assert.ok((await page.locator('main').innerText()).includes(reference), 'the data page names the booking');
      await a11y(page, 'en my data');
      r = await navigation(page, () => page.getByRole('button', { name: 'Erase my data' }).click());
      expectStatus(r, 200, 'after erasing');
      assert.equal((await page.getByRole('status').textContent()).trim(), 'Your name, e-mail address and phone number are erased.');
      await a11y(page, 'en data erased');

      // The demo mailbox in English (the language cookie is set in this context).
      const mailbox = await context.newPage();
      expectStatus(await goto(mailbox, '/dev/mail'), 200, 'demo mailbox in English');
      await expectLang(mailbox, 'en');
      await a11y(mailbox, 'en dev mail');
    }));

  test('an invalid e-mail re-renders the form with an alert and keeps the typed name', () =>
    scenario('da-invalid-email', async (context) => {
      const page = await context.newPage();
      await detailsOfFirstSlot(page);
      const action = new URL(page.url()).pathname;
      const r = await submitDetails(page, { name: 'Jens Hansen', email: 'jens@@example' });
      expectStatus(r, 422, 'details with an invalid e-mail');
      assert.equal(new URL(page.url()).pathname, action, 'still on the details form');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.textContent(), /E-mailadressen er ikke gyldig/);
      const emailField = page.locator('#email');
      assert.equal(await emailField.getAttribute('aria-invalid'), 'true');
      assert.ok(
        (await emailField.getAttribute('aria-describedby')).split(/\s+/).includes('error-summary'),
        'the e-mail field points at the error message',
      );
      assert.equal(await page.locator('#name').getAttribute('aria-invalid'), null);
      assert.equal(await page.locator('#name').inputValue(), 'Jens Hansen');
      assert.equal(await emailField.inputValue(), 'jens@@example');
      await a11y(page, 'da details with error');
    }));

  test(
    'htmx day switch moves aria-current to the chosen day',
    () =>
      scenario('htmx-aria-current', async (context) => {
        const page = await context.newPage();
        await slotsOfFirstService(page);
        const secondDay = page.locator('ul.days a').nth(1);
        const dayLabel = (await secondDay.textContent()).trim();
        await secondDay.click();
        await page.locator('#slots h2', { hasText: dayLabel }).waitFor();
        const current = await page.locator('ul.days a[aria-current="date"]').allTextContents();
        assert.deepEqual(current.map((t) => t.trim()), [dayLabel]);
      }, { quiet: true }),
  );

  test(
    'the language link on a re-rendered details form keeps the chosen time',
    () =>
      scenario('switch-language-after-error', async (context) => {
        const page = await context.newPage();
        await detailsOfFirstSlot(page);
        await submitDetails(page, { name: 'Jens Hansen', email: 'jens@@example' });
        const r = await navigation(page, () => page.getByRole('link', { name: 'English' }).click());
        expectStatus(r, 200, 'details page in English');
        assert.equal(await page.locator('h1').textContent(), 'Your details');
      }, { quiet: true }),
  );

  test('every page in the flows was checked for accessibility', () => {
    const missing = REQUIRED_A11Y.filter((label) => !checked.has(label));
    assert.deepEqual(missing, [], 'pages not checked with axe');
  });
});
