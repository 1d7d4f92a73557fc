// Reads small kernel-generated files (/proc, cgroupfs) synchronously into one reused buffer.
// /proc files report st_size 0, so fs.promises.readFile reads them in fresh 64 KiB chunks: about
// 75 KiB of short-lived buffers per file, which fragmented malloc's arena and grew the bot's RSS
// by a third over 1000 polls (docs/benchmarks.md). One buffer, reused, allocates nothing per read
// and is also faster; the event loop is blocked for a few milliseconds per poll, which is fine.
import { closeSync, openSync, readSync } from 'node:fs';

let buffer = Buffer.allocUnsafe(64 * 1024);
/** A maps file of a process with thousands of mappings can be megabytes; nothing we read is larger. */
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * The file's text, or null when the kernel refuses (EACCES/EPERM), the process is gone
 * (ENOENT/ESRCH) or the read fails otherwise (EINVAL, EIO): one process never fails a scan.
 */
export function readProcText(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if (isErrnoError(err)) return null;
    throw err;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length >= MAX_BYTES) break;
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.toString('utf8', 0, length);
  } catch (err) {
    if (isErrnoError(err)) return null;
    throw err;
  } finally {
    closeSync(fd);
  }
}

function isErrnoError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}
