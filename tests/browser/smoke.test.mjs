// Smoke test: the demo server starts, key pages answer 200, HTML pages
// have no serious/critical WCAG 2.0/2.1 A/AA violations, and the OpenAPI
// document is served as JSON.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkA11y, launchBrowser, screenshot, startServer } from './lib.mjs';

const PATHS = ['/', '/healthz'];

describe('smoke', () => {
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

  test('GET /api/v1/openapi.json returns the OpenAPI document as JSON', async () => {
    const page = await browser.newPage();
    try {
      const response = await page.request.get(server.baseUrl + '/api/v1/openapi.json');
      assert.equal(response.status(), 200, 'status of /api/v1/openapi.json');
      assert.match(response.headers()['content-type'] ?? '', /^application\/json\b/, 'content-type');
      const doc = JSON.parse(await response.text());
      assert.match(String(doc.openapi), /^3\./, 'openapi version field');
      assert.equal(typeof doc.paths, 'object', 'has paths');
      assert.ok(Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/')), 'documents /api/v1 routes');
    } catch (err) {
      server.dumpLogs('skranke logs for failed test GET /api/v1/openapi.json');
      throw err;
    } finally {
      await page.close();
    }
  });

  for (const path of PATHS) {
    test(`GET ${path}`, async () => {
      const page = await browser.newPage();
      try {
        const response = await page.goto(server.baseUrl + path, { waitUntil: 'load' });
        assert.ok(response, `no response for ${path}`);
        assert.equal(response.status(), 200, `status of ${path}`);
        const contentType = response.headers()['content-type'] ?? '';
        if (contentType.includes('text/html')) {
          await checkA11y(page, `smoke ${path}`);
        }
      } catch (err) {
        const shot = await screenshot(page, `smoke${path === '/' ? '-root' : path}`).catch(() => null);
        if (shot) process.stderr.write(`screenshot: ${shot}\n`);
        server.dumpLogs(`skranke logs for failed test GET ${path}`);
        throw err;
      } finally {
        await page.close();
      }
    });
  }
});
