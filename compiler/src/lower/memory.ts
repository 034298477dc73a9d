// -m, the guest RAM backend object, NUMA nodes and -overcommit.
import type { LowerContext } from './context.js';
import { machineCaps } from './machine.js';
import { devicesByKind } from '../model/devices/index.js';
import type { JsonProps } from './qemu-opts.js';

/** RAM below maxMemory in MiB for -m, libvirt style: `-m N` or `-m size=Kk,slots=S,maxmem=Mk`. */
export function lowerMemorySize(ctx: LowerContext): void {
  const d = ctx.domain;
  const kib = initialMemoryKiB(ctx);
  if (d.maxMemory && d.maxMemory.slots > 0) {
    ctx.arg('-m', `size=${kib}k,slots=${d.maxMemory.slots},maxmem=${d.maxMemory.kib}k`);
  } else {
    ctx.arg('-m', String(Math.floor(kib / 1024)));
  }
}

/** Initial memory: the sum of NUMA cells when there are any, else <memory> (minus memory devices). */
export function initialMemoryKiB(ctx: LowerContext): number {
  const d = ctx.domain;
  const cells = d.cpu?.numa ?? [];
  if (cells.length) return cells.reduce((s, c) => s + c.memoryKiB, 0);
  let kib = d.memory.kib;
  for (const dev of devicesByKind(d.devices, 'memory')) kib -= (dev as { sizeKiB?: number }).sizeKiB ?? 0;
  // libvirt aligns guest RAM to 1 MiB for x86 machines
  return Math.ceil(kib / 1024) * 1024;
}

/** The id of the machine's default RAM backend when the whole RAM is one backend object. */
export function machineMemoryBackendId(ctx: LowerContext): string | undefined {
  const d = ctx.domain;
  if ((d.cpu?.numa ?? []).length) return undefined;
  const id = machineCaps(ctx)?.defaultRAMid;
  return id;
}

export interface BackendChoice { qomType: string; props: JsonProps }

/** Pick the memory-backend object type and properties for a chunk of guest RAM. */
export function memoryBackend(ctx: LowerContext, id: string, sizeKiB: number, opts: { cellId?: number; hostNodes?: string; policy?: string; forceShared?: boolean; pagesizeKiB?: number } = {}): BackendChoice {
  const d = ctx.domain;
  const mb = d.memoryBacking;
  const props: JsonProps = {};
  let qomType = 'memory-backend-ram';
  const hugepage = opts.pagesizeKiB ?? hugepageFor(ctx, opts.cellId);
  const cell = opts.cellId !== undefined ? d.cpu?.numa.find((c) => c.id === opts.cellId) : undefined;
  const access = cell?.memAccess ?? mb?.access;
  const discard = cell?.discard ?? mb?.discard;
  if (hugepage !== undefined) {
    if (mb?.source === 'memfd') {
      qomType = 'memory-backend-memfd';
      props.hugetlb = true;
      props.hugetlbsize = hugepage * 1024;
    } else {
      qomType = 'memory-backend-file';
      props['mem-path'] = hugetlbfsDir(ctx, hugepage);
    }
  } else if (mb?.source === 'file' || access === 'shared' && mb?.source !== 'memfd' && mb?.source !== 'anonymous' || opts.forceShared) {
    qomType = 'memory-backend-file';
    props['mem-path'] = `${ctx.config.memoryBackingDir}/${ctx.opts.domainId}-${ctx.domain.name}`;
  } else if (mb?.source === 'memfd') {
    qomType = 'memory-backend-memfd';
  }
  const out: JsonProps = { 'qom-type': qomType, id, ...props };
  if (qomType === 'memory-backend-file' && hugepage === undefined && !mb?.source) out['x-use-canonical-path-for-ramblock-id'] = false;
  if (access === 'shared') out.share = true;
  else if (access === 'private') out.share = false;
  if (mb?.allocation?.mode === 'immediate' || hugepage !== undefined || mb?.locked) out.prealloc = true;
  if (mb?.allocation?.threads) out['prealloc-threads'] = mb.allocation.threads;
  if (discard) out['discard-data'] = true;
  out.size = sizeKiB * 1024;
  if (opts.hostNodes) {
    out['host-nodes'] = expandNodeset(opts.hostNodes);
    out.policy = opts.policy === 'strict' || opts.policy === 'restrictive' ? 'bind' : opts.policy;
  }
  return { qomType, props: out };
}

function hugepageFor(ctx: LowerContext, cellId: number | undefined): number | undefined {
  const hp = ctx.domain.memoryBacking?.hugepages;
  if (!hp) return undefined;
  const defaultSize = (): number => {
    if (!ctx.config.hugetlbfs.length) ctx.fail('no-hugetlbfs', 'hugepages are requested but no hugetlbfs is mounted (set hugetlbfs_mount in qemu.conf)', ctx.domain.memoryBacking!.range);
    return 2048;
  };
  if (!hp.pages.length) return defaultSize();
  for (const p of hp.pages) {
    if (p.nodeset === undefined || cellId === undefined || expandNodeset(p.nodeset).includes(cellId)) return p.sizeKiB ?? defaultSize();
  }
  return undefined;
}

function hugetlbfsDir(ctx: LowerContext, pageKiB: number): string {
  const mounts = ctx.config.hugetlbfs;
  // qemu.conf lists mounts; libvirt matches them by page size (2M first, then 1G in its harness)
  const bySize = mounts.find((m) => (pageKiB === 1048576 ? /1G/i.test(m) : /2M/i.test(m))) ?? mounts[0];
  if (!bySize) ctx.fail('no-hugetlbfs', `no hugetlbfs mount for ${pageKiB} KiB pages (set hugetlbfs_mount in qemu.conf)`, ctx.domain.memoryBacking!.range);
  return `${bySize}/libvirt/qemu/${ctx.opts.domainId}-${ctx.domain.name}`;
}

export function expandNodeset(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** The RAM backend object for machines whose whole RAM is one object (`memory-backend=pc.ram`). */
export function lowerRamBackend(ctx: LowerContext): void {
  const id = machineMemoryBackendId(ctx);
  if (!id) return;
  const { props } = memoryBackend(ctx, id, initialMemoryKiB(ctx), {
    hostNodes: ctx.domain.numatune?.memory?.mode !== 'restrictive' ? ctx.domain.numatune?.memory?.nodeset : undefined,
    policy: ctx.domain.numatune?.memory?.mode,
  });
  ctx.object(props);
}

export function lowerOvercommit(ctx: LowerContext): void {
  ctx.arg('-overcommit', `mem-lock=${ctx.domain.memoryBacking?.locked ? 'on' : 'off'}`);
}
