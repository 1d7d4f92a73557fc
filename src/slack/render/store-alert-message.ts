// memwarden's "cannot write its database" alert as Slack messages: its notices
// (alerts/store-alert-notices.ts) rendered to Block Kit.
import { storeAlertParentNotice, storeAlertResolvedNotice, type StoreAlertView } from '../../alerts/store-alert-notices.js';
import type { SlackMessage } from './block-kit-limits.js';
import { renderNotice } from './render-notice.js';

// slack/store-alert.ts still takes the view from here; it goes when that enqueues the notices.
export type { StoreAlertView } from '../../alerts/store-alert-notices.js';

const slack = (notice: Parameters<typeof renderNotice>[0]): SlackMessage => {
  const { text, blocks } = renderNotice(notice);
  return { text, blocks };
};

export function renderStoreAlertParent(view: StoreAlertView): SlackMessage {
  return slack(storeAlertParentNotice(view));
}

export function renderStoreAlertResolved(view: StoreAlertView & { resolvedAt: number }): SlackMessage {
  return slack(storeAlertResolvedNotice(view));
}
