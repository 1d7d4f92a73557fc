// The operations endpoint: GET /metrics for Prometheus and GET /healthz for Docker's
// HEALTHCHECK, load balancers and Kubernetes probes. Plain node:http: two read-only routes do
// not need a framework, and this server must stay up even when Slack's HTTP receiver is off.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { HealthReport } from './health.js';

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port (tests); the bound port is in `port`. */
  port: number;
  health: () => HealthReport;
  metrics: { contentType: string; render: () => Promise<string> };
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((req, res) => {
    void handle(req, res, options).catch((err: unknown) => {
      options.logger.error({ err, url: req.url }, 'Operations endpoint failed');
      // The error text stays in the log: it can name files, queries or hosts, and these endpoints
      // have no authentication.
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', "internal error: the details are in memwarden's log\n");
      else res.destroy();
    });
  });
  // A scraper that keeps connections open must not hold up shutdown for long.
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ host: options.host, port }, 'Serving /metrics and /healthz');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: OpsServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== '/healthz' && path !== '/metrics') {
    send(res, 404, 'text/plain; charset=utf-8', 'not found: memwarden serves GET /metrics and GET /healthz\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', `method ${req.method ?? ''} not allowed: use GET\n`);
    return;
  }
  if (path === '/healthz') {
    const report = options.health();
    send(res, report.httpStatus, 'application/json; charset=utf-8', `${JSON.stringify({ status: report.status, checks: report.checks })}\n`, req.method === 'HEAD');
    return;
  }
  const body = await options.metrics.render();
  send(res, 200, options.metrics.contentType, body, req.method === 'HEAD');
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headOnly = false): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(headOnly ? undefined : body);
}
