// Guest RAM: -m, the RAM backend objects (the machine's default one or one per NUMA cell),
// -numa (nodes, distances, HMAT) and -overcommit. Memory devices reuse `memoryBackend`.
import type { LowerContext } from './context.js';
import { shortName } from './context.js';
import { machineCaps } from './machine.js';
import { devicesOf } from '../model/devices/index.js';
import type { MemoryDevice } from '../model/devices/memory.js';
import type { NumaCell } from '../model/domain.js';
import type { Range } from '../diagnostics.js';
import type { JsonProps } from './qemu-opts.js';

/** x86 keeps guest RAM in 1 MiB units and memory modules in 2 MiB units (libvirt aligns both). */
const RAM_ALIGN_KIB = 1024;
const MODULE_ALIGN_KIB = 2048;
/** The host's base page size: a "huge" page of this size is plain memory. */
const SYSTEM_PAGE_KIB = 4;
/** x86's default huge page size, assumed for a hugetlbfs mount whose page size its path does not tell. */
const DEFAULT_HUGEPAGE_KIB = 2048;

function alignUp(kib: number, align: number): number {
  return Math.ceil(kib / align) * align;
}

export function cellMemoryKiB(cell: NumaCell): number {
  return alignUp(cell.memoryKiB, RAM_ALIGN_KIB);
}

export function memoryDeviceSizeKiB(dev: MemoryDevice): number {
  return alignUp(dev.sizeKiB, MODULE_ALIGN_KIB);
}

/** Initial memory: the sum of NUMA cells when there are any, else <memory> minus memory devices. */
export function initialMemoryKiB(ctx: LowerContext): number {
  const d = ctx.domain;
  const cells = d.cpu?.numa ?? [];
  if (cells.length) return cells.reduce((s, c) => s + cellMemoryKiB(c), 0);
  let kib = d.memory.kib;
  for (const dev of devicesOf(d.devices, 'memory')) kib -= memoryDeviceSizeKiB(dev);
  return alignUp(kib, RAM_ALIGN_KIB);
}

/** `-m N` (MiB) or, with memory hotplug, `-m size=Kk,slots=S,maxmem=Mk`. */
export function lowerMemorySize(ctx: LowerContext): void {
  const d = ctx.domain;
  const kib = initialMemoryKiB(ctx);
  if (kib <= 0) ctx.fail('invalid-memory', 'the domain has no initial memory left once memory devices are subtracted from <memory>', d.memory.range);
  if (d.maxMemory) {
    // QEMU would silently add a NUMA node for the hotplug area; libvirt wants it spelled out
    if (!(d.cpu?.numa ?? []).length) ctx.fail('memory-hotplug', 'at least one NUMA node has to be configured when enabling memory hotplug', d.maxMemory.range);
    if (d.maxMemory.kib < d.memory.kib) ctx.fail('invalid-memory', 'maximum memory size must be equal or greater than the actual memory size', d.maxMemory.range);
    ctx.arg('-m', `size=${kib}k,slots=${d.maxMemory.slots},maxmem=${d.maxMemory.kib}k`);
  } else {
    ctx.arg('-m', String(Math.floor(kib / 1024)));
  }
}

/** The id of the machine's default RAM backend when the whole RAM is one backend object. */
export function machineMemoryBackendId(ctx: LowerContext): string | undefined {
  if ((ctx.domain.cpu?.numa ?? []).length) return undefined;
  return machineCaps(ctx)?.defaultRAMid;
}

/** libvirt's limit for CPU and NUMA node sets (VIR_DOMAIN_CPUMASK_LEN). */
const MAX_SET_ID = 8191;

/** A cpuset/nodeset ("0-3,^2,8") as sorted ids; malformed parts and ids beyond libvirt's
 * limit are errors, reported through `fail`. */
export function expandNodeset(s: string, fail: (message: string) => never): number[] {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const t = part.trim();
    if (!t) continue;
    const excl = t.startsWith('^');
    const m = /^\^?(\d+)(?:-(\d+))?$/.exec(t);
    if (!m) fail(`'${s}' is not a valid set of ids (e.g. 0-3,^2,8)`);
    const a = Number(m![1]);
    const b = m![2] !== undefined ? Number(m![2]) : a;
    if (b > MAX_SET_ID) fail(`id ${b} in '${s}' is beyond ${MAX_SET_ID}, the largest libvirt accepts`);
    if (b < a) fail(`range '${t}' in '${s}' runs backwards`);
    for (let i = a; i <= b; i++) { if (excl) out.delete(i); else out.add(i); }
  }
  return [...out].sort((x, y) => x - y);
}

/** Page size of a hugetlbfs mount as its path names it (…/hugepages2M, …/hugepages-1GB); undefined otherwise. */
function mountPageKiB(path: string): number | undefined {
  const last = path.replace(/\/+$/, '').split('/').pop() ?? '';
  const m = /(\d+)\s*([KMG])i?B?$/i.exec(last);
  if (!m) return undefined;
  return Number(m[1]) * ({ K: 1, M: 1024, G: 1024 * 1024 } as Record<string, number>)[m[2]!.toUpperCase()]!;
}

function hugetlbfsMounts(ctx: LowerContext): { path: string; pageKiB: number }[] {
  return ctx.config.hugetlbfs.map((p) => ({ path: p, pageKiB: ctx.opts.hostHugepageKiB?.[p] ?? mountPageKiB(p) ?? DEFAULT_HUGEPAGE_KIB }));
}

/** The default huge page size: the page size of the first configured hugetlbfs mount. */
function defaultHugepageKiB(ctx: LowerContext, range: Range): number {
  const mounts = hugetlbfsMounts(ctx);
  if (!mounts.length) ctx.fail('no-hugetlbfs', 'hugepages are requested but no hugetlbfs is mounted (set hugetlbfs_mount in qemu.conf)', range);
  return mounts[0]!.pageKiB;
}

/** Huge page size <memoryBacking><hugepages> gives guest NUMA node `node` (or all RAM when undefined). */
function hugepageForNode(ctx: LowerContext, node: number | undefined): number | undefined {
  const mb = ctx.domain.memoryBacking;
  const hp = mb?.hugepages;
  if (!hp) return undefined;
  if (!hp.pages.length) return defaultHugepageKiB(ctx, mb!.range);
  if (node !== undefined) {
    for (const p of hp.pages) {
      if (p.nodeset !== undefined && expandNodeset(p.nodeset, (m) => ctx.fail('invalid-set', `hugepages nodeset: ${m}`, mb!.range)).includes(node)) return p.sizeKiB ?? defaultHugepageKiB(ctx, mb!.range);
    }
  }
  const dflt = hp.pages.find((p) => p.nodeset === undefined);
  if (dflt) return dflt.sizeKiB ?? defaultHugepageKiB(ctx, mb!.range);
  return undefined;
}

function hugepagePath(ctx: LowerContext, pageKiB: number, range: Range): string {
  const mounts = hugetlbfsMounts(ctx);
  if (!mounts.length) ctx.fail('no-hugetlbfs', 'hugepages are requested but no hugetlbfs is mounted (set hugetlbfs_mount in qemu.conf)', range);
  const mount = mounts.find((m) => m.pageKiB === pageKiB);
  if (!mount) ctx.fail('no-hugetlbfs', `no hugetlbfs mount offers ${pageKiB} KiB pages (hugetlbfs_mount in qemu.conf)`, range);
  return `${mount!.path}/libvirt/qemu/${domainDirName(ctx)}`;
}

function domainDirName(ctx: LowerContext): string {
  return `${ctx.opts.domainId}-${shortName(ctx.opts.domainId, ctx.domain.name)}`;
}

const POLICY: Record<string, string> = { strict: 'bind', preferred: 'preferred', interleave: 'interleave' };

/** Host NUMA binding for guest node `node`: its <memnode>, else the domain-wide <numatune><memory>. */
function hostBinding(ctx: LowerContext, node: number | undefined, sourceNodes?: string): { nodes: number[]; policy: string } | undefined {
  const nt = ctx.domain.numatune;
  const memnode = node !== undefined ? nt?.memnodes.find((m) => m.cellid === node) : undefined;
  const mode = memnode?.mode ?? nt?.memory?.mode ?? 'strict';
  if (sourceNodes !== undefined) return { nodes: expandNodeset(sourceNodes, (m) => ctx.fail('invalid-set', m, ctx.domain.range)), policy: POLICY[mode] ?? 'bind' };
  if (memnode) return memnode.mode === 'restrictive' ? undefined : { nodes: expandNodeset(memnode.nodeset, (m) => ctx.fail('invalid-set', `numatune memnode nodeset: ${m}`, ctx.domain.range)), policy: POLICY[memnode.mode]! };
  const m = nt?.memory;
  if (m?.nodeset && m.mode !== 'restrictive') return { nodes: expandNodeset(m.nodeset, (msg) => ctx.fail('invalid-set', `numatune nodeset: ${msg}`, ctx.domain.range)), policy: POLICY[m.mode]! };
  return undefined;
}

export interface BackendRequest {
  id: string;
  sizeKiB: number;
  /** Guest NUMA node the memory belongs to. */
  node?: number;
  /** The machine's default RAM object (pc.ram). */
  system?: boolean;
  device?: MemoryDevice;
  range: Range;
}

export interface Backend {
  props: JsonProps;
  /** Whether plain `-numa node,mem=` could stand in for this backend (a cell with nothing special). */
  plain: boolean;
  /** A thread-context object to create first so preallocation runs on the bound host nodes. */
  threadContext?: JsonProps;
  /** virtio-mem preallocates through the device, not the backend. */
  devicePrealloc?: boolean;
}

/** The memory-backend object for a chunk of guest RAM, libvirt's choices of type and properties. */
export function memoryBackend(ctx: LowerContext, req: BackendRequest): Backend {
  const d = ctx.domain;
  const mb = d.memoryBacking;
  const dev = req.device;
  const cell = req.node !== undefined ? d.cpu?.numa.find((c) => c.id === req.node) : undefined;
  const access = dev?.access ?? cell?.memAccess ?? mb?.access;
  const discard = dev?.discard ?? cell?.discard ?? mb?.discard;
  const filePath = dev && (dev.model === 'nvdimm' || dev.model === 'virtio-pmem') ? dev.path : undefined;

  let pageKiB: number | undefined;
  if (dev?.pagesizeKiB !== undefined) pageKiB = dev.pagesizeKiB;
  else if (filePath === undefined) pageKiB = hugepageForNode(ctx, req.node);
  if (pageKiB === SYSTEM_PAGE_KIB) pageKiB = undefined;

  const props: JsonProps = {};
  let qomType: string;
  if (pageKiB !== undefined && mb?.source === 'memfd') {
    qomType = 'memory-backend-memfd';
    props.hugetlb = true;
    props.hugetlbsize = pageKiB * 1024;
  } else if (pageKiB !== undefined) {
    qomType = 'memory-backend-file';
    props['mem-path'] = hugepagePath(ctx, pageKiB, dev?.info.range ?? mb?.range ?? req.range);
  } else if (filePath !== undefined) {
    qomType = 'memory-backend-file';
    props['mem-path'] = filePath;
  } else if (mb?.source === 'memfd') {
    qomType = 'memory-backend-memfd';
  } else if (mb?.source === 'file' || access !== undefined) {
    qomType = 'memory-backend-file';
    props['mem-path'] = `${ctx.config.memoryBackingDir}/${domainDirName(ctx)}/${req.id}`;
  } else {
    qomType = 'memory-backend-ram';
  }
  if (access === 'shared') props.share = true;
  else if (access === 'private') props.share = false;
  if (req.system && qomType === 'memory-backend-file' && ctx.has('memory-backend-file.x-use-canonical-path-for-ramblock-id')) {
    // keeps the RAM block named as with -mem-path, so migration to and from older QEMUs works
    props['x-use-canonical-path-for-ramblock-id'] = false;
  }
  let prealloc = pageKiB !== undefined || mb?.allocation?.mode === 'immediate'
    || (dev?.model === 'nvdimm' && filePath !== undefined && !dev.pmem);
  let devicePrealloc: boolean | undefined;
  if (dev?.model === 'virtio-mem') {
    // virtio-mem plugs blocks on demand: nothing is reserved up front and preallocation is the device's job
    if (ctx.has('memory-backend-file.reserve')) props.reserve = false;
    if (prealloc && ctx.has('virtio-mem-pci.prealloc')) devicePrealloc = true;
    prealloc = false;
  }
  if (prealloc) {
    props.prealloc = true;
    if (mb?.allocation?.threads !== undefined) props['prealloc-threads'] = mb.allocation.threads;
  }
  if (discard && qomType === 'memory-backend-file') props['discard-data'] = true;
  props.size = req.sizeKiB * 1024;
  if (dev?.alignKiB !== undefined) props.align = dev.alignKiB * 1024;
  if (dev?.pmem) {
    ctx.requireFlag('memory-backend-file.pmem', 'nvdimm <pmem/>', dev.info.range);
    props.pmem = true;
  }
  const binding = hostBinding(ctx, req.node, dev?.sourceNodes);
  let threadContext: JsonProps | undefined;
  if (binding) {
    props['host-nodes'] = binding.nodes;
    props.policy = binding.policy;
    if (prealloc && ctx.has('thread-context')) {
      threadContext = { 'qom-type': 'thread-context', id: `tc-${req.id}`, 'node-affinity': binding.nodes };
      props['prealloc-context'] = threadContext.id;
    }
  }
  const memnode = req.node !== undefined && d.numatune?.memnodes.some((m) => m.cellid === req.node);
  const plain = qomType === 'memory-backend-ram' && !memnode;
  return { props: { 'qom-type': qomType, id: req.id, ...props }, plain, threadContext, devicePrealloc };
}

function emitBackend(ctx: LowerContext, b: Backend): void {
  if (b.threadContext) ctx.object(b.threadContext);
  ctx.object(b.props);
}

/** The RAM backend object for machines whose whole RAM is one object (`memory-backend=pc.ram`). */
export function lowerRamBackend(ctx: LowerContext): void {
  const id = machineMemoryBackendId(ctx);
  if (!id) return;
  emitBackend(ctx, memoryBackend(ctx, { id, sizeKiB: initialMemoryKiB(ctx), system: true, range: ctx.domain.memory.range }));
}

/** Whether the domain describes HMAT (latencies, bandwidths or memory-side caches). */
export function hasHmat(ctx: LowerContext): boolean {
  const cpu = ctx.domain.cpu;
  return Boolean(cpu && (cpu.interconnects.length || cpu.numaCaches.length));
}

function validateNuma(ctx: LowerContext): void {
  const d = ctx.domain;
  const cells = d.cpu?.numa ?? [];
  const ids = new Set(cells.map((c) => c.id));
  cells.forEach((c, i) => {
    if (c.id !== i) ctx.fail('invalid-numa', `NUMA cell ids must be 0, 1, … in order (cell ${i} has id ${c.id})`, c.range);
  });
  for (const c of cells) {
    for (const cpu of expandNodeset(c.cpus ?? '', (m) => ctx.fail('invalid-set', `NUMA cell ${c.id} cpus: ${m}`, c.range))) {
      if (cpu >= d.vcpus) ctx.fail('invalid-numa', `NUMA cell ${c.id} lists vCPU ${cpu}, but the domain has only ${d.vcpus} vCPUs`, c.range);
    }
  }
  const mem = d.numatune?.memory;
  if (mem?.placement === 'auto') ctx.unsupported("<numatune><memory placement='auto'>", d.range, 'needs numad to pick the host nodes');
  const pages = d.memoryBacking?.hugepages?.pages ?? [];
  for (const p of pages) {
    if (p.nodeset === undefined) continue;
    for (const n of expandNodeset(p.nodeset, (m) => ctx.fail('invalid-set', `hugepages nodeset: ${m}`, d.memoryBacking!.range))) {
      if (!ids.has(n)) ctx.fail('invalid-hugepages', `hugepages: node ${n} not found (the domain has ${cells.length} NUMA cell(s))`, d.memoryBacking!.range);
    }
  }
  for (const m of d.numatune?.memnodes ?? []) {
    if (!ids.has(m.cellid)) ctx.fail('invalid-numatune', `<memnode cellid='${m.cellid}'> names a NUMA cell the domain does not have`, d.memoryBacking?.range ?? d.range);
  }
}

/** Which cell a CPU-less (memory-only) node's accesses are attributed to in HMAT. */
function initiatorOf(ctx: LowerContext, cell: NumaCell): number {
  const cpu = ctx.domain.cpu!;
  if (cell.cpus) return cell.id;
  const ic = cpu.interconnects.find((x) => x.target === cell.id);
  if (ic) return ic.initiator;
  return cpu.numa.find((c) => c.cpus)?.id ?? 0;
}

const HMAT_TYPES: Record<string, string> = { access: 'access', read: 'read', write: 'write' };
const CACHE_POLICY: Record<string, string> = { none: 'none', writeback: 'write-back', writethrough: 'write-through' };

/** -numa node for every cell (with its backend before it when one is needed), then dist and HMAT. */
export function lowerNuma(ctx: LowerContext): void {
  const d = ctx.domain;
  const cells = d.cpu?.numa ?? [];
  validateNuma(ctx);
  if (!cells.length) return;
  const hmat = hasHmat(ctx);
  if (hmat) ctx.requireFlag('numa.hmat', 'NUMA HMAT (<interconnects>, <cache> in a cell)', d.cpu!.range);
  const backends = cells.map((c) => memoryBackend(ctx, { id: `ram-node${c.id}`, sizeKiB: cellMemoryKiB(c), node: c.id, range: c.range }));
  // Machines that still accept `mem=` get it unless a cell needs a real backend; newer ones only take memdev.
  const legacyMem = Boolean(machineCaps(ctx)?.numaMemSupported) && !hmat && backends.every((b) => b.plain);
  if (legacyMem && d.memoryBacking?.allocation?.mode === 'immediate') ctx.arg('-mem-prealloc');
  cells.forEach((c, i) => {
    // a CPU-only node (memory='0') has no RAM to back
    const hasMemory = c.memoryKiB > 0;
    if (!legacyMem && hasMemory) emitBackend(ctx, backends[i]!);
    const parts = ['node', `nodeid=${c.id}`];
    if (c.cpus) for (const r of c.cpus.split(',')) if (r.trim()) parts.push(`cpus=${r.trim()}`);
    if (hmat) parts.push(`initiator=${initiatorOf(ctx, c)}`);
    if (hasMemory) parts.push(legacyMem ? `mem=${cellMemoryKiB(c) / 1024}` : `memdev=ram-node${c.id}`);
    ctx.arg('-numa', parts.join(','));
  });
  for (const c of cells) {
    for (const s of [...c.distances].sort((a, b) => a.id - b.id)) {
      ctx.arg('-numa', `dist,src=${c.id},dst=${s.id},val=${s.value}`);
    }
  }
  for (const ic of d.cpu!.interconnects) {
    const type = HMAT_TYPES[ic.type];
    if (!type) ctx.fail('invalid-value', `interconnect type must be access, read or write (got '${ic.type}')`, d.cpu!.range);
    const hierarchy = ic.cache === undefined ? 'memory' : ['first-level', 'second-level', 'third-level'][ic.cache - 1];
    if (!hierarchy) ctx.fail('invalid-value', `interconnect cache level must be 1, 2 or 3 (got ${ic.cache})`, d.cpu!.range);
    const parts = ['hmat-lb', `initiator=${ic.initiator}`, `target=${ic.target}`, `hierarchy=${hierarchy}`];
    if (ic.kind === 'latency') parts.push(`data-type=${type}-latency`, `latency=${ic.value}`);
    else parts.push(`data-type=${type}-bandwidth`, `bandwidth=${bandwidthKiB(ic.value, ic.unit)}K`);
    ctx.arg('-numa', parts.join(','));
  }
  for (const c of d.cpu!.numaCaches) {
    const policy = CACHE_POLICY[c.policy];
    if (!policy) ctx.fail('invalid-value', `cache policy must be none, writeback or writethrough (got '${c.policy}')`, d.cpu!.range);
    ctx.arg('-numa', `hmat-cache,node-id=${c.cell},size=${c.sizeKiB}K,level=${c.level},associativity=${c.associativity},policy=${policy},line=${c.lineBytes}`);
  }
}

function bandwidthKiB(value: number, unit: string | undefined): number {
  const f: Record<string, number> = { b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, m: 1024, mib: 1024, g: 1024 ** 2, gib: 1024 ** 2, t: 1024 ** 3, tib: 1024 ** 3 };
  return Math.ceil(value * (f[(unit ?? 'KiB').toLowerCase()] ?? 1));
}

export function lowerOvercommit(ctx: LowerContext): void {
  ctx.arg('-overcommit', `mem-lock=${ctx.domain.memoryBacking?.locked ? 'on' : 'off'}`);
}
