// The digest's chart into the digest's thread: files.uploadV2 (files.getUploadURLExternal, the
// upload itself, files.completeUploadExternal with channel_id and thread_ts). Use the outbox's
// client (createOutboxWebClient): it never retries or sleeps on its own, and a failed upload is
// logged by the caller, the digest itself having been posted already.
import type { webApi } from '@slack/bolt';
import type { ChartSink } from '../../digest/send-digest.js';
import { toMessageSinkError } from './web-api-sink.js';

export function createSlackChartSink(client: webApi.WebClient): ChartSink {
  return {
    async deliver(upload) {
      try {
        const result = await client.files.uploadV2({
          channel_id: upload.channelId,
          thread_ts: upload.threadTs,
          file: upload.png,
          filename: upload.filename,
          title: upload.title,
          alt_text: upload.altText,
        });
        return fileIdOf(result) ?? upload.filename;
      } catch (err) {
        throw toMessageSinkError(err, 'files.uploadV2');
      }
    },
  };
}

/** files.uploadV2 answers with one completeUploadExternal result per upload, each listing its files. */
function fileIdOf(result: unknown): string | null {
  const completions = (result as { files?: { files?: { id?: unknown }[] }[] }).files;
  const id = completions?.[0]?.files?.[0]?.id;
  return typeof id === 'string' ? id : null;
}
