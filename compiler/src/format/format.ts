// Text renderings of a plan. `args` follows libvirt's qemuxml2argv .args layout.
import type { Plan } from '../plan/plan.js';

const SAFE = /^[A-Za-z0-9_.,:/@+=%^-]+$/;

/** Quote one word for a POSIX shell, the way libvirt's virCommandToString does (only when needed). */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

// QEMU options that take no value; every other option is printed with its value on one line.
const FLAG_OPTIONS = new Set([
  '-S', '-no-user-config', '-nodefaults', '-no-shutdown', '-no-reboot', '-no-acpi', '-no-hpet',
  '-enable-kvm', '-nographic', '-snapshot', '-enable-fips', '-mem-prealloc', '-usb', '-daemonize',
  '-no-fd-bootchk', '-only-migratable', '-preconfig', '-full-screen', '-no-quit',
]);

export function formatArgs(plan: Plan): string {
  const lines: string[] = [];
  for (const [k, v] of plan.env) lines.push(`${k}=${shellQuote(v)}`);
  lines.push(shellQuote(plan.binary));
  const a = plan.argv;
  for (let i = 0; i < a.length; i++) {
    const w = a[i]!;
    const next = a[i + 1];
    // an option and its value share a line, as in libvirt's test files
    if (w.startsWith('-') && !FLAG_OPTIONS.has(w) && next !== undefined) {
      lines.push(`${w} ${shellQuote(next)}`);
      i++;
    } else lines.push(shellQuote(w));
  }
  return lines.join(' \\\n') + '\n';
}

export function formatJson(plan: Plan): string {
  return JSON.stringify({ env: Object.fromEntries(plan.env), binary: plan.binary, argv: plan.argv }) + '\n';
}

export function formatPlan(plan: Plan): string {
  return JSON.stringify({
    env: Object.fromEntries(plan.env), binary: plan.binary, argv: plan.argv, qmp: plan.qmp,
    passFds: plan.passFds, consoles: plan.consoles, domainDir: plan.domainDir,
    tainted: plan.tainted, startPaused: plan.startPaused, ...(plan.helpers ? { helpers: plan.helpers } : {}),
    ...(plan.files ? { files: plan.files.map((f) => ({ path: f.path, purpose: f.purpose })) } : {}),
    ...(plan.nvram ? { nvram: plan.nvram } : {}),
  }, null, 2) + '\n';
}
