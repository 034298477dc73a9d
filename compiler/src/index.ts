// Public surface of the compiler (server/ and the library bundle dist/compiler.js). cli/ and
// runtime/ import the modules they use instead, so that `run` and `compile` do not load the
// schema engine this index also exports.
export { compile, parseDomain, type CompileResult } from './compile.js';
export type { CompileOptions, CompilePaths, SecretLookup, SecretProvider } from './lower/context.js';
export { parseFirmwareDescriptor, FirmwareDescriptorError, machineGlobMatches, type FirmwareDescriptor } from './caps/firmware.js';
export { parseQemuCaps, CapsParseError, capsToJson, capsFromJson, type QemuCaps } from './caps/caps.js';
export { parseConfText, driverConfigFrom, defaultDriverConfig, type DriverConfig } from './conf/qemu-conf.js';
export { formatArgs, formatJson, formatPlan } from './format/format.js';
export { formatDiagnostic, type Diagnostic, type Range, type Position } from './diagnostics.js';
export type { Plan, QmpStep, ConsoleEndpoint, PassedFd, PlanFile, PlanHelper, SwtpmHelper, VirtiofsdHelper } from './plan/plan.js';
export type { Domain } from './model/domain.js';
export { secretUsageType } from './model/devices/disk.js';
export { parseXml, type XmlDocument } from './xml/parse.js';
export { plannedDevices, type PlannedDevice } from './plan/devices.js';
export { capabilityNames, isKnownCapability, type CapabilityName } from './caps/capability-names.js';
export * from './schema/index.js';
