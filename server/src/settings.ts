// Server settings (from the client's initializationOptions / workspace configuration),
// and the compile inputs they select — read through the same edge function as the CLI.
import { statSync } from 'node:fs';
import type { CompileOptions, QemuCaps } from '../../compiler/src/index.js';
import { compileInputs, loadCaps } from '../../cli/compile-inputs.js';

export interface ServerSettings { root?: string; emulator?: string; capsFile?: string; schemaDir?: string; qemuConf?: string }

export class CompileInputsCache {
  private caps?: { file: string; mtimeMs: number; caps: QemuCaps };
  constructor(private settings: ServerSettings) {}

  update(settings: ServerSettings): void { this.settings = settings; this.caps = undefined; }
  get current(): ServerSettings { return this.settings; }

  /** Options for compiling; undefined (with a reason) when there is no capability data yet. */
  options(): { options?: CompileOptions; problem?: string } {
    const file = this.settings.capsFile ?? process.env.QDC_CAPS_FILE;
    if (!file) return { problem: 'no QEMU capabilities configured (set qdc.capsFile, or run `qdc caps`)' };
    try {
      const mtimeMs = statSync(file).mtimeMs;
      if (!this.caps || this.caps.file !== file || this.caps.mtimeMs !== mtimeMs) this.caps = { file, mtimeMs, caps: loadCaps(file) };
      return { options: compileInputs({ root: this.settings.root, caps: this.caps.caps, qemuConf: this.settings.qemuConf }).options };
    } catch (e) {
      return { problem: (e as Error).message };
    }
  }
}
