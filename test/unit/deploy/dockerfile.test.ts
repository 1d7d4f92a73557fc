// The Dockerfile's structure, cheaply (the image test builds and runs it): one base image argument
// for every stage, the build toolchain only in the build stages, the runtime settings, and the
// version label in step with package.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Instructions with their continuation lines joined and comments dropped. */
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

interface Stage {
  from: string;
  name: string | undefined;
  lines: string[];
}

const stages: Stage[] = [];
for (const line of instructions) {
  const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
  if (from) stages.push({ from: from[1] as string, name: from[2], lines: [] });
  else stages.at(-1)?.lines.push(line);
}
const runtime = stages.at(-1) as Stage;

describe('Dockerfile', () => {
  it('takes the Node base image as one argument, declared before the first FROM, for every stage', () => {
    expect(instructions[0]).toMatch(/^ARG NODE_IMAGE=node:(22|24)-bookworm-slim$/);
    const names = new Set(stages.map((s) => s.name));
    for (const stage of stages) expect([...names, '${NODE_IMAGE}']).toContain(stage.from);
    expect(stages.filter((s) => s.from === '${NODE_IMAGE}').map((s) => s.name)).toEqual(['deps', 'runtime']);
  });

  it('installs the compiler only in the build stages and copies the manifests before the sources', () => {
    expect(runtime.lines.join('\n')).not.toMatch(/apt-get|npm (ci|install|rebuild)/);
    const deps = stages.find((s) => s.name === 'deps') as Stage;
    const manifests = deps.lines.findIndex((l) => /^COPY package\.json package-lock\.json/.test(l));
    const ci = deps.lines.findIndex((l) => /npm ci --ignore-scripts/.test(l));
    expect(manifests).toBeGreaterThanOrEqual(0);
    expect(ci).toBeGreaterThan(manifests);
    expect(deps.lines.some((l) => /^COPY src/.test(l))).toBe(false);
  });

  it('runs as a numeric non-root user with the ops and Slack ports, /data and a node health check', () => {
    const user = runtime.lines.find((l) => l.startsWith('USER '));
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    expect(runtime.lines).toContain('EXPOSE 9464 3000');
    expect(runtime.lines).toContain('VOLUME ["/data"]');
    expect(runtime.lines).toContain('ENTRYPOINT ["node", "/app/dist/main.js"]');
    expect(runtime.lines).toContain('CMD ["run"]');
    expect(runtime.lines.some((l) => /^ENV .*NODE_ENV=production/.test(l) && /MEMWARDEN_DATA_DIR=\/data/.test(l))).toBe(true);
    const health = runtime.lines.find((l) => l.startsWith('HEALTHCHECK ')) as string;
    expect(health).toContain('CMD ["node", "-e"');
    expect(health).toContain('MEMWARDEN_OPS_PORT || 9464');
    expect(health).toContain('/healthz');
    // only the flags the classic builder of Docker 20.10 knows (--start-interval is 25+)
    for (const flag of health.match(/--[a-z-]+(?==)/g) ?? []) expect(['--interval', '--timeout', '--start-period', '--retries']).toContain(flag);
  });

  it("listens for /metrics and /healthz on every interface of the container (the image's ops.host), set by MEMWARDEN_OPS_HOST", () => {
    // Outside a container the default is the loopback; a container's loopback cannot be reached
    // from the host, so the image decides explicitly, and compose publishes the port on 127.0.0.1.
    expect(runtime.lines.some((l) => /^ENV .*\bMEMWARDEN_OPS_HOST=0\.0\.0\.0\b/.test(l))).toBe(true);
  });

  it('labels the image with the version of package.json', () => {
    expect(runtime.lines).toContain(`ARG MEMWARDEN_VERSION=${pkg.version}`);
    expect(runtime.lines.join('\n')).toContain('org.opencontainers.image.version="${MEMWARDEN_VERSION}"');
  });
});
