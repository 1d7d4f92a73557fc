// The daily digest as a Slack message: the digest's notice (digest/digest-notice.ts) rendered to
// Block Kit.
import type { Digest } from '../../digest/digest-data.js';
import { digestNotice, type DigestNoticeOptions } from '../../digest/digest-notice.js';
import type { SlackMessage } from './block-kit-limits.js';
import { renderNotice } from './render-notice.js';

export function renderDigestMessage(digest: Digest, options: DigestNoticeOptions = {}): SlackMessage {
  const { text, blocks } = renderNotice(digestNotice(digest, options));
  return { text, blocks };
}
