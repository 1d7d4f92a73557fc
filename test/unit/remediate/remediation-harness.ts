// The Remediation facade over a real SQLite file, the fake Docker (fake-docker.ts), the fake /proc
// of test/fixtures/proc and a fake clock. Every outbox op is recorded (and really enqueued, so the
// outbox's own rules apply); scheduled verifications are recorded instead of timed.
import { join, resolve } from 'node:path';
import type { Snapshot } from '../../../src/model/snapshot.js';
import { type Config, configSchema } from '../../../src/config/schema.js';
import { loadRunbooks } from '../../../src/remediate/load-runbooks.js';
import { createRemediation, type Remediation, type RemediationDeps } from '../../../src/remediate/remediation.js';
import type { Runbook } from '../../../src/remediate/runbook-schema.js';
import { enqueueOp, type DeliveryOp } from '../../../src/delivery/outbox-dispatcher.js';
import type { Notice } from '../../../src/model/notice.js';
import type { SlackMessage } from '../../../src/slack/render/block-kit-limits.js';
import { renderNotice } from '../../../src/slack/render/render-notice.js';
import type { Database } from '../../../src/store/database.js';
import { makeContainer, makeSnapshot } from '../store/make-snapshot.js';
import { CELERY_NAME, type FakeDocker, fakeDocker, FIXTURE_PROC, LABELS, OTHER_NAME } from './fake-docker.js';
import { makeLogger } from './helpers.js';

export const REPO = resolve(import.meta.dirname, '../../..');
export const T0 = Date.parse('2025-10-27T09:00:00.000Z');
export const REQUESTER = 'U0ALICE01';
export const APPROVER = 'U0BOB0001';
export const SECOND = 'U0CAROL01';
export const OUTSIDER = 'U0MALLORY';
export const ADMIN = 'U0ADMIN01';
export const CHANNEL = 'C0MEMWARD';

const shipped = loadRunbooks(join(REPO, 'commands'), { displayRoot: REPO }).byId;

/** A shipped runbook enabled as an operator would: approvers listed (the requester is one too). */
export function enabledRunbook(id: string, overrides: Partial<Runbook> = {}): Runbook {
  const rb = shipped.get(id);
  if (!rb) throw new Error(`no shipped runbook ${id}`);
  return { ...rb, enabled: true, approval: { ...rb.approval, approvers: { users: [REQUESTER, APPROVER, SECOND], groups: ['S0ONCALL'] } }, ...overrides };
}

export function shippedRunbooks(): Runbook[] {
  return ['lower-celery-concurrency', 'grow-celery-pool', 'restart-celery-worker', 'set-memory-limit', 'celery-pool-restart'].map((id) => enabledRunbook(id));
}

export function remediationConfig(remediation: Record<string, unknown> = {}): Config {
  return configSchema.parse({ slack: { admins: [ADMIN], channels: { default: CHANNEL } }, remediation });
}

/** An op as queued, with its notice rendered the way Slack would show it. */
export interface SentOp {
  orderingKey: string;
  messageKey: string | null;
  op: DeliveryOp['op'];
  channel: string;
  message: SlackMessage;
}

/** A notice (an op's, or an answer's) as Slack would show it. */
export function slackOf(notice: Notice): SlackMessage {
  const { text, blocks } = renderNotice(notice);
  return { text, blocks };
}

/** What the person who asked or clicked reads (the answer's fallback text). */
export function slackText(answer: { notice: Notice }): string {
  return slackOf(answer.notice).text;
}

function sent(op: DeliveryOp): SentOp {
  if (!('notice' in op.content)) throw new Error('remediation queues notices only');
  return { orderingKey: op.orderingKey, messageKey: op.messageKey, op: op.op, channel: op.channel, message: slackOf(op.content.notice) };
}

export interface Harness {
  remediation: Remediation;
  fake: FakeDocker;
  ops: SentOp[];
  /** Verifications armed: when, and the callback (a test runs them by calling tick). */
  scheduled: { at: number; run: () => void }[];
  clock: { now: number };
  logger: ReturnType<typeof makeLogger>;
  groupLookups: string[];
}

export interface HarnessOptions {
  runbooks?: Runbook[];
  config?: Config;
  groupsOf?: RemediationDeps['groupsOf'];
  fake?: FakeDocker;
  clock?: { now: number };
  /** An op this says yes to throws instead of being queued: the process "crashes" right there. */
  crashOn?: (op: SentOp) => boolean;
}

export function snapshotOf(fake: FakeDocker): Snapshot {
  return makeSnapshot(T0, {
    containers: [...fake.containers.values()].map((c) => makeContainer({ id: c.id, name: c.name, labels: c.labels })),
  });
}

export function makeRemediation(db: Database, options: HarnessOptions = {}): Harness {
  const fake = options.fake ?? fakeDocker();
  const clock = options.clock ?? { now: T0 };
  const ops: SentOp[] = [];
  const scheduled: Harness['scheduled'] = [];
  const logger = makeLogger();
  const groupLookups: string[] = [];
  const remediation = createRemediation({
    db,
    docker: fake.docker,
    config: options.config ?? remediationConfig(),
    runbooks: options.runbooks ?? shippedRunbooks(),
    clock: () => clock.now,
    logger: { ...logger, debug: () => {} } as unknown as RemediationDeps['logger'],
    cgroupRoot: '/nonexistent-cgroup-root',
    procRoot: FIXTURE_PROC,
    groupsOf:
      options.groupsOf ??
      ((user) => {
        groupLookups.push(user);
        return Promise.resolve(user === 'U0GRACE01' ? ['S0ONCALL'] : []);
      }),
    enqueue: (op) => {
      const rendered = sent(op);
      if (options.crashOn?.(rendered)) throw new Error('crash (test): memwarden died here');
      ops.push(rendered);
      enqueueOp(db, op, clock.now);
    },
    takeSnapshot: () => Promise.resolve(snapshotOf(fake)),
    schedule: (run, ms) => {
      const entry = { at: clock.now + ms, run };
      scheduled.push(entry);
      return () => {
        const i = scheduled.indexOf(entry);
        if (i >= 0) scheduled.splice(i, 1);
      };
    },
  });
  return { remediation, fake, ops, scheduled, clock, logger, groupLookups };
}

/** The request id on an approval message's Approve button. */
export function approveButtonValue(op: SentOp | undefined): string {
  const actions = op?.message.blocks.find((b) => b.type === 'actions');
  const elements = (actions && actions.type === 'actions' ? actions.elements : []) as unknown as { action_id: string; value: string }[];
  const approve = elements.find((e) => e.action_id === 'remediation_approve');
  if (!approve) throw new Error('no Approve button in that message');
  return approve.value;
}

export { CELERY_NAME, LABELS, OTHER_NAME };
