// <devices><nvram> only exists on pSeries (spapr-nvram); x86 machines have none.
import type { Family } from './family.js';

export const nvramDeviceFamily: Family<'nvram'> = {
  kind: 'nvram',
  lower(devs, ctx) {
    for (const n of devs) ctx.unsupported('<nvram> device', n.info.range, 'the spapr-nvram device exists only on pSeries machines');
  },
};
