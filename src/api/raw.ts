// Plain HTTP endpoints answered before Fastify: output streams (a build's or a release phase's
// output_stream_url; capability URLs with a secret of their own, as the official CLI fetches them with
// no key) and slug tarball upload/download through signed blob URLs that expire after an hour (Heroku
// hands out presigned S3 URLs; ours are signed with the platform key). A blob URL's signature covers
// its method: the URL handed out for the upload does not download, and the reverse.
// Bodies stream to disk, so a 500 MB slug never sits in memory.
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { requestTarget } from '../git/http.ts';
import { ArchiveRefused, concatenated, listSlug, normalizeSlug, SLUG_MAX_BYTES } from '../slugs/index.ts';
import type { ApiDeps } from './deps.ts';
import type { Logger } from '../logger/index.ts';

/** How long a slug blob URL works, as Heroku's presigned URLs expire (asking for the slug gives a new one). */
export const SLUG_URL_TTL_S = 3600;

/** The capability URL a slug's tarball is uploaded to (PUT) or downloaded from (GET), like Heroku's presigned URLs. */
export function slugBlobUrl(d: ApiDeps, slugId: string, method: 'GET' | 'PUT'): string {
  const expires = Math.floor(Date.now() / 1000) + SLUG_URL_TTL_S;
  return `${d.publicUrl}/slug-blobs/${slugId}?expires=${expires}&signature=${d.cipher.sign(blobClaim(method, slugId, expires))}`;
}

const blobClaim = (method: string, slugId: string, expires: number | string) => `slug:${method}:${slugId}:${expires}`;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const STREAM = new RegExp(`^/streams/(releases|builds)/(${UUID})$`);
const SLUG_BLOB = new RegExp(`^/slug-blobs/(${UUID})$`);

/** Answers the request if it is one of ours; returns false to let the API have it. */
export function handleRaw(d: ApiDeps, dataDir: string, req: IncomingMessage, res: ServerResponse, logger: Logger): boolean {
  const url = requestTarget(req.url);
  const stream = STREAM.exec(url.pathname);
  if (stream && req.method === 'GET') {
    const store = stream[1] === 'releases' ? d.releaseOutputs : d.buildOutputs;
    void serveStream(store, stream[2]!, url.searchParams, res).catch((err) => {
      logger.error({ err, stream: stream[2] }, 'output stream failed');
      if (!res.headersSent) plain(res, 500, 'Platform error; the platform log has the details.\n');
      else res.destroy();
    });
    return true;
  }
  const blob = SLUG_BLOB.exec(url.pathname);
  if (blob && (req.method === 'PUT' || req.method === 'GET')) {
    const id = blob[1]!;
    const expires = url.searchParams.get('expires') ?? '';
    if (!d.cipher.verify(blobClaim(req.method, id, expires), url.searchParams.get('signature') ?? '')) {
      plain(res, 403, 'This blob URL is not valid: ask the API for the slug again (GET /apps/<app>/slugs/<id>).\n');
      return true;
    }
    if (!(Number(expires) * 1000 > Date.now())) {
      plain(res, 403, 'This blob URL has expired: ask the API for the slug again (GET /apps/<app>/slugs/<id>) for a fresh one.\n');
      return true;
    }
    const work = req.method === 'PUT' ? upload(d, dataDir, id, req, res) : download(d, id, res);
    void work.catch((err) => {
      logger.error({ err, slug_blob: id, method: req.method }, 'slug blob transfer failed');
      if (!res.headersSent) plain(res, 500, 'Platform error; the platform log has the details.\n');
      else res.destroy();
    });
    return true;
  }
  return false;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

async function serveStream(store: ApiDeps['releaseOutputs'], id: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const access = await store.access(id, query.get('secret') ?? '', query.get('expires') ?? undefined);
  if (access === 'denied') return plain(res, 404, 'No such output stream, or its URL lacks the secret: ask the API for the build or release again.\n');
  if (access === 'expired') return plain(res, 410, 'This output stream URL has expired; ask the API for the build or release again (`slipway builds:output`, `slipway releases:output`) for a fresh one.\n');
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  await store.follow(id, (chunk) => { if (!res.destroyed) res.write(chunk); });
  res.end();
}

/** GET: the slug's whole tarball; a layered slug's is assembled as it is sent (slugs/layers.ts). */
async function download(d: ApiDeps, id: string, res: ServerResponse): Promise<void> {
  const files = await d.slugs.filesOf(id);
  if (!files) return plain(res, 404, 'This slug has no stored tarball.\n');
  let length = 0;
  for (const f of files) length += (await stat(f)).size;
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': length });
  await pipeline(Readable.from(concatenated(files)), res);
}

/** PUT: the tarball streams to a temp file (500 MB at most), is checked and moved into the blob store. */
async function upload(d: ApiDeps, dataDir: string, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const blob = await d.slugs.blobOf(id);
  if (blob === undefined) return plain(res, 404, 'No such slug.\n');
  if (blob) return plain(res, 409, 'This slug already has its tarball; create a new slug to upload another.\n');
  const full = await d.diskFull?.();
  if (full) return plain(res, 507, `Upload refused: ${full}.\n`);
  const dir = join(dataDir, 'uploads');
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${id}.tgz`);
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(bytes > SLUG_MAX_BYTES ? new TooLarge() : null, chunk);
    },
  });
  try {
    try {
      await pipeline(req, limit, createWriteStream(tmp));
    } catch (err) {
      if (!(err instanceof TooLarge)) throw err;
      return plain(res, 413, `The slug is larger than ${SLUG_MAX_BYTES / 1024 / 1024} MB (Heroku's limit).\n`);
    }
    let entries: string[];
    try {
      entries = await listSlug(tmp);
    } catch (err) {
      if (err instanceof ArchiveRefused) return plain(res, 422, `The slug was refused: ${err.message}\n`);
      return plain(res, 422, 'The upload is not a gzipped tar archive; a slug is a .tar.gz of the app (./app/...).\n');
    }
    // Heroku's slugs hold the app under ./app/; ours are the app's own files: such a tarball is repacked.
    const file = await normalizeSlug(tmp, entries);
    const { sha256, size } = await d.blobs.put(file);
    await d.slugs.setBlob(id, sha256, size);
    plain(res, 200, '');
  } finally {
    await rm(tmp, { force: true });
    await rm(`${tmp}.repacked.tgz`, { force: true });
  }
}

class TooLarge extends Error {}
