// The schema, as an append-only list: migration i (0-based) moves a database from
// `PRAGMA user_version = i` to `i + 1`, in its own transaction (see openDatabase).
// Never edit or reorder a migration that has shipped: a fix is a new migration at the end.
// Later features (alert state, silences, approvals, audit, outbox) append their own entries.
//
// Sample rows are kept narrow (integers, no JSON): a poll writes 1 host row plus one row per
// container and per stored process group. Names, images and ids live once in the `containers`,
// `process_groups` and `images` tables and samples refer to them by an integer `ref`.
// Sample and rollup tables are keyed by time first, so retention deletes a contiguous range.
// Rollups store min, sum and max with a count, so merging two partial rollups of one bucket
// is exact (avg = sum / n, i.e. the count-weighted average of the parts).

export const MIGRATIONS: readonly string[] = [
  // 1: memory samples, their 5-minute rollups, and what they refer to.
  `
CREATE TABLE containers (
  ref INTEGER PRIMARY KEY,
  container_id TEXT NOT NULL,
  name TEXT NOT NULL,
  image TEXT NOT NULL,
  image_id TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  UNIQUE (container_id, name)
);
CREATE INDEX containers_by_name ON containers (name);

CREATE TABLE process_groups (
  ref INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  -- '' when the group runs on the host (a NULL would defeat the UNIQUE constraint)
  container_name TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  UNIQUE (name, kind, container_name)
);

CREATE TABLE images (
  repository TEXT NOT NULL,
  image_id TEXT NOT NULL,
  image TEXT NOT NULL,
  size_bytes INTEGER,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (repository, image_id)
) WITHOUT ROWID;

CREATE TABLE host_samples (
  t INTEGER PRIMARY KEY,
  total INTEGER NOT NULL,
  used INTEGER NOT NULL,
  available INTEGER NOT NULL,
  buff_cache INTEGER NOT NULL,
  swap_total INTEGER NOT NULL,
  swap_used INTEGER NOT NULL,
  -- PSI avg60 (percent); NULL when the kernel does not expose /proc/pressure/memory
  psi_some REAL,
  psi_full REAL,
  oom_kills INTEGER
);

CREATE TABLE container_samples (
  t INTEGER NOT NULL,
  container_ref INTEGER NOT NULL REFERENCES containers (ref),
  usage INTEGER NOT NULL,
  -- NULL when the container has no limit
  mem_limit INTEGER,
  percent REAL,
  limit_hits INTEGER,
  oom_kills INTEGER,
  restarts INTEGER NOT NULL,
  PRIMARY KEY (t, container_ref)
) WITHOUT ROWID;

CREATE TABLE group_samples (
  t INTEGER NOT NULL,
  group_ref INTEGER NOT NULL REFERENCES process_groups (ref),
  pss INTEGER NOT NULL,
  rss INTEGER NOT NULL,
  uss INTEGER NOT NULL,
  members INTEGER NOT NULL,
  pool_size INTEGER,
  PRIMARY KEY (t, group_ref)
) WITHOUT ROWID;

-- bucket = start of a fixed, epoch-aligned interval; n = samples merged into the row;
-- <metric>_n = samples where a nullable metric was known.
CREATE TABLE host_rollups (
  bucket INTEGER PRIMARY KEY,
  n INTEGER NOT NULL,
  used_min INTEGER, used_sum INTEGER, used_max INTEGER,
  available_min INTEGER, available_sum INTEGER, available_max INTEGER,
  swap_used_min INTEGER, swap_used_sum INTEGER, swap_used_max INTEGER,
  psi_some_n INTEGER NOT NULL, psi_some_min REAL, psi_some_sum REAL, psi_some_max REAL,
  psi_full_n INTEGER NOT NULL, psi_full_min REAL, psi_full_sum REAL, psi_full_max REAL
);

CREATE TABLE container_rollups (
  bucket INTEGER NOT NULL,
  container_ref INTEGER NOT NULL REFERENCES containers (ref),
  n INTEGER NOT NULL,
  usage_min INTEGER, usage_sum INTEGER, usage_max INTEGER,
  mem_limit_n INTEGER NOT NULL, mem_limit_min INTEGER, mem_limit_sum INTEGER, mem_limit_max INTEGER,
  PRIMARY KEY (bucket, container_ref)
) WITHOUT ROWID;

CREATE TABLE group_rollups (
  bucket INTEGER NOT NULL,
  group_ref INTEGER NOT NULL REFERENCES process_groups (ref),
  n INTEGER NOT NULL,
  pss_min INTEGER, pss_sum INTEGER, pss_max INTEGER,
  rss_min INTEGER, rss_sum INTEGER, rss_max INTEGER,
  uss_min INTEGER, uss_sum INTEGER, uss_max INTEGER,
  PRIMARY KEY (bucket, group_ref)
) WITHOUT ROWID;
`,
  // 2: alert state per fingerprint (rule x target), the append-only transition history, silences.
  // Times are epoch ms; target and evidence are JSON (small, read whole, never queried into).
  `
CREATE TABLE alert_state (
  fingerprint TEXT PRIMARY KEY,
  rule_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
  severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
  value REAL NOT NULL,
  threshold REAL NOT NULL,
  unit TEXT NOT NULL,
  since INTEGER NOT NULL,
  pending_since INTEGER NOT NULL,
  firing_since INTEGER,
  cleared_at INTEGER,
  reported_value REAL NOT NULL,
  last_notified INTEGER,
  firing_notified INTEGER NOT NULL DEFAULT 0,
  evidence TEXT NOT NULL DEFAULT '{}',
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE alert_transitions (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  event TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  severity TEXT NOT NULL,
  previous_severity TEXT,
  value REAL NOT NULL,
  threshold REAL NOT NULL,
  unit TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  silenced INTEGER NOT NULL,
  reason TEXT,
  summary TEXT NOT NULL,
  target TEXT NOT NULL,
  evidence TEXT NOT NULL
);
CREATE INDEX alert_transitions_by_at ON alert_transitions (at);
CREATE INDEX alert_transitions_by_fingerprint ON alert_transitions (fingerprint, at);

CREATE TABLE alert_silences (
  id INTEGER PRIMARY KEY,
  -- NULL: every rule / every target; never both NULL
  rule_id TEXT,
  target TEXT,
  until INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  CHECK (rule_id IS NOT NULL OR target IS NOT NULL)
);
CREATE INDEX alert_silences_by_until ON alert_silences (until);
`,
  // 3: remediation requests, their approvals and executions, the append-only audit log, and the
  // global remediation switch (src/store/remediation.ts). The execution row's PRIMARY KEY is the
  // idempotency key: a request runs at most once, whatever clicks, retries or restarts happen.
  `
CREATE TABLE remediation_requests (
  -- 128 random bits, hex: unguessable, so a button value cannot name someone else's request
  id TEXT PRIMARY KEY,
  runbook_id TEXT NOT NULL,
  runbook_sha256 TEXT NOT NULL,
  target_container_id TEXT NOT NULL,
  target_name TEXT NOT NULL,
  params TEXT NOT NULL DEFAULT '{}',
  requested_by TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN
    ('pending', 'approved', 'rejected', 'expired', 'executing', 'succeeded', 'failed', 'not-executed')),
  -- the alert fingerprint it came from, or 'command'
  origin TEXT NOT NULL,
  channel TEXT,
  message_ts TEXT,
  dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
  required_approvals INTEGER NOT NULL CHECK (required_approvals >= 1),
  -- when it left 'pending', and why it ended the way it did (expired, interrupted, ...)
  decided_at INTEGER,
  status_detail TEXT
) WITHOUT ROWID;
CREATE INDEX remediation_requests_by_status ON remediation_requests (status, expires_at);

CREATE TABLE remediation_approvals (
  request_id TEXT NOT NULL REFERENCES remediation_requests (id),
  user_id TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
  at INTEGER NOT NULL,
  PRIMARY KEY (request_id, user_id)
) WITHOUT ROWID;

CREATE TABLE remediation_executions (
  request_id TEXT PRIMARY KEY REFERENCES remediation_requests (id),
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  outcome TEXT,
  result TEXT
) WITHOUT ROWID;
CREATE INDEX remediation_executions_by_started ON remediation_executions (started_at);

-- AUTOINCREMENT: an id is never handed out twice, so a gap is visible.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('requested', 'approved', 'rejected', 'expired', 'executing', 'succeeded',
    'failed', 'not-executed', 'refused', 'switched-on', 'switched-off')),
  request_id TEXT,
  runbook_id TEXT,
  runbook_sha256 TEXT,
  target TEXT,
  target_container_id TEXT,
  params TEXT,
  outcome TEXT,
  before_bytes INTEGER,
  after_bytes INTEGER,
  detail TEXT
);
CREATE INDEX audit_log_by_request ON audit_log (request_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be updated'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted'); END;
-- INSERT OR REPLACE on an existing id deletes the old row without firing DELETE triggers
-- (recursive_triggers is off), so an insert may not reuse an id either.
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be replaced'); END;

-- One row at most; no row means remediation was never switched off (on).
CREATE TABLE remediation_switch (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  changed_by TEXT NOT NULL,
  changed_at INTEGER NOT NULL
);
`,
  // 4: the Slack outbox (every message memwarden sends goes through it, so none is lost across a
  // crash or a Slack outage) and the alert messages it posted. Ops of one ordering key (the alert
  // fingerprint) are sent strictly in id order; AUTOINCREMENT so an id is never reused. payload
  // is the rendered message as JSON (text + blocks), read whole, never queried into. An alert
  // message is keyed by fingerprint and episode start: a new episode gets a new parent message.
  `
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ordering_key TEXT NOT NULL,
  -- the alert message (alert_messages.message_key) a post creates or an update/reply refers to
  message_key TEXT,
  op TEXT NOT NULL CHECK (op IN ('post', 'update', 'reply')),
  channel TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'superseded')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  -- 1: send the fallback text alone (Slack refused the blocks once)
  plain_text INTEGER NOT NULL DEFAULT 0 CHECK (plain_text IN (0, 1)),
  last_error TEXT,
  result_ts TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (op = 'post' OR message_key IS NOT NULL)
);
CREATE INDEX outbox_open ON outbox (ordering_key, id) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_by_message ON outbox (message_key, op) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_done_by_updated ON outbox (updated_at) WHERE status NOT IN ('pending', 'sending');

CREATE TABLE alert_messages (
  message_key TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  -- as configured (a name or an id); channel_id as Slack answered, which chat.update needs
  channel TEXT NOT NULL,
  channel_id TEXT,
  parent_ts TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX alert_messages_by_fingerprint ON alert_messages (fingerprint, started_at);
`,
  // 5: the Slack side of remediation (src/store/remediation-flow.ts). An alert's fix buttons carry
  // an opaque id of a recommendation row (what to run, where, with which parameters), never the
  // data itself. Each request's approval message is remembered with what it showed, and a run's
  // verification is a row that is due at a time, so a restart neither loses nor repeats it.
  `
CREATE TABLE remediation_recommendations (
  -- 128 random bits, hex: the value of the button
  id TEXT PRIMARY KEY,
  -- the same recommendation on the same alert message keeps its id across message updates
  dedupe_key TEXT NOT NULL UNIQUE,
  fingerprint TEXT NOT NULL,
  alert_message_key TEXT NOT NULL,
  runbook_id TEXT NOT NULL,
  -- NULL when the alert did not name the container's id
  target_container_id TEXT,
  target_name TEXT NOT NULL,
  params TEXT NOT NULL,
  title TEXT NOT NULL,
  estimated_savings_bytes INTEGER,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX remediation_recommendations_by_created ON remediation_recommendations (created_at);

CREATE TABLE remediation_followups (
  request_id TEXT PRIMARY KEY REFERENCES remediation_requests (id),
  -- where the approval message was posted (its ts is in alert_messages under 'remediation:<id>')
  channel TEXT NOT NULL,
  -- what the approval message shows besides the request's state (JSON)
  view TEXT NOT NULL,
  -- the alert message whose thread hears how it went, when the request came from an alert
  alert_message_key TEXT,
  alert_fingerprint TEXT,
  verify_state TEXT NOT NULL DEFAULT 'none' CHECK (verify_state IN ('none', 'due', 'running', 'done')),
  verify_at INTEGER,
  -- measured just before the run, and the verification's result (JSON)
  before TEXT,
  verification TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (verify_state = 'none' OR verify_at IS NOT NULL)
) WITHOUT ROWID;
CREATE INDEX remediation_followups_due ON remediation_followups (verify_at) WHERE verify_state IN ('due', 'running');
`,
  // 6: the daily digest (src/store/digest.ts). One row per digest day (YYYY-MM-DD in the digest's
  // zone) and channel, written before the digest is queued, so a restart never sends a day twice;
  // and when each channel's schedule first ran, so only a digest that fell due after that counts
  // as missed (a first start is not a catch-up).
  `
CREATE TABLE digest_sent (
  day TEXT NOT NULL,
  channel TEXT NOT NULL,
  -- the fire time it was sent for, and why it was sent ('schedule' or 'catch-up')
  scheduled_at INTEGER NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('schedule', 'catch-up')),
  sent_at INTEGER NOT NULL,
  PRIMARY KEY (day, channel)
) WITHOUT ROWID;

CREATE TABLE digest_schedules (
  channel TEXT PRIMARY KEY,
  first_started_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  // 7: outbox priority. Alerts and remediation approval messages share a channel and its rate
  // limit (about one message per second); 1 = an alert, sent ahead of the other ops of its
  // channel. It orders only the heads of ordering keys, so the order within a key is unchanged.
  `
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1));
`,
  // 8: verification results in the audit log (action 'verified'; SQLite cannot change a CHECK, so
  // the table is rebuilt with its rows, ids and triggers as they were), whether a finished
  // execution's result was announced (a restart finishes an announcement a crash cut off), and an
  // index for the per-requester rate limit.
  `
CREATE TABLE audit_log_v8 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('requested', 'approved', 'rejected', 'expired', 'executing', 'succeeded',
    'failed', 'not-executed', 'refused', 'switched-on', 'switched-off', 'verified')),
  request_id TEXT,
  runbook_id TEXT,
  runbook_sha256 TEXT,
  target TEXT,
  target_container_id TEXT,
  params TEXT,
  outcome TEXT,
  before_bytes INTEGER,
  after_bytes INTEGER,
  detail TEXT
);
INSERT INTO audit_log_v8 SELECT * FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_v8 RENAME TO audit_log;
CREATE INDEX audit_log_by_request ON audit_log (request_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be updated'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted'); END;
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be replaced'); END;

-- When the result of a finished execution was queued for Slack; null: not yet (or nothing ran).
ALTER TABLE remediation_followups ADD COLUMN announced_at INTEGER;
UPDATE remediation_followups SET announced_at = updated_at
WHERE request_id IN (SELECT id FROM remediation_requests WHERE status IN ('succeeded', 'failed', 'not-executed'));

CREATE INDEX remediation_requests_by_requester ON remediation_requests (requested_by, requested_at);
CREATE INDEX remediation_requests_by_runbook ON remediation_requests (runbook_id, requested_at);
`,
];
