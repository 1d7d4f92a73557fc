// The operations server over real HTTP on a free port: routes, status codes, methods, errors.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateHealth, type HealthReport } from '../../../src/ops/health.js';
import { type OpsServer, startOpsServer } from '../../../src/ops/ops-server.js';
import { captureLogger } from '../slack/bolt-test-kit.js';

const { logger, lines: logged } = captureLogger();

let report: HealthReport;
let render: () => Promise<string>;
let server: OpsServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  logged.length = 0;
});

async function start(): Promise<string> {
  report = evaluateHealth({ now: 10_000, startedAt: 0, lastPollAt: 9_000, staleAfterMs: 5_000, docker: { reachable: true, error: null }, slack: { mode: 'console' }, store: { writable: true }, stopping: false });
  render = () => Promise.resolve('# HELP memwarden_up x\n# TYPE memwarden_up gauge\nmemwarden_up 1\n');
  server = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    health: () => report,
    metrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', render: () => render() },
    logger,
  });
  return `http://127.0.0.1:${server.port}`;
}

describe('ops server', () => {
  it('GET /healthz answers 200 with the checks as JSON, then 503 when the report says so', async () => {
    const base = await start();
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await ok.json()) as { status: string; checks: { docker: { ok: boolean } } };
    expect(body.status).toBe('ok');
    expect(body.checks.docker.ok).toBe(true);

    report = evaluateHealth({ now: 10_000, startedAt: 0, lastPollAt: 9_000, staleAfterMs: 5_000, docker: { reachable: false, error: 'connect ECONNREFUSED' }, slack: { mode: 'console' }, store: { writable: true }, stopping: false });
    const bad = await fetch(`${base}/healthz`);
    expect(bad.status).toBe(503);
    expect(((await bad.json()) as { checks: { docker: { detail: string } } }).checks.docker.detail).toBe('unreachable: connect ECONNREFUSED');
  });

  it('GET /metrics serves the exposition with its content type; HEAD sends headers only', async () => {
    const base = await start();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain('memwarden_up 1');
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses other paths (404) and other methods (405 with Allow)', async () => {
    const base = await start();
    const missing = await fetch(`${base}/slack/events`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('GET /metrics and GET /healthz');
    const post = await fetch(`${base}/healthz`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('a 500 never echoes the internal error text: the body is fixed, the error goes to the log, and it keeps serving', async () => {
    const base = await start();
    render = () => Promise.reject(new Error('SQLITE_CANTOPEN: /srv/secret/memwarden.db is closed'));
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("internal error: the details are in memwarden's log\n");
    const errors = logged.filter((l) => l.level === 50);
    expect(errors.map((l) => l.msg)).toEqual(['Operations endpoint failed']);
    expect(errors[0]).toMatchObject({ err: { message: 'SQLITE_CANTOPEN: /srv/secret/memwarden.db is closed' } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('fails to start with EADDRINUSE when the port is taken, so the caller can say which', async () => {
    const base = await start();
    const port = Number(new URL(base).port);
    await expect(startOpsServer({ host: '127.0.0.1', port, health: () => report, metrics: { contentType: 'text/plain', render: () => render() }, logger })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('close() ends open connections instead of waiting for them', async () => {
    const base = await start();
    // A client that sent half a request and waits: without closeAllConnections, close() would
    // wait for requestTimeout (10 s), past this test's 5 s timeout.
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    // The server resets the connection: that is the point, not an error here.
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await server?.close();
    server = null;
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});
