import type { TransportHints } from '../wire/index.js';

/** What to try next when a call to a ROC agent fails before its answer, in ROC's words (the agent, roc-agent, serverProxy). */
export const ROC_HINTS: TransportHints = {
  connection: (reason, code) =>
    code?.includes('CERTIFICATE_REQUIRED')
      ? 'the agent requires a client certificate: pass tls: { cert, key } to serverProxy'
      : {
          refused: 'nothing listens there: is the agent running and on that port? (roc-agent -m <module> -p <port>)',
          reset:
            'the connection was reset during the call: the agent may have crashed or been killed; the call may or may not have run, and it was not retried',
          closed:
            'the agent closed the connection before its answer was complete: it may have crashed or been stopped; the call may or may not have run, and it was not retried',
          unreachable: 'no route to that address: check the host in the topology and the guest network',
          dns: 'the host name does not resolve: check the host in the topology',
          tls: 'check the agent certificate and the CA given to the client',
          other: 'see the cause',
        }[reason],
  status: (status, tokenSource) =>
    status === 401
      ? tokenSource
        ? `the agent refused the token from ${tokenSource}: it is not the agent's token (roc-agent --token-file; /etc/roc/token on a provisioned guest); give both sides the same token file, and provision the guest again after changing it`
        : "no token was sent: set token_file in the topology, or ROC_TOKEN, or serverProxy's token or tokenFile option"
      : status === 413
        ? 'the request is larger than the agent accepts (roc-agent --max-body)'
        : status === 404
          ? 'that path serves no XML-RPC: is this a ROC agent?'
          : 'is this a ROC or XML-RPC server?',
  timeout: (source) =>
    `the agent may be hung or stopped, or the method slow (raise ${source ?? "the client's timeout option"}); the call may still be running and was not retried`,
};
