// Lobby fan-out: N server-sent-event clients on one centre's lobby, then R walk-in tickets taken
// over the staff API; for every client and ticket, the time from just before the ticket request
// until that client holds a board showing the new ticket. Beside it, the same run's baseline: a
// trivial request (GET /healthz), sequential. Loopback only; no npm packages (Node 20+).
//
//   node bench/sse-fanout.mjs <base-url> <centre-id> [clients] [rounds]
//
// Normally started by bench/sse-fanout.sh, which builds and starts a demo server.

import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [base, centre, clientsArg, roundsArg] = process.argv.slice(2);
if (!base || !centre) {
  console.error('usage: node bench/sse-fanout.mjs <base-url> <centre-id> [clients] [rounds]');
  process.exit(2);
}
const N = Number(clientsArg ?? 500);
const ROUNDS = Number(roundsArg ?? 30);
const SPACING_MS = 300; // quiet time between rounds
const ROUND_TIMEOUT_MS = 3000; // a client without the round's board by then missed it
const CONNECT_TIMEOUT_MS = 30000;
const EMAIL = 'receptionist@eksempelkommune.dk';
const PASSWORD = 'skranke-demo-2026';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}
const f = (ms) => (Number.isFinite(ms) ? ms.toFixed(2) : '–');

// --- SSE clients: node:http (lighter than 500 fetch streams). The handler only timestamps,
// splits events and reads the `id:` (the board's seq); JSON is parsed after the run.
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let round = null; // { base seq per client, pending count, resolve }

class Client {
  constructor(i) {
    this.i = i;
    this.buf = '';
    this.lastSeq = -1;
    this.events = []; // [time, seq, data]
    this.errors = 0;
    this.req = null;
  }

  connect(onFirst) {
    const url = new URL(`/centres/${centre}/lobby/events`, base);
    this.req = http.get(url, { agent, headers: { Accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        console.error(`client ${this.i}: HTTP ${res.statusCode}`);
        this.errors++;
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const t = performance.now();
        this.buf += chunk;
        let end;
        while ((end = this.buf.indexOf('\n\n')) !== -1) {
          const raw = this.buf.slice(0, end);
          this.buf = this.buf.slice(end + 2);
          this.onEvent(t, raw, onFirst);
        }
      });
      res.on('error', () => this.errors++);
    });
    this.req.on('error', (e) => {
      this.errors++;
      console.error(`client ${this.i}: ${e.message}`);
    });
  }

  onEvent(t, raw, onFirst) {
    let name = 'message';
    let seq = null;
    const data = [];
    for (const line of raw.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('id:')) seq = Number(line.slice(3).trim());
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (name !== 'board' || seq === null) return; // keep-alive comments and the like
    this.events.push([t, seq, data.join('\n')]);
    const first = this.lastSeq < 0;
    this.lastSeq = Math.max(this.lastSeq, seq);
    if (first) onFirst();
    if (round && !round.got[this.i] && seq > round.base[this.i]) {
      round.got[this.i] = true;
      if (--round.pending === 0) round.resolve();
    }
  }
}

// --- staff API through fetch.
let cookie = '';
let csrf = '';

async function api(method, path, body) {
  const headers = { Cookie: `skranke_session=${cookie}` };
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = csrf;
    headers['Content-Type'] = 'application/json';
  }
  const r = await fetch(new URL(path, base), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return json;
}

async function signIn() {
  const r = await fetch(new URL('/staff/sign-in', base), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: EMAIL, password: PASSWORD, next: '/staff' }),
  });
  await r.text();
  const set = r.headers.getSetCookie().find((c) => c.startsWith('skranke_session='));
  if (r.status !== 303 || !set) throw new Error(`sign-in: HTTP ${r.status}, no session cookie`);
  cookie = set.slice('skranke_session='.length).split(';')[0];
  const page = await fetch(new URL('/staff/account', base), { headers: { Cookie: `skranke_session=${cookie}` } });
  const html = await page.text();
  const m = html.match(/name="_csrf" value="([0-9a-fA-F]+)"/);
  if (!m) throw new Error('no CSRF token on /staff/account');
  csrf = m[1];
}

async function healthz(n) {
  const times = [];
  const url = new URL('/healthz', base);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await fetch(url);
    await r.arrayBuffer();
    times.push(performance.now() - t);
    if (!r.ok) throw new Error(`/healthz: HTTP ${r.status}`);
  }
  return times.sort((a, b) => a - b);
}

// The waiting count of the queue with `prefix` on a board (the JSON `data`), or null.
function waitingOf(data, prefix) {
  const board = JSON.parse(data);
  const q = board.queues.find((x) => x.prefix === prefix);
  return q ? q.waiting : null;
}

async function main() {
  console.log(`SSE fan-out: ${N} lobby clients, ${ROUNDS} tickets ~${SPACING_MS} ms apart, ${base}`);

  // Baseline on the quiet server (also warms the connection pool).
  await healthz(20);
  const quiet = await healthz(200);

  // Connect everyone at once; done when each holds its first board.
  const clients = Array.from({ length: N }, (_, i) => new Client(i));
  const tConnect = performance.now();
  let connected = 0;
  let allFirst;
  const everyoneIn = new Promise((r) => (allFirst = r));
  for (const c of clients) c.connect(() => ++connected === N && allFirst());
  const timeout = sleep(CONNECT_TIMEOUT_MS).then(() => 'timeout');
  if ((await Promise.race([everyoneIn, timeout])) === 'timeout') {
    throw new Error(`only ${connected} of ${N} clients got their first board in ${CONNECT_TIMEOUT_MS} ms`);
  }
  const connectMs = performance.now() - tConnect;

  // Staff: sign in, open the first desk of the centre, pick a service.
  await signIn();
  const desks = await api('GET', `/api/v1/staff/centres/${centre}/desks`);
  await api('POST', `/api/v1/staff/desks/${desks[0].id}/open`, {});
  const services = await api('GET', `/api/v1/centres/${centre}/services`);
  const service = services[0].id;
  await sleep(SPACING_MS * 2); // let the desk's board reach everyone

  const rounds = [];
  for (let k = 0; k < ROUNDS; k++) {
    const got = new Array(N).fill(false);
    const baseSeq = clients.map((c) => c.lastSeq);
    let resolve;
    const done = new Promise((r) => (resolve = r));
    round = { base: baseSeq, got, pending: N, resolve };
    const t0 = performance.now();
    const ticket = await api('POST', `/api/v1/staff/centres/${centre}/tickets`, { service });
    const tAnswer = performance.now();
    await Promise.race([done, sleep(ROUND_TIMEOUT_MS)]);
    round = null;
    rounds.push({ t0, answerMs: tAnswer - t0, prefix: String(ticket.visit.ticket).replace(/[0-9]+$/, '') });
    await sleep(SPACING_MS);
  }
  const tEnd = performance.now();
  await sleep(50);
  const busy = await healthz(200); // the same trivial request with the N streams open

  // Per client and round: the first board after t0 (and before the next round) whose waiting
  // count for the ticket's queue is one more than on the last board before t0.
  const samples = [];
  let missed = 0;
  let stale = 0;
  const missedClients = new Set();
  const firsts = [];
  const lasts = [];
  for (let k = 0; k < rounds.length; k++) {
    const { t0, prefix } = rounds[k];
    let first = Infinity;
    let last = -Infinity;
    const until = k + 1 < rounds.length ? rounds[k + 1].t0 : tEnd;
    for (const c of clients) {
      let before = null;
      let hit = null;
      for (const [t, , data] of c.events) {
        if (t < t0) before = data;
        else if (t < until) {
          const w = waitingOf(data, prefix);
          const expect = before === null ? null : waitingOf(before, prefix) + 1;
          if (expect !== null && w !== null && w >= expect) {
            hit = t;
            break;
          }
          stale++;
        } else break;
      }
      if (hit === null) {
        missed++;
        missedClients.add(c.i);
      } else {
        samples.push(hit - t0);
        first = Math.min(first, hit - t0);
        last = Math.max(last, hit - t0);
      }
    }
    if (Number.isFinite(first)) {
      firsts.push(first);
      lasts.push(last);
    }
  }
  firsts.sort((a, b) => a - b);
  lasts.sort((a, b) => a - b);
  samples.sort((a, b) => a - b);
  const answers = rounds.map((r) => r.answerMs).sort((a, b) => a - b);
  const errors = clients.reduce((s, c) => s + c.errors, 0);

  console.log(`connect: ${N} clients connected and holding their first board in ${connectMs.toFixed(0)} ms`);
  console.log('| measured | samples | p50 ms | p90 ms | p99 ms | max ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const row = (label, s) =>
    console.log(
      `| ${label} | ${s.length} | ${f(pct(s, 50))} | ${f(pct(s, 90))} | ${f(pct(s, 99))} | ${f(s[s.length - 1])} |`,
    );
  row('GET /healthz, quiet (baseline)', quiet);
  row(`GET /healthz, ${N} streams open`, busy);
  row('POST ticket, answer', answers);
  row('board delivery, first client of each ticket', firsts);
  row('board delivery, last client of each ticket', lasts);
  row(`board delivery, ${N} clients × ${ROUNDS} tickets`, samples);
  console.log(
    `missed: ${missed} of ${N * ROUNDS} client×ticket samples (${missedClients.size} clients); ` +
      `boards after t0 not yet showing the ticket: ${stale}; stream errors: ${errors}`,
  );
  const p99 = pct(samples, 99);
  const ok = p99 <= 100 && missed === 0;
  console.log(
    `SUMMARY: ${N} lobby clients, ${ROUNDS} tickets: delivery p50 ${f(pct(samples, 50))} ms, p99 ${f(p99)} ms, ` +
      `max ${f(samples[samples.length - 1])} ms, missed ${missed} (target p99 ≤ 100 ms, none missed: ` +
      `${ok ? 'met' : 'MISSED'}); connect ${connectMs.toFixed(0)} ms; /healthz p50 ${f(pct(quiet, 50))} ms, ` +
      `p99 ${f(pct(quiet, 99))} ms`,
  );

  for (const c of clients) c.req?.destroy();
  agent.destroy();
  // A missed event is a failure; a slow one is a figure.
  process.exit(missed === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
