// docker-compose.example.yml parses, and keeps the properties that make it safe to copy: memwarden
// non-root with a read-only root filesystem, no capabilities and a memory limit; host paths mounted
// read-only; the Docker API only through a proxy that is never published and allows exactly the
// calls memwarden makes; a memory limit on every service.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from '../../../src/config/load-config.js';
import { configSchema } from '../../../src/config/schema.js';
import { allowed, COMPOSE_FILE, MEMWARDEN_DOCKER_CALLS, PROXY_SERVICE, proxyAllowlist, readCompose } from './socket-proxy.js';

interface Service {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  user?: string;
  read_only?: boolean;
  tmpfs?: string[];
  pid?: string;
  privileged?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  mem_limit?: string;
  memswap_limit?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  networks?: string[];
  network_mode?: string;
  configs?: { source: string; target: string }[];
  command?: string[];
  group_add?: string[];
  depends_on?: string[];
}

interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { internal?: boolean } | null>;
  volumes: Record<string, unknown>;
  configs: Record<string, { content?: string; file?: string }>;
}

const compose = readCompose() as unknown as Compose;
const memwarden = compose.services.memwarden as Service;
const proxy = compose.services[PROXY_SERVICE] as Service;

/** "host:container[:mode]" of a short-syntax volume whose source is a host path. */
function bindMounts(service: Service): { source: string; target: string; mode: string }[] {
  return (service.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source?.startsWith('/') || source?.startsWith('.'))
    .map(([source, target, mode]) => ({ source: source as string, target: target as string, mode: mode ?? 'rw' }));
}

describe('docker-compose.example.yml', () => {
  it('is valid YAML without duplicate keys', () => {
    const doc = parseDocument(readFileSync(COMPOSE_FILE, 'utf8'), { uniqueKeys: true });
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
    expect(Object.keys(compose.services).sort()).toEqual(['backend', 'celery-worker', 'db', 'docker-proxy', 'memwarden', 'minio', 'redis']);
  });

  it('gives every service a memory limit, and no swap beyond it where set', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.mem_limit, name).toMatch(/^\d+[kmg]$/);
      if (service.memswap_limit !== undefined) expect(service.memswap_limit, name).toBe(service.mem_limit);
    }
    expect(memwarden.memswap_limit).toBe(memwarden.mem_limit);
  });

  it('runs memwarden non-root, read-only, without capabilities or privileges', () => {
    const [uid] = (memwarden.user ?? '').split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    expect(memwarden.read_only).toBe(true);
    expect(memwarden.tmpfs?.some((t) => t.split(':')[0] === '/tmp')).toBe(true);
    expect(memwarden.cap_drop).toEqual(['ALL']);
    expect(memwarden.cap_add).toBeUndefined();
    expect(memwarden.privileged).toBeUndefined();
    expect(memwarden.security_opt).toContain('no-new-privileges:true');
    expect(memwarden.network_mode).toBeUndefined();
  });

  it('shows memwarden the host: pid namespace, cgroup hierarchies read-only, its data volume', () => {
    expect(memwarden.pid).toBe('host');
    const binds = bindMounts(memwarden);
    expect(binds.length).toBeGreaterThan(0);
    for (const bind of binds) expect(bind.mode, `${bind.source} must be mounted read-only`).toBe('ro');
    // cgroup v1: each hierarchy separately (a read-only bind of /sys/fs/cgroup leaves them writable)
    expect(binds.map((b) => b.source)).toEqual(expect.arrayContaining(['/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids']));
    expect(binds.map((b) => b.source)).not.toContain('/sys/fs/cgroup');
    expect(memwarden.volumes).toContain('memwarden-data:/data');
    expect(compose.volumes).toHaveProperty('memwarden-data');
  });

  it("configures memwarden with a config that memwarden's schema accepts and that points at the mounts", () => {
    const [ref] = memwarden.configs ?? [];
    expect(ref?.target).toBe(memwarden.environment?.MEMWARDEN_CONFIG);
    const content = compose.configs[ref?.source as string]?.content as string;
    const parsed = configSchema.safeParse(parseConfigYaml(content, 'docker-compose.example.yml configs'));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    const cgroupRoot = parsed.data?.paths.cgroup as string;
    for (const bind of bindMounts(memwarden).filter((b) => b.source.startsWith('/sys/fs/cgroup'))) {
      expect(bind.target.startsWith(`${cgroupRoot}/`) || bind.target === cgroupRoot, bind.target).toBe(true);
      expect(path.posix.relative(cgroupRoot, bind.target)).toBe(path.posix.relative('/sys/fs/cgroup', bind.source));
    }
    // pid: host, so the container's own /proc is the host's: no proc mount, the default path
    expect(parsed.data?.paths.proc).toBe('/proc');
  });

  it('reaches Docker only through the proxy: no socket mount, DOCKER_HOST to the proxy', () => {
    expect((memwarden.volumes ?? []).some((v) => v.includes('docker.sock'))).toBe(false);
    expect(memwarden.environment?.DOCKER_HOST).toBe(`tcp://${PROXY_SERVICE}:2375`);
    expect(memwarden.depends_on).toContain(PROXY_SERVICE);
  });

  it('never publishes the proxy, keeps it on an internal network with memwarden and locks it down', () => {
    expect(proxy.ports).toBeUndefined();
    expect(proxy.network_mode).toBeUndefined();
    expect(proxy.networks).toEqual(['docker-api']);
    expect(compose.networks['docker-api']?.internal).toBe(true);
    expect(memwarden.networks).toContain('docker-api');
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== PROXY_SERVICE && name !== 'memwarden') expect(service.networks ?? [], name).not.toContain('docker-api');
    }
    expect(proxy.volumes).toEqual(['/var/run/docker.sock:/var/run/docker.sock:ro']);
    expect(proxy.read_only).toBe(true);
    expect(proxy.cap_drop).toEqual(['ALL']);
    expect(proxy.security_opt).toContain('no-new-privileges:true');
    expect(proxy.user?.split(':')[0]).not.toBe('0');
    expect(proxy.command).toContain('-allowfrom=memwarden');
    // a pinned version, not a moving tag
    expect(proxy.image).toMatch(/^wollomatic\/socket-proxy:\d+\.\d+\.\d+$/);
  });

  it("publishes memwarden's ops port on the loopback interface only, on the port the health check probes", () => {
    const port = memwarden.environment?.MEMWARDEN_OPS_PORT;
    expect(memwarden.ports).toEqual([`127.0.0.1:${port}:${port}`]);
  });

  describe('the socket proxy allowlist', () => {
    const allow = proxyAllowlist();

    it('allows GET and POST only', () => {
      expect([...allow.keys()].sort()).toEqual(['GET', 'POST']);
    });

    it.each(MEMWARDEN_DOCKER_CALLS)('allows $method $path ($where)', ({ method, path: urlPath }) => {
      expect(allowed(allow, method, urlPath)).toBe(true);
      expect(allowed(allow, method, `/v1.41${urlPath}`)).toBe(true);
    });

    it.each([
      ['POST', '/containers/create'],
      ['POST', '/v1.41/containers/create'],
      ['POST', '/containers/x/start'],
      ['POST', '/containers/x/stop'],
      ['POST', '/containers/x/kill'],
      ['POST', '/containers/x/attach'],
      ['POST', '/containers/x/exec/../../containers/create'],
      ['POST', '/exec/not-an-id/start'],
      ['POST', '/build'],
      ['POST', '/images/create'],
      ['POST', '/images/x/push'],
      ['POST', '/volumes/create'],
      ['POST', '/networks/create'],
      ['POST', '/swarm/init'],
      ['POST', '/plugins/pull'],
      ['POST', '/commit'],
      ['POST', '/auth'],
      ['POST', '/session'],
      ['GET', '/containers/x/archive'],
      ['GET', '/containers/x/export'],
      ['GET', '/containers/x/logs'],
      ['GET', '/containers/x/attach/ws'],
      ['GET', '/images/x/get'],
      ['GET', '/secrets'],
      ['GET', '/configs'],
      ['GET', '/info'],
      ['GET', '/volumes'],
      ['GET', '/containers/json/../../secrets'],
      ['PUT', '/containers/x/archive'],
      ['DELETE', '/containers/x'],
      ['HEAD', '/_ping'],
    ])('refuses %s %s', (method, urlPath) => {
      expect(allowed(allow, method, urlPath)).toBe(false);
    });
  });

  it('builds the image on the base image the Dockerfile defaults to', () => {
    const dockerfile = readFileSync(path.join(path.dirname(COMPOSE_FILE), 'Dockerfile'), 'utf8');
    const defaultBase = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(memwarden.build?.args?.NODE_IMAGE).toBe(defaultBase);
  });
});
