// Queues in Chromium, the way a morning goes: a citizen takes a ticket at the kiosk, a
// receptionist calls it to a desk with the keyboard, the lobby screen shows the call without a
// reload, the receptionist moves the citizen to the Ydelsescenter's queue, and a caseworker there
// calls, serves and finishes. axe-core checks every screen on the way (no serious or critical
// violation). The demo's clock starts on a Monday at 09:00, so the centres are open whenever
// the test runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkA11y, launchBrowser, screenshot, startServer } from './lib.mjs';

const PASSWORD = 'skranke-demo-2026';
const RECEPTIONIST = 'receptionist@eksempelkommune.dk';
const CASEWORKER = 'caseworker@eksempelkommune.dk';
const ORG_ADMIN = 'org-admin@eksempelkommune.dk';

describe('queues', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ extraArgs: ['--now', '2026-11-30T09:00'] });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

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

  test('kiosk ticket → desk call → lobby → transfer → another desk finishes', async () => {
    const contexts = [];
    try {
      // The kiosk: a receptionist puts the device in kiosk mode; a citizen taps "Pas".
      const kiosk = await signIn(RECEPTIONIST);
      contexts.push(kiosk.context);
      await kiosk.page.getByRole('link', { name: 'Kiosk (træk nummer)' }).click();
      const centre = /\/staff\/centres\/([0-9a-f-]+)\/kiosk/.exec(kiosk.page.url())[1];
      await checkA11y(kiosk.page, 'kiosk');
      // A wrong booking reference is explained where the citizen looks, and kept for fixing.
      await kiosk.page.getByLabel('Bookingnummer').fill('234-567');
      await kiosk.page.getByRole('button', { name: 'Tjek ind' }).click();
      await kiosk.page.getByRole('alert').waitFor();
      assert.match(await kiosk.page.getByRole('alert').innerText(), /Vi kan ikke finde en aftale/);
      assert.equal(await kiosk.page.getByLabel('Bookingnummer').inputValue(), '234-567');
      await checkA11y(kiosk.page, 'kiosk with error');
      await kiosk.page.getByRole('button', { name: 'Pas', exact: true }).click();
      await kiosk.page.locator('#ticket-number').waitFor();
      assert.equal(await kiosk.page.locator('#ticket-number').innerText(), 'B001');
      assert.match(await kiosk.page.locator('#ticket-estimate').innerText(), /Ingen skranke er åben/);
      await checkA11y(kiosk.page, 'ticket');

      // The lobby screen, nobody signed in.
      const lobbyContext = await browser.newContext();
      contexts.push(lobbyContext);
      const lobby = await lobbyContext.newPage();
      await lobby.goto(`${server.baseUrl}/centres/${centre}/lobby`);
      await lobby.locator('#lobby-status:not(.offline)', { hasText: 'Opdateres løbende' }).waitFor();
      assert.match(await lobby.locator('#lobby-queues').innerText(), /Borgerservice\s+1/);
      await checkA11y(lobby, 'lobby');

      // The receptionist opens desk 1 and calls with the keyboard (N).
      const deskA = await signIn(RECEPTIONIST);
      contexts.push(deskA.context);
      await deskA.page.getByRole('link', { name: 'Skranke', exact: true }).click();
      await checkA11y(deskA.page, 'desk picker');
      await deskA.page.getByLabel('Din skranke').selectOption({ label: 'Skranke 1' });
      await deskA.page.getByRole('button', { name: 'Åbn skranken' }).click();
      await deskA.page.getByRole('status').waitFor();
      assert.match(await deskA.page.locator('#desk-live').innerText(), /B001/);
      await checkA11y(deskA.page, 'desk open');
      await deskA.page.keyboard.press('n');
      await deskA.page.locator('#current-ticket', { hasText: 'B001' }).waitFor();
      await checkA11y(deskA.page, 'desk with citizen');

      // The lobby shows the call live, without a reload.
      await lobby.locator('#lobby-latest', { hasText: 'B001' }).waitFor({ timeout: 10_000 });
      assert.match(await lobby.locator('#lobby-latest').innerText(), /B001.*Skranke 1/s);
      assert.match(await lobby.locator('#lobby-calls').innerText(), /B001\s+Skranke 1\s+\d\d:\d\d/);
      await checkA11y(lobby, 'lobby with call');

      // Moved to the Ydelsescenter's queue, with a reason.
      const target = deskA.page.getByLabel('Flyt til kø');
      const options = await target.locator('option').allInnerTexts();
      const ydelse = options.find((o) => o.startsWith('Ydelsescenter'));
      assert.ok(ydelse, `a queue of the Ydelsescenter among ${options}`);
      await target.selectOption({ label: ydelse });
      await deskA.page.getByLabel(/^Begrundelse/).fill('Spørgsmål om enkeltydelse');
      await deskA.page.getByRole('button', { name: /^Flyt/ }).click();
      await deskA.page.getByRole('status').waitFor();
      assert.match(await deskA.page.getByRole('status').innerText(), /flyttet/);
      assert.match(await deskA.page.locator('#desk-live').innerText(), /Ingen borger ved skranken/);

      // The caseworker at the Ydelsescenter calls, starts and finishes.
      const deskB = await signIn(CASEWORKER);
      contexts.push(deskB.context);
      await deskB.page.getByRole('link', { name: 'Skranke', exact: true }).click();
      await deskB.page.getByRole('button', { name: 'Åbn skranken' }).click();
      await deskB.page.getByRole('status').waitFor();
      assert.match(await deskB.page.locator('#desk-live').innerText(), /B001/);
      await deskB.page.getByRole('button', { name: /Kald næste/ }).click();
      await deskB.page.locator('#current-ticket', { hasText: 'B001' }).waitFor();
      await deskB.page.getByRole('button', { name: /^Start/ }).click();
      await deskB.page.getByRole('button', { name: /^Færdig/ }).waitFor();
      await checkA11y(deskB.page, 'desk serving');
      await deskB.page.getByRole('button', { name: /^Færdig/ }).click();
      await deskB.page.getByRole('status', { name: '' }).first().waitFor();
      assert.match(await deskB.page.locator('.notice').innerText(), /Besøget er afsluttet/);

      // The administrator's statistics for the Ydelsescenter: one visit, served.
      const admin = await signIn(ORG_ADMIN);
      contexts.push(admin.context);
      const ydelseId = /\/staff\/centres\/([0-9a-f-]+)\/desk/.exec(deskB.page.url())[1];
      await admin.page.goto(`${server.baseUrl}/staff/centres/${ydelseId}/stats`);
      await admin.page.locator('figure.chart svg[role="img"]').waitFor();
      const row = await admin.page.locator('table tbody tr').first().innerText();
      assert.match(row, /2026-11-30/);
      await checkA11y(admin.page, 'stats');
    } catch (err) {
      for (const [i, c] of contexts.entries()) {
        for (const p of c.pages()) {
          const shot = await screenshot(p, `queue-${i}`).catch(() => null);
          if (shot) process.stderr.write(`screenshot: ${shot}\n`);
        }
      }
      server.dumpLogs('skranke logs for the failed queue test');
      throw err;
    } finally {
      for (const c of contexts) await c.close();
    }
  });
});
