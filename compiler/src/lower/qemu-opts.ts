// QEMU option-value syntax. Keyval values escape ',' as ',,' (QEMU's QemuOpts rule);
// JSON values (-device/-object/-blockdev/-netdev '{…}') need no escaping at all.

export function escapeComma(v: string): string {
  return v.replace(/,/g, ',,');
}

export type KeyvalValue = string | number | boolean | undefined | null;

/** key=value,… in the given order; undefined/null entries are skipped; booleans are on/off. */
export function keyval(pairs: [string, KeyvalValue][], head?: string): string {
  const parts: string[] = head !== undefined ? [escapeComma(head)] : [];
  for (const [k, v] of pairs) {
    if (v === undefined || v === null) continue;
    parts.push(`${k}=${typeof v === 'boolean' ? (v ? 'on' : 'off') : escapeComma(String(v))}`);
  }
  return parts.join(',');
}

export type JsonProps = Record<string, unknown>;

/** Drop undefined members so JSON output only has what was set. A bigint is written as
 * its exact integer literal (a WWN does not fit a double). */
export function jsonProps(props: JsonProps): string {
  const text = JSON.stringify(props, (_k, v) => (v === undefined ? undefined : typeof v === 'bigint' ? `\u0000bigint:${v}` : v));
  return text.replace(/"\\u0000bigint:(-?[0-9]+)"/g, '$1');
}
