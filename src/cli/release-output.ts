// Fetching an output_stream_url (a release phase's or a build's output) and copying it to a stream as
// it arrives. The URL is a capability: a plain GET, no API key, as the heroku CLI fetches it.

import { CliError } from './errors.ts';
import type { Out } from './ux.ts';

/** Copies the stream to `out` until it ends; a missing stream (404) is reported, not thrown. */
export async function pipeOutputStream(url: string, out: Out): Promise<'ok' | 'missing'> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new CliError(`Could not read the output at ${url}: ${(err as Error).message}`);
  }
  if (res.status === 404) return 'missing';
  if (!res.ok || !res.body) throw new CliError(`Reading the output at ${url} answered HTTP ${res.status}.`);
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) out.write(decoder.decode(chunk, { stream: true }));
  return 'ok';
}
