/**
 * Which of the files the user dropped or picked is the capture, and which (if any) is a TLS key
 * log (NSS key log format, as SSLKEYLOGFILE writes it). A key log is recognised by its content,
 * not its name: text whose lines are comments or `LABEL <hex> <hex>` with a known label.
 */

const KEYLOG_LABELS = /^(CLIENT_RANDOM|CLIENT_EARLY_TRAFFIC_SECRET|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_\d+|SERVER_TRAFFIC_SECRET_\d+|EARLY_EXPORTER_SECRET|EXPORTER_SECRET|RSA) [0-9a-fA-F]+ [0-9a-fA-F]+\s*$/;

/** True when the text reads as a TLS key log (at least one key line; only comments and key lines). */
export function looksLikeKeyLog(text: string): boolean {
  let keys = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!KEYLOG_LABELS.test(line)) return false;
    keys++;
  }
  return keys > 0;
}

/** Key logs are small; anything larger is not read as text. */
const MAX_KEYLOG_BYTES = 8 << 20;

export interface PickedFiles {
  capture: File | null;
  /** Further captures dropped or picked together (other capture points of the same problem), in the order given. */
  more: File[];
  keyLog: string | null;
  keyLogName: string | null;
}

export async function pickFiles(files: readonly File[]): Promise<PickedFiles> {
  let capture: File | null = null;
  const more: File[] = [];
  let keyLog: string | null = null;
  let keyLogName: string | null = null;
  for (const f of files) {
    if (keyLog === null && f.size <= MAX_KEYLOG_BYTES) {
      const text = await f.text();
      if (looksLikeKeyLog(text)) {
        keyLog = text;
        keyLogName = f.name;
        continue;
      }
    }
    if (capture === null) capture = f;
    else more.push(f);
  }
  return { capture, more, keyLog, keyLogName };
}
