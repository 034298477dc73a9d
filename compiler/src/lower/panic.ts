// <panic> → the ISA pvpanic device; the Hyper-V model is a CPU feature (hv-crash, see cpu.ts).
import type { LowerContext } from './context.js';
import type { Family } from './family.js';

export const panicFamily: Family<'panic'> = {
  kind: 'panic',
  lower(devs, ctx: LowerContext) {
    for (const p of devs) {
      const model = p.model ?? 'isa';
      const r = p.info.range;
      if (model === 'pseries' || model === 's390') ctx.unsupported(`<panic model='${model}'>`, r, 'not an x86 model');
      if (model === 'pvpanic') ctx.unsupported("<panic model='pvpanic'>", r, 'the PCI pvpanic device is not supported by libvirt 9.0');
      if (model === 'hyperv') {
        if (p.info.address) ctx.fail('invalid-address', 'the hyperv panic device takes no address', r);
        continue;
      }
      ctx.requireFlag('pvpanic', 'the ISA pvpanic device', r);
      const a = p.info.address;
      if (a && a.type !== 'isa') ctx.fail('invalid-address', `the isa panic device needs an ISA address (got '${a.type}')`, r);
      if (devs.filter((o) => (o.model ?? 'isa') === 'isa').length > 1) ctx.fail('invalid-config', 'only one ISA panic device is supported', r);
      const props: Record<string, unknown> = { driver: 'pvpanic' };
      // pvpanic calls its I/O port 'ioport', not 'iobase'
      if (a?.type === 'isa' && a.iobase !== undefined) props.ioport = a.iobase;
      ctx.device(props);
    }
  },
};
