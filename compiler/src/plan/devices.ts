// The -device entries of a plan, decoded: what the language server offers for
// <qemu:device alias> and what <qemu:property> names are checked against.
import type { Plan } from './plan.js';

export interface PlannedDevice { id: string; driver: string; props: Record<string, unknown> }

export function plannedDevices(plan: Pick<Plan, 'argv'>): PlannedDevice[] {
  const out: PlannedDevice[] = [];
  const a = plan.argv;
  for (let i = 0; i < a.length - 1; i++) {
    if (a[i] !== '-device' || !a[i + 1]!.startsWith('{')) continue;
    try {
      const props = JSON.parse(a[i + 1]!) as Record<string, unknown>;
      if (typeof props.id === 'string' && typeof props.driver === 'string') out.push({ id: props.id, driver: props.driver, props });
    } catch { /* not JSON: nothing to decode */ }
  }
  return out;
}
