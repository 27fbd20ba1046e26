/*
 * What the simulation reads from the service's `GET /metrics` (Prometheus
 * text, public): code-space use per area and the outbox's depth.
 */

export interface ServiceGauges {
  /** `codedispatch_code_space_used_ratio{area}`, 0..1. */
  readonly codeSpace: Readonly<Record<string, number>>;
  /** `codedispatch_outbox_depth`; null when absent. */
  readonly outboxDepth: number | null;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export const parseGauges = (text: string): ServiceGauges => {
  const codeSpace: Record<string, number> = {};
  let outboxDepth: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) continue;
    const [, name, labels = '', raw] = m;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (name === 'codedispatch_outbox_depth') outboxDepth = value;
    else if (name === 'codedispatch_code_space_used_ratio') {
      for (const [, key, v] of labels.matchAll(LABEL)) if (key === 'area' && v !== undefined) codeSpace[v] = value;
    }
  }
  return { codeSpace, outboxDepth };
};
