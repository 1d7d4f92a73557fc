// What the configuration reference (reference.ts) says about each rule kind, unit and field.
import type { RuleField } from './alert-rules.js';
import type { RuleKind, RuleUnit } from '../model/alert-rule.js';
import { formatDuration } from './units.js';

/** What each rule kind watches, for the configuration reference (reference.ts). */
export const RULE_KIND_DESCRIPTIONS: Readonly<Record<RuleKind, string>> = {
  'host-used-percent': 'Percent of host RAM used (total − available, as free shows it). Also sets the host status column.',
  'host-available-below': "The host's available memory (MemAvailable); fires when it falls to the level.",
  'psi-some-avg60': 'Memory pressure (PSI some, avg60): percent of time at least one task stalled on memory. Needs /proc/pressure/memory.',
  'psi-full-avg60': 'Memory pressure (PSI full, avg60): percent of time all non-idle tasks stalled on memory at once.',
  'container-limit-percent': "A container's usage as a percent of its memory limit (containers with a limit). Also sets the container status column.",
  'container-usage-bytes': "A container's memory usage (docker stats' MEM USAGE).",
  'container-unlimited-host-percent': "A container without a memory limit: its usage as a percent of host RAM. Also sets the status column of such containers.",
  'group-pss-bytes': "A process group's PSS (RSS for members whose smaps_rollup is unreadable).",
  'oom-kill':
    "An OOM kill (Docker oom events, a container's cgroup oom_kill counter, the kernel's /proc/vmstat oom_kill): critical at once, per container or the host.",
  'memory-leak':
    'Steady growth: the least-squares slope over `window`, in bytes per hour. Also what diagnose reports as memory-leak-suspected.',
};

/** How the configuration reference shows a rule's thresholds, by the kind's unit. */
export const RULE_UNIT_DESCRIPTIONS: Readonly<Record<RuleUnit, string>> = {
  percent: 'percent (0–100, e.g. 85)',
  bytes: 'size with a unit ("2GB", "512MiB")',
  'bytes-per-hour': 'rate ("50MiB/h")',
  count: 'count',
};

/** Every rule field: its type, its default in a rule of your own, and what it does (reference.ts). */
export const RULE_FIELD_DOCS: Readonly<Record<RuleField, { type: string; default: string; description: string }>> = {
  kind: { type: 'a rule kind', default: "the default rule's", description: 'What the rule watches. Required for a new rule id; a default rule keeps its kind.' },
  enabled: { type: 'boolean', default: 'true', description: '`false` turns the rule off.' },
  warning: {
    type: "the kind's unit, or false",
    default: '—',
    description: "Level at which a warning starts; `false` drops a default rule's level. A rule needs warning (minSlope) or critical.",
  },
  minSlope: { type: 'rate ("50MiB/h"), or false', default: '—', description: "memory-leak's warning level: the slowest growth reported." },
  critical: { type: "the kind's unit, or false", default: '—', description: 'Level at which the alert is critical; on the far side of warning.' },
  for: { type: 'duration (up to 7d)', default: '0s', description: 'How long the condition must hold before the alert fires.' },
  clearBelow: {
    type: "the kind's unit",
    default: '5 points under the trigger (at most half of it) for percents, 10% under for sizes and rates',
    description: 'The alert resolves once the value is below this (rules that fire above their level).',
  },
  clearAbove: {
    type: "the kind's unit",
    default: '10% above the trigger',
    description: 'The alert resolves once the value is above this (rules that fire below their level).',
  },
  keepFiringFor: { type: 'duration (up to 7d)', default: '0s', description: 'How long a firing alert keeps firing after its condition has cleared.' },
  overrides: {
    type: 'mapping of name → thresholds',
    default: '{}',
    description:
      "Per container or process group name (globs `*`, `?`; a group also matches its container's name): warning/minSlope, critical, for and the clear level for that target. An exact name wins over globs.",
  },
  ignore: { type: 'containers, groups, labels', default: '{}', description: 'Targets this rule does not alert on, as alerts.ignore (which applies to every rule as well).' },
  window: { type: 'duration (1h to 30d)', default: formatDuration(2 * 3_600_000), description: 'History fitted for the trend.' },
  minFit: { type: 'number (0–1)', default: '0.8', description: 'Least-squares R² the growth must reach to count as steady.' },
  minPoints: { type: 'integer (3–100000)', default: '12', description: 'Points (samples or rollups) the trend needs.' },
  targets: { type: 'list of containers, groups', default: '[containers]', description: 'What is checked: containers and/or process groups (their PSS).' },
};
