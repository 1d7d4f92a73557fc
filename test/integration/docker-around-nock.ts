// nock intercepts every http.request of the process, the Docker socket's too, and lets what it
// does not mock through by re-encoding the request; on the Docker socket that loses a POST body's
// framing and the daemon hangs up (write EPIPE on exec and update). Docker is not the network
// nock guards, so requests over a unix socket go around it: import this module BEFORE nock, so it
// holds node's own http.request, and call routeUnixSocketsAroundNock() after nock is loaded.
import http from 'node:http';

const nodeRequest = http.request;
const isNodeOwn = !Function.prototype.toString.call(nodeRequest).includes('[native code]');

/** Sends unix-socket requests with node's own http.request, everything else to nock. Returns the undo. */
export function routeUnixSocketsAroundNock(): () => void {
  if (!isNodeOwn) throw new Error('http.request was already patched when docker-around-nock.ts was loaded: import it before nock');
  const intercepted = http.request;
  const routed = function (this: unknown, ...args: Parameters<typeof http.request>) {
    const [first, second] = args;
    const options = typeof first === 'object' && !(first instanceof URL) ? first : typeof second === 'object' && second !== null && typeof second !== 'function' ? second : undefined;
    const viaSocket = typeof (options as { socketPath?: unknown } | undefined)?.socketPath === 'string';
    return (viaSocket ? nodeRequest : intercepted).apply(this, args);
  } as typeof http.request;
  http.request = routed;
  return () => {
    if (http.request === routed) http.request = intercepted;
  };
}
