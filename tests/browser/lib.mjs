// Shared helpers for Skranke's browser tests.
//
// - startServer():   run `skranke demo` on a random loopback port with a fresh SQLite DB
// - launchBrowser(): headless Debian chromium driven by playwright-core
// - checkA11y():     axe-core WCAG 2.0/2.1 A+AA scan; fails on serious/critical violations
// - screenshot():    PNG into tests/browser/artifacts/ for failure diagnosis

import { spawn } from 'node:child_process';
import { AssertionError } from 'node:assert';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const ARTIFACTS_DIR = join(here, 'artifacts');
export const DEFAULT_SKRANKE_BIN = join(here, '..', '..', 'target', 'debug', 'skranke');
export const STARTUP_TIMEOUT_MS = 60_000;
const LISTENING_RE = /^Listening on (http:\/\/\S+)/;
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;]*[A-Za-z]/g;
const MAX_LOG_CHARS = 200_000;

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

// Children still alive; killed if the test process goes away first.
const liveChildren = new Set();
let exitHooksInstalled = false;

function installExitHooks() {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = () => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    liveChildren.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      killAll();
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[signal]);
    });
  }
}

function appendCapped(buf, text) {
  const joined = buf + text;
  return joined.length > MAX_LOG_CHARS ? joined.slice(joined.length - MAX_LOG_CHARS) : joined;
}

/**
 * Start `skranke demo` on 127.0.0.1 with a random port and a fresh SQLite DB.
 *
 * The binary is `$SKRANKE_BIN`, else ../../target/debug/skranke relative to
 * this file. Resolves once the server prints `Listening on http://...` on
 * stdout (60 s timeout). The child's stderr is buffered and written to our
 * stderr only on failure: startup failure, an unexpected exit, or when the
 * caller asks via `dumpLogs()` (e.g. from a failing test).
 *
 * @returns {Promise<{ baseUrl: string, stop: () => Promise<void>, dumpLogs: (why?: string) => void, logs: () => {stdout: string, stderr: string} }>}
 */
export async function startServer({ timeoutMs = STARTUP_TIMEOUT_MS, extraArgs = [] } = {}) {
  installExitHooks();
  const bin = process.env.SKRANKE_BIN || DEFAULT_SKRANKE_BIN;
  const dataDir = mkdtempSync(join(tmpdir(), 'skranke-browser-'));
  const args = [
    'demo',
    '--listen', '127.0.0.1:0',
    '--database', `sqlite://${join(dataDir, 'demo.db')}`,
    ...extraArgs,
  ];

  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);

  let stdout = '';
  let stderr = '';
  let stopping = false;
  let exited = false;
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      liveChildren.delete(child);
      resolve({ code, signal });
    });
    // 'exit' is not emitted when spawn itself fails.
    child.once('error', () => {
      exited = true;
      liveChildren.delete(child);
      resolve({ code: null, signal: null });
    });
  });

  const dumpLogs = (why = 'skranke server logs') => {
    process.stderr.write(
      `\n----- ${why} (${bin} ${args.join(' ')}) -----\n` +
        `--- stderr ---\n${stderr || '(empty)\n'}` +
        `--- stdout ---\n${stdout || '(empty)\n'}` +
        `----- end of skranke server logs -----\n`,
    );
  };

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = appendCapped(stderr, chunk);
  });

  const baseUrl = await new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Give stderr a moment to drain so the dump is complete.
      setTimeout(() => {
        dumpLogs('skranke failed to start');
        child.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
        reject(new Error(message));
      }, 100);
    };
    const timer = setTimeout(
      () => fail(`skranke did not print "Listening on http://..." within ${timeoutMs} ms`),
      timeoutMs,
    );

    // Keep draining stdout for the whole lifetime so the child never blocks on a full pipe.
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (rawLine) => {
      stdout = appendCapped(stdout, rawLine + '\n');
      if (settled) return;
      const match = LISTENING_RE.exec(rawLine.replace(ANSI_RE, '').trim());
      if (match) {
        settled = true;
        clearTimeout(timer);
        resolve(match[1].replace(/\/+$/, ''));
      }
    });

    child.once('error', (err) => {
      const hint = err.code === 'ENOENT'
        ? ' (build it with `cargo build`, or point SKRANKE_BIN at the binary)'
        : '';
      fail(`could not start skranke at ${bin}: ${err.message}${hint}`);
    });
    exitPromise.then(({ code, signal }) => {
      if (!settled) fail(`skranke exited before listening (code ${code}, signal ${signal})`);
    });
  });

  // A crash after startup is a failure too: show what the server said.
  exitPromise.then(({ code, signal }) => {
    if (!stopping) dumpLogs(`skranke exited unexpectedly (code ${code}, signal ${signal})`);
  });

  const stop = async () => {
    if (stopping) return exitPromise.then(() => undefined);
    stopping = true;
    if (!exited) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exitPromise;
      clearTimeout(killTimer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  return { baseUrl, stop, dumpLogs, logs: () => ({ stdout, stderr }) };
}

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** Launch Debian's headless chromium (`$CHROMIUM`, default /usr/bin/chromium). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}

// ---------------------------------------------------------------------------
// Accessibility
// ---------------------------------------------------------------------------

export const AXE_PATH = require.resolve('axe-core/axe.min.js');
export const WCAG_TAGS = Object.freeze(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
export const BLOCKING_IMPACTS = Object.freeze(['serious', 'critical']);

/**
 * Every violation seen by checkA11y in this process, blocking or not, as
 * `{ label, url, violation }`, for logging/reporting.
 */
export const allViolations = [];

let axeSource;

async function injectAxe(page) {
  if (await page.evaluate(() => typeof window.axe === 'object')) return;
  try {
    await page.addScriptTag({ path: AXE_PATH });
  } catch {
    // fall through to the CSP-proof path below
  }
  // A strict Content-Security-Policy (no inline scripts) silently blocks the
  // injected <script>; evaluating through the DevTools protocol is not subject to CSP.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    axeSource ??= readFileSync(AXE_PATH, 'utf8');
    await page.evaluate(axeSource);
  }
}

function formatTarget(target) {
  // Targets are selectors, or arrays of selectors for iframes / shadow DOM.
  return Array.isArray(target) ? target.map(formatTarget).join(' >>> ') : String(target);
}

/** Human-readable, one block per violation. */
export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `      - ${formatTarget(n.target)}  ${n.html.replace(/\s+/g, ' ').slice(0, 160)}`)
        .join('\n');
      return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

/**
 * Run axe-core (WCAG 2.0/2.1 A and AA) on the page. Throws an AssertionError
 * listing every `serious` or `critical` violation; returns all violations
 * (including minor/moderate ones) otherwise.
 *
 * @param {import('playwright-core').Page} page
 * @param {string} label  names the page/state in the failure message
 */
export async function checkA11y(page, label = page.url()) {
  await injectAxe(page);
  const results = await page.evaluate(
    (tags) =>
      window.axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      }),
    [...WCAG_TAGS],
  );
  const violations = results.violations;
  const url = page.url();
  for (const violation of violations) allViolations.push({ label, url, violation });

  const blocking = violations.filter((v) => BLOCKING_IMPACTS.includes(v.impact));
  if (blocking.length > 0) {
    const err = new AssertionError({
      message:
        `[a11y] ${label} (${url}): ${blocking.length} serious/critical WCAG violation(s)\n` +
        formatViolations(blocking),
      actual: blocking.map((v) => v.id),
      expected: [],
      operator: 'checkA11y',
    });
    err.violations = violations;
    throw err;
  }
  return violations;
}

// ---------------------------------------------------------------------------
// Screenshots
// ---------------------------------------------------------------------------

/** Save a full-page PNG as tests/browser/artifacts/<name>.png; returns the path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const safe = String(name).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'page';
  const path = join(ARTIFACTS_DIR, `${safe}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
