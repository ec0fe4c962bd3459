// Staff pages in Chromium: sign in with a demo account, work the administration pages, see the
// change in the audit log, and axe-core on every staff page (no serious or critical violation).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkA11y, launchBrowser, screenshot, startServer } from './lib.mjs';

const PASSWORD = 'skranke-demo-2026';
const ORG_ADMIN = 'org-admin@eksempelkommune.dk';
const SECOND_ADMIN = 'it-admin@eksempelkommune.dk';
const CENTRE_ADMIN = 'centre-admin@eksempelkommune.dk';
const DPO = 'dpo@eksempelkommune.dk';
const OPERATOR = 'operator@skranke.example.org';

describe('staff', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A fresh browser context (own cookies), signed in as `email`. */
  async function signIn(email) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.baseUrl + '/staff/sign-in');
    await page.getByLabel(/E-mailadresse/).fill(email);
    await page.getByLabel(/^Adgangskode/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log ind' }).click();
    await page.waitForURL(/\/staff$/);
    return { context, page };
  }

  async function run(name, fn) {
    const contexts = [];
    try {
      await fn(contexts);
    } catch (err) {
      for (const [i, c] of contexts.entries()) {
        for (const p of c.pages()) {
          const shot = await screenshot(p, `staff-${name}-${i}`).catch(() => null);
          if (shot) process.stderr.write(`screenshot: ${shot}\n`);
        }
      }
      server.dumpLogs(`skranke logs for failed test ${name}`);
      throw err;
    } finally {
      for (const c of contexts) await c.close();
    }
  }

  test('sign-in page: a wrong password is refused with a clear message, and it is accessible', async () => {
    await run('sign-in', async (contexts) => {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(server.baseUrl + '/staff');
      assert.match(page.url(), /\/staff\/sign-in\?next=/, 'signed out: sent to the sign-in page');
      await checkA11y(page, 'sign-in');
      await page.getByLabel(/E-mailadresse/).fill(ORG_ADMIN);
      await page.getByLabel(/^Adgangskode/).fill('not the password');
      await page.getByRole('button', { name: 'Log ind' }).click();
      await page.getByRole('alert').waitFor();
      assert.match(await page.getByRole('alert').innerText(), /Forkert e-mailadresse eller adgangskode/);
      await checkA11y(page, 'sign-in with error');
    });
  });

  test('an organisation administrator adds a user and sees it in the audit log', async () => {
    await run('org-admin', async (contexts) => {
      const { context, page } = await signIn(ORG_ADMIN);
      contexts.push(context);
      await checkA11y(page, 'staff home');
      await page.getByRole('link', { name: 'Brugere og roller' }).click();
      await checkA11y(page, 'users');
      await page.getByLabel('Navn').fill('Birgit Browser');
      await page.getByLabel('E-mailadresse').fill('birgit@eksempelkommune.dk');
      await page.getByLabel('Rolle').selectOption('caseworker');
      await page.getByRole('button', { name: 'Opret bruger' }).click();
      await page.locator('#password-link').waitFor();
      assert.match(await page.locator('#password-link').innerText(), /\/account\/password\/skrp_/);
      await page.getByRole('link', { name: 'Birgit Browser' }).click();
      await checkA11y(page, 'user detail');
      // A lookalike of the own domain is refused, naming what it resembles.
      await page.getByRole('link', { name: 'Brugere og roller' }).first().click();
      await page.getByLabel('Navn').fill('Fejl Domæne');
      await page.getByLabel('E-mailadresse').fill('fejl@eksempelkomune.dk');
      await page.getByRole('button', { name: 'Opret bruger' }).click();
      await page.locator('#error-summary').waitFor();
      assert.match(await page.locator('#error-summary').innerText(), /ligner eksempelkommune\.dk/);
      await checkA11y(page, 'users with error');
      await page.getByRole('link', { name: 'Revisionslog' }).click();
      await checkA11y(page, 'audit');
      const table = await page.locator('table.audit').innerText();
      assert.match(table, /user\.created/);
      assert.match(table, /birgit@eksempelkommune\.dk/);
      await page.getByRole('link', { name: 'Min konto' }).click();
      await checkA11y(page, 'account');
      await page.getByLabel('Navn på nøglen').fill('Browser-test');
      await page.getByRole('button', { name: 'Opret nøgle' }).click();
      await page.locator('#new-token').waitFor();
      assert.match(await page.locator('#new-token').innerText(), /skr_[0-9a-z]{52}/);
      await checkA11y(page, 'account with new token');
      // Retention periods: the administrator sets one.
      await page.goto(server.baseUrl + '/staff/admin/retention');
      await checkA11y(page, 'retention');
      await page.getByLabel('Gemmes (dage): Oplysninger om afsendte e-mails').fill('1095');
      await page.locator('form:has(input[value="message_records"]) button').click();
      assert.match(await page.getByRole('status').innerText(), /Perioden er gemt/);
      await checkA11y(page, 'retention saved');
    });
  });

  test('an administrator changes a service and sees the change in the audit log', async () => {
    await run('change-service', async (contexts) => {
      const { context, page } = await signIn(ORG_ADMIN);
      contexts.push(context);
      await page.getByRole('link', { name: 'Opsætning' }).click();
      await checkA11y(page, 'set-up overview');
      await page.getByRole('link', { name: /Borgerservice Eksempelby/ }).click();
      await checkA11y(page, 'centre set-up');
      await page.getByRole('link', { name: 'Pas', exact: true }).click();
      await checkA11y(page, 'service form');
      // A refused value is explained next to the form and kept in the field.
      await page.getByLabel('Varighed (minutter)').fill('17');
      await page.getByRole('button', { name: 'Gem' }).click();
      await page.locator('#error-summary').waitFor();
      assert.match(await page.locator('#error-summary').innerText(), /Varighed \(minutter\) skal være 5–480 minutter/);
      assert.equal(await page.getByLabel('Varighed (minutter)').inputValue(), '17');
      await checkA11y(page, 'service form with error');
      await page.getByLabel('Varighed (minutter)').fill('25');
      await page.getByRole('button', { name: 'Gem' }).click();
      await page.getByRole('status').waitFor();
      assert.match(await page.getByRole('status').innerText(), /gemt/);
      assert.equal(await page.getByLabel('Varighed (minutter)').inputValue(), '25');
      // The change is in the audit log: who, what, old and new value.
      await page.getByRole('link', { name: 'Se ændringerne i revisionsloggen' }).click();
      const table = await page.locator('table.audit').innerText();
      assert.match(table, /service\.updated/);
      assert.match(table, /Ole Organisation/);
      assert.match(table, /"duration_minutes":\{"new":25,"old":15\}/);
      // The staff member page: a lookalike work address is refused with the meant address.
      await page.goBack();
      await page.getByRole('link', { name: /Borgerservice Eksempelby/ }).click();
      await page.getByRole('link', { name: /Anne Jensen/ }).click();
      await checkA11y(page, 'staff member form');
      await page.getByLabel('E-mailadresse').fill('anne@eksempelkomune.dk');
      await page.getByRole('button', { name: 'Gem' }).first().click();
      await page.locator('#error-summary').waitFor();
      assert.match(await page.locator('#error-summary').innerText(), /ligner eksempelkommune\.dk/);
      await checkA11y(page, 'staff member form with error');
    });
  });

  test('a queue mailbox: a lookalike is refused, a second administrator approves, a code proves it', async () => {
    await run('mailbox', async (contexts) => {
      const { context, page } = await signIn(ORG_ADMIN);
      contexts.push(context);
      await page.getByRole('link', { name: 'Post', exact: true }).click();
      await page.waitForURL(/\/staff\/mail/);
      await checkA11y(page, 'mail page');
      // The incident's mistake: a domain that only resembles the own one.
      const owner = page.getByLabel('Ejer');
      const options = await owner.locator('option').allTextContents();
      const queue = options.find((o) => o.includes('–'));
      assert.ok(queue, `a queue among the owners: ${options}`);
      await owner.selectOption({ label: queue });
      await page.getByLabel('E-mailadresse').fill('koe@eksempelkomune.dk');
      await page.getByRole('button', { name: 'Foreslå adressen' }).click();
      await page.locator('#error-summary').waitFor();
      assert.match(await page.locator('#error-summary').innerText(), /eksempelkommune\.dk/);
      assert.equal(await page.getByLabel('E-mailadresse').inputValue(), 'koe@eksempelkomune.dk');
      await checkA11y(page, 'mail page with error');
      // The right address: proposed, approved by another administrator, then proven with the code.
      await page.getByLabel('E-mailadresse').fill('koe@eksempelkommune.dk');
      await page.getByRole('button', { name: 'Foreslå adressen' }).click();
      await page.waitForURL(/done=proposed/);
      const proposal = page.locator('tr', { hasText: 'koe@eksempelkommune.dk' });
      assert.match(await proposal.innerText(), /Venter på en anden administrator/);
      await checkA11y(page, 'mail page with a proposal');
      const second = await signIn(SECOND_ADMIN);
      contexts.push(second.context);
      await second.page.goto(server.baseUrl + '/staff/mail');
      await second.page.getByRole('button', { name: 'Godkend: koe@eksempelkommune.dk' }).click();
      await second.page.waitForURL(/done=approved/);
      await page.goto(server.baseUrl + '/staff/mail');
      const row = page.locator('tr', { hasText: 'koe@eksempelkommune.dk' });
      assert.match(await row.innerText(), /ikke bekræftet/);
      await row.getByRole('button', { name: /Send kode/ }).click();
      await page.waitForURL(/done=code_sent/);
      const mailbox = await context.newPage();
      let code;
      const deadline = Date.now() + 15_000;
      while (!code) {
        await mailbox.goto(server.baseUrl + '/dev/mail');
        const bodies = await mailbox
          .locator('article.mail')
          .filter({ has: mailbox.locator('.recipient', { hasText: 'koe@eksempelkommune.dk' }) })
          .locator('pre.mail-body')
          .allTextContents();
        code = bodies.map((b) => /Koden er: (\d{6})/.exec(b)?.[1]).find(Boolean);
        if (!code) {
          assert.ok(Date.now() < deadline, 'no code mail in /dev/mail after 15 s');
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      await mailbox.close();
      await page.getByLabel('Kode til koe@eksempelkommune.dk').fill(code);
      await page.locator('tr', { hasText: 'koe@eksempelkommune.dk' }).getByRole('button', { name: 'Bekræft' }).click();
      await page.waitForURL(/done=verified/);
      assert.match(await page.locator('tr', { hasText: 'koe@eksempelkommune.dk' }).innerText(), /bekræftet/);
      await checkA11y(page, 'mail page with a proven mailbox');
      // The data-flow map: every path mail can take, drawn and listed.
      await page.getByRole('link', { name: /Dataflow/ }).click();
      await page.locator('svg[role=img]').waitFor();
      assert.match(await page.locator('table').innerText(), /Borger flyttet til en anden kø/);
      await checkA11y(page, 'data-flow map');
    });
  });

  test('a routing rule: one administrator proposes, another approves, the map follows', async () => {
    await run('routes', async (contexts) => {
      const { context, page } = await signIn(ORG_ADMIN);
      contexts.push(context);
      await page.goto(server.baseUrl + '/staff/mail');
      await page.getByRole('link', { name: 'Hvem får besked om hvad' }).click();
      await page.waitForURL(/\/staff\/mail\/routes/);
      await checkA11y(page, 'routing rules');
      const route = 'Borger ankommet → Fælles postkasse for centret';
      await page.getByRole('button', { name: `Foreslå at slå til: ${route}` }).click();
      await page.waitForURL(/done=proposed/);
      assert.match(await page.locator('section[aria-labelledby=route-changes]').innerText(), /Venter på en anden administrator/);
      await checkA11y(page, 'routing rules with a proposal');
      const second = await signIn(SECOND_ADMIN);
      contexts.push(second.context);
      await second.page.goto(server.baseUrl + '/staff/mail/routes');
      await second.page.getByRole('button', { name: `Godkend: ${route}` }).click();
      await second.page.waitForURL(/done=approved/);
      const row = second.page.locator('section[aria-labelledby=route-table] tr', { hasText: 'Fælles postkasse for centret' }).filter({ hasText: 'Borger ankommet' });
      assert.match(await row.innerText(), /Til/);
      // The data-flow map now draws the new path.
      await second.page.goto(server.baseUrl + '/staff/mail/flows');
      assert.match(await second.page.locator('table').innerText(), /Borger ankommet\s+Fælles postkasse for centret/);
    });
  });

  test('the data-protection officer reads the audit log, scopes a breach and nothing else', async () => {
    await run('dpo', async (contexts) => {
      const { context, page } = await signIn(DPO);
      contexts.push(context);
      await page.getByRole('link', { name: 'Revisionslog' }).click();
      await page.getByLabel('Handling').fill('auth.');
      await page.getByRole('button', { name: 'Søg' }).click();
      assert.match(await page.locator('table.audit').innerText(), /auth\.sign_in/);
      await checkA11y(page, 'audit search');
      // Breach scoping: the form, "nothing found" where the officer looks, a bad window refused.
      await page.getByRole('link', { name: 'Brud på sikkerheden' }).click();
      await checkA11y(page, 'breach cases');
      // Open a case: its page counts down to the 72-hour deadline.
      const aware = new Date(Date.now() - 3 * 3600e3).toISOString().slice(0, 16);
      await page.getByLabel('Overskrift').fill('Mails om flytninger til fred.dk');
      await page.getByLabel('Opdaget').fill(aware);
      await page.getByRole('button', { name: 'Opret sag' }).click();
      assert.match(await page.locator('#countdown').innerText(), /t \d+ min tilbage/);
      await checkA11y(page, 'breach case');
      await page.getByRole('link', { name: 'Alle sager' }).click();
      await page.getByRole('link', { name: /Find berørte borgere/ }).click();
      await checkA11y(page, 'breach form');
      await page.getByLabel('Domæne').fill('fred.dk');
      await page.getByRole('button', { name: 'Find berørte' }).click();
      assert.match(await page.getByRole('status').innerText(), /Intet fundet/);
      await checkA11y(page, 'breach nothing found');
      await page.getByLabel('Fra dato').fill('2026-12-31');
      await page.getByLabel('Til og med dato').fill('2026-01-01');
      await page.getByRole('button', { name: 'Find berørte' }).click();
      assert.match(await page.locator('main').innerText(), /Perioden begynder efter den slutter/);
      const users = await page.goto(server.baseUrl + '/staff/users');
      assert.equal(users.status(), 403);
      await checkA11y(page, 'forbidden page');
    });
  });

  test('the platform operator sees the organisations page', async () => {
    await run('operator', async (contexts) => {
      const { context, page } = await signIn(OPERATOR);
      contexts.push(context);
      await page.getByRole('link', { name: 'Organisationer' }).click();
      assert.match(await page.locator('table').innerText(), /Prøvested Kommune/);
      await checkA11y(page, 'platform organisations');
      await page.getByLabel('Navn', { exact: true }).fill('Fred Kommune');
      await page.getByLabel('Egne maildomæner').fill('fred.dk');
      await page.getByLabel('Første administrators navn').fill('Fred Admin');
      await page.getByLabel('Første administrators e-mailadresse').fill('admin@fred.dk');
      await page.getByRole('button', { name: 'Opret organisation' }).click();
      await page.locator('#error-summary').waitFor();
      assert.match(await page.locator('#error-summary').innerText(), /fred\.dk ligner fredericia\.dk/);
      await checkA11y(page, 'platform with lookalike warning');
    });
  });

  test('a centre administrator is signed in and signs out', async () => {
    await run('centre-admin', async (contexts) => {
      const { context, page } = await signIn(CENTRE_ADMIN);
      contexts.push(context);
      // A citizen's data on request: an unknown reference is a clear answer, not an error page.
      await page.getByRole('link', { name: 'Borgers oplysninger' }).click();
      await checkA11y(page, 'citizen data form');
      await page.getByLabel('Bookingnummer').fill('XXX-9XX');
      await page.getByRole('button', { name: 'Vis oplysningerne' }).click();
      assert.match(await page.locator('main').innerText(), /Vi kan ikke finde det, du leder efter/);
      await checkA11y(page, 'citizen data not found');
      await page.goto(server.baseUrl + '/staff');
      await page.getByRole('button', { name: 'Log ud' }).click();
      await page.waitForURL(/\/staff\/sign-in/);
      await page.goto(server.baseUrl + '/staff/account');
      assert.match(page.url(), /\/staff\/sign-in/, 'signed out for real');
    });
  });
});
