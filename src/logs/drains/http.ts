// An HTTPS drain: batched POSTs of `application/logplex-1`, one in flight at a time, as logplex sends
// them (headers Logplex-Msg-Count, Logplex-Frame-Id, Logplex-Drain-Token; userinfo as Basic auth).
//
// A batch is at most 100 KiB of frames (logplex's target) and is fixed once made, so a retried batch
// has the same body and Frame-Id and receivers can de-duplicate. While a request is out, a backlog
// that fills past half is cut into batches ahead of time (at most 8 wait), so a burst bigger than the
// backlog is not dropped only because one POST was in flight. Outcomes:
//   2xx                  delivered;
//   4xx other than 429   the receiver refused it: dropped at once (counted, reported by L10);
//   429, 5xx             retried after the back-off, three tries in all, then dropped (counted);
//   no answer            (refused, reset, 5 s timeout) the drain is down: the same batch is retried with
//                        back-off until it goes through, while newer lines wait in the bounded backlog.
import { createHash, randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Drain, type DrainOptions } from './drain.ts';
import { httpFrame, overflowLine } from './frame.ts';
import { isCertificateError } from './syslog.ts';
import { redactDrainUrl, type HttpTarget } from './url.ts';

const BATCH_BYTES = 100 * 1024;
const BATCH_LINES = 1000;
const REQUEST_TIMEOUT_MS = 5000;
const TRIES_WHEN_ANSWERED = 3;
const USER_AGENT = 'Logplex/slipway';
const MAX_READY_BATCHES = 8;

interface Batch {
  body: string;
  /** Frames in the body, the L10 notice included (Logplex-Msg-Count). */
  frames: number;
  /** Log lines in the body. */
  lines: number;
  /** Lines to count as dropped if the batch is given up: its own and the drops its L10 reports. */
  lost: number;
  since: Date;
  frameId: string;
  tries: number;
}

type Outcome = 'delivered' | 'refused' | 'retry' | 'down';

export class HttpDrain extends Drain {
  private readonly target: HttpTarget;
  private readonly agent: HttpAgent;
  private batch: Batch | undefined;
  /** Batches cut ahead of time, oldest first. */
  private readonly ready: Batch[] = [];
  private requesting = false;
  private certNoticeSent = false;

  constructor(opts: DrainOptions & { target: HttpTarget }) {
    super(opts);
    this.target = opts.target;
    this.agent = opts.target.tls
      ? new HttpsAgent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: !opts.target.insecure, lookup: this.lookup as never })
      : new HttpAgent({ keepAlive: true, maxSockets: 1, lookup: this.lookup as never });
  }

  protected canTakeNow(): boolean {
    return this.ready.length < MAX_READY_BATCHES;
  }

  protected pump(): void {
    while (this.buffer.length >= this.capacity / 2 && this.ready.length < MAX_READY_BATCHES) this.ready.push(this.nextBatch()!);
    if (this.requesting || this.backingOff) return;
    const batch = this.batch ?? this.ready.shift() ?? this.nextBatch();
    if (!batch) return;
    this.batch = batch;
    this.requesting = true;
    batch.tries++;
    void this.post(batch).then((outcome) => {
      this.requesting = false;
      if (this.closed) return;
      if (outcome === 'delivered') {
        this.certNoticeSent = false;
        this.delivered += batch.lines;
        this.batch = undefined;
        this.succeeded();
        this.kick();
      } else if (outcome === 'refused' || (outcome === 'retry' && batch.tries >= TRIES_WHEN_ANSWERED)) {
        this.buffer.lost(batch.lost, batch.since);
        this.batch = undefined;
        this.kick();
      } else {
        this.retryLater();
      }
    });
  }

  protected idle(): boolean {
    return this.buffer.length === 0 && !this.batch && this.ready.length === 0;
  }

  protected shutdown(): void {
    this.agent.destroy();
  }

  private nextBatch(): Batch | undefined {
    if (this.buffer.length === 0 && this.buffer.pendingDrops === 0) return undefined;
    const drops = this.buffer.takeDrops();
    const taken = this.buffer.take(BATCH_LINES, BATCH_BYTES, httpFrame);
    const body = (drops ? httpFrame(overflowLine(drops.dropped, drops.since, new Date())) : '') + taken.text;
    return {
      body, frames: taken.count + (drops ? 1 : 0), lines: taken.count, lost: taken.count + (drops?.dropped ?? 0),
      since: drops?.since ?? taken.oldest ?? new Date(),
      frameId: createHash('md5').update(randomBytes(16)).digest('hex').toUpperCase(), tries: 0,
    };
  }

  private post(batch: Batch): Promise<Outcome> {
    const url = this.target.url;
    const send = this.target.tls ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (o: Outcome) => {
        if (!settled) {
          settled = true;
          resolve(o);
        }
      };
      let req: ReturnType<typeof send>;
      if (this.refused(url.hostname.replace(/^\[(.*)\]$/, '$1'))) {
        settle('down');
        return;
      }
      try {
        req = send(url, {
          method: 'POST',
          agent: this.agent,
          headers: {
            'Content-Type': 'application/logplex-1',
            'Content-Length': Buffer.byteLength(batch.body),
            'Logplex-Msg-Count': String(batch.frames),
            'Logplex-Frame-Id': batch.frameId,
            'Logplex-Drain-Token': this.token,
            'User-Agent': USER_AGENT,
            ...(this.target.authorization ? { Authorization: this.target.authorization } : {}),
          },
        }, (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          res.on('end', () => settle(status >= 200 && status < 300 ? 'delivered' : status >= 400 && status < 500 && status !== 429 ? 'refused' : 'retry'));
          res.on('error', () => settle('down'));
        });
      } catch (err) {
        // A request that cannot even be made (a URL Node refuses) is the drain being down, not a crash.
        this.opts.reportError(err, `drain ${this.id}: request not sent`);
        settle('down');
        return;
      }
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('drain request timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        this.refused('', err);
        if (this.target.tls && !this.certNoticeSent && isCertificateError(err)) {
          this.certNoticeSent = true;
          this.opts.notice(`Error L14 (certificate validation): error="${err.message}" uri="${redactDrainUrl(this.url)}"`);
        }
        settle('down');
      });
      req.end(batch.body);
    });
  }
}
