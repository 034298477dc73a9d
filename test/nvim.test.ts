// A third-party client: neovim's built-in LSP client (Debian's neovim) drives the server.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE_DIR } from './golden-options.js';
import { ROOT } from './lsp/client.js';

const nvim = spawnSync('nvim', ['--version']).status === 0;
// In CI neovim is installed by .ci/run: a missing nvim there is a failure, not a skip.
const run = nvim || process.env.CI ? it : it.skip;

describe('neovim as LSP client', () => {
  run('shows a diagnostic and completes a capability name', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'qdc-nvim-'));
    try {
      const doc = join(tmp, 'domain.xml');
      // the editor tests' shared broken domain (an unknown element, an empty capability name)
      writeFileSync(doc, readFileSync(join(ROOT, 'fixtures/domains/editor-broken.xml'), 'utf8').replace("capability=''", "capability='vi'"));
      const out = join(tmp, 'out.json');
      const r = spawnSync('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${join(ROOT, 'test/nvim/lsp-check.lua')}`], {
        env: { ...process.env, QDC_NVIM_OUT: out, QDC_BIN: join(ROOT, 'dist/qdc.js'), QDC_CAPS_FILE: join(CONFORMANCE_DIR, 'tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml'), QDC_NVIM_DOC: doc, HOME: tmp, XDG_CONFIG_HOME: tmp, XDG_DATA_HOME: tmp, XDG_STATE_HOME: tmp },
        timeout: 30000, encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const seen = JSON.parse(readFileSync(out, 'utf8')) as { diagnostics: { code: string; message: string; line: number }[]; completion: string[]; errors: string[] };
      expect(seen.errors).toEqual([]);
      const d = seen.diagnostics.find((x) => x.code === 'schema-element');
      expect(d?.message).toMatch(/element <frobnicator> is not allowed inside <devices>/);
      expect(d?.line).toBe(5);
      expect(seen.completion).toContain('virtio-scsi-pci');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
