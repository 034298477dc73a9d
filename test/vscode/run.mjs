#!/usr/bin/env node
// The extension in a real VS Code: code-server (from npm) driven by playwright-core with
// Debian's Chromium. Opens a domain, sees a diagnostic in Problems, accepts a capability-name
// completion, runs the hello domain and sees its state change, and saves a screenshot.
//   node test/vscode/run.mjs            (expects qdc.vsix: `npm run test:vscode` builds it)
// Everything code-server writes lives in one temp folder, removed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CODE_SERVER_VERSION = '4.100.3'; // later 4.x need a newer Node than 20
const RIPGREP_PKG_VERSION = '1.15.11'; // the @vscode/ripgrep code-server 4.100.3 depends on
const cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'qdc-test', `code-server-${CODE_SERVER_VERSION}`);
const shotDir = join(root, 'test/vscode/out');
const log = (m) => console.log(`[vscode] ${m}`);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-3000)}`);
  return r.stdout;
}

function ensureCodeServer() {
  const bin = join(cacheDir, 'node_modules/.bin/code-server');
  if (existsSync(bin)) return bin;
  log(`installing code-server ${CODE_SERVER_VERSION} into ${cacheDir} (once)`);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'package.json'), '{ "name": "qdc-code-server", "private": true }\n');
  // @vscode/ripgrep's postinstall downloads a binary from GitHub, which this network cannot
  // reach: seed its download cache with Debian's rg instead.
  const rgCache = join(tmpdir(), `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
  mkdirSync(rgCache, { recursive: true });
  const rg = spawnSync('sh', ['-c', 'command -v rg']).stdout?.toString().trim();
  if (!rg) throw new Error('ripgrep is missing: apt-get install -y ripgrep');
  sh('tar', ['czf', join(rgCache, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz'), '-C', dirname(rg), 'rg']);
  sh('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: cacheDir, env: { ...process.env, npm_config_unsafe_perm: 'true', npm_config_yes: 'true' }, maxBuffer: 64 * 1024 * 1024,
  });
  return bin;
}

function freePort() {
  return new Promise((res, rej) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); s.on('error', rej); });
}

async function main() {
  const vsix = join(root, 'qdc.vsix');
  if (!existsSync(vsix)) throw new Error('qdc.vsix is missing: run `npm run package` (npm run test:vscode does)');
  const codeServer = ensureCodeServer();
  const tmp = mkdtempSync(join(tmpdir(), 'qdc-vscode-'));
  let server;
  let browser;
  let page;
  try {
    const data = join(tmp, 'data');
    const ext = join(tmp, 'extensions');
    const ws = join(tmp, 'workspace');
    const qdcRoot = join(tmp, 'root');
    mkdirSync(join(data, 'User'), { recursive: true });
    mkdirSync(ws, { recursive: true });
    // TMPDIR too: VS Code puts its IPC and git sockets there, and nothing may be left behind
    mkdirSync(join(tmp, 't'), { recursive: true });
    const env = { ...process.env, HOME: tmp, TMPDIR: join(tmp, 't'), XDG_CONFIG_HOME: join(tmp, 'config'), XDG_DATA_HOME: join(tmp, 'share'), XDG_CACHE_HOME: join(tmp, 'cache') };
    sh(codeServer, ['--install-extension', vsix, '--extensions-dir', ext, '--user-data-dir', data], { env });

    // the workspace: a broken domain and the hello guest
    const caps = process.env.QDC_VSCODE_CAPS ?? join(root, '../shared/conformance/tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml');
    copyFileSync(join(root, 'fixtures/domains/editor-broken.xml'), join(ws, 'broken.domain.xml'));
    const hello = prepareHello(ws);
    writeFileSync(join(data, 'User/settings.json'), JSON.stringify({
      'qdc.capsFile': caps, 'qdc.root': qdcRoot, 'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'update.mode': 'none', 'workbench.tips.enabled': false,
      'editor.quickSuggestions': { other: false, comments: false, strings: false }, 'files.autoSave': 'off',
    }, null, 2));

    const port = await freePort();
    server = spawn(codeServer, ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--user-data-dir', data, '--extensions-dir', ext, ws], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let serverLog = '';
    server.stdout.on('data', (d) => { serverLog += d; });
    server.stderr.on('data', (d) => { serverLog += d; });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok, 60000, () => `code-server did not start:\n${serverLog}`);
    log(`code-server on port ${port}`);

    // a fresh Chromium profile inside the temp folder
    browser = await chromium.launchPersistentContext(join(tmp, 'chromium'), {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = browser.pages()[0] ?? await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    log('workbench loaded');

    // 1. open the broken domain and see the diagnostic in Problems
    await quickOpen(page, 'broken.domain.xml');
    await page.waitForSelector('.monaco-editor .view-lines', { timeout: 30000 });
    await page.keyboard.press('Control+Shift+M');
    await page.waitForFunction(() => document.querySelector('.markers-panel')?.textContent?.includes('element <frobnicator> is not allowed inside <devices>'), null, { timeout: 60000 });
    log('diagnostic shown in Problems');

    // 2. capability-name completion inside capability='' (line 9, column 27)
    await goTo(page, 9, 27);
    await page.keyboard.type('virtio-scsi');
    await page.keyboard.press('Control+Space');
    await page.waitForFunction(() => document.querySelector('.suggest-widget')?.textContent?.includes('virtio-scsi-pci'), null, { timeout: 30000 });
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+S');
    await waitFor(() => readFileSync(join(ws, 'broken.domain.xml'), 'utf8').includes("capability='virtio-scsi-pci'"), 15000, () => 'completion was not accepted');
    log('capability completion accepted');

    // 3. run the hello domain and watch its state in the status bar
    await quickOpen(page, hello);
    await page.waitForTimeout(500);
    await command(page, 'qdc: Run Domain');
    await page.waitForFunction(() => /hello: (running|shutdown)/.test(document.querySelector('.statusbar')?.textContent ?? ''), null, { timeout: 60000 });
    log('status bar shows the guest running');
    await page.waitForFunction(() => /hello: shutdown/.test(document.querySelector('.statusbar')?.textContent ?? ''), null, { timeout: 60000 });
    log('status bar shows the guest shut down');
    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: join(shotDir, 'vscode.png') });
    log(`screenshot: ${join(shotDir, 'vscode.png')}`);
    console.log('4 passed, 0 failed');
  } catch (e) {
    if (page) {
      mkdirSync(shotDir, { recursive: true });
      await page.screenshot({ path: join(shotDir, 'failure.png') }).catch(() => {});
      log(`failure screenshot: ${join(shotDir, 'failure.png')}`);
    }
    // the extension host's and the language client's logs explain most failures
    const logs = spawnSync('sh', ['-c', `find '${join(tmp, 'data', 'logs')}' -name '*.log' | xargs tail -n 40`], { encoding: 'utf8' }).stdout;
    console.error(`[vscode] logs:\n${logs}`);
    throw e;
  } finally {
    await browser?.close().catch(() => {});
    if (server && server.exitCode === null) { server.kill('SIGTERM'); await new Promise((r) => setTimeout(r, 500)); server.kill('SIGKILL'); }
    rmSync(tmp, { recursive: true, force: true });
  }
}

function prepareHello(ws) {
  // the bundled hello guest, with its disk image built by our own script
  const img = join(ws, 'hello.img');
  sh(process.execPath, [join(root, 'fixtures/guests/make-hello.mjs'), img]);
  const xml = readFileSync(join(root, 'fixtures/domains/hello.xml'), 'utf8').replace(/<source file='[^']*'/, `<source file='${img}'`);
  writeFileSync(join(ws, 'hello.domain.xml'), xml);
  return 'hello.domain.xml';
}

async function waitFor(pred, ms, why) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) { if (await pred()) return; await new Promise((r) => setTimeout(r, 200)); }
  throw new Error(typeof why === 'function' ? why() : why);
}

/** Open a quick-input list with `key`, type `text` and click the row that shows `text`. */
async function pickFromQuickInput(page, key, text) {
  await page.keyboard.press(key);
  await page.waitForSelector('.quick-input-widget input', { timeout: 15000 });
  await page.keyboard.type(text);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout: 15000 });
  await row.click();
}

const quickOpen = (page, name) => pickFromQuickInput(page, 'Control+P', name);
const command = (page, name) => pickFromQuickInput(page, 'F1', name);

async function goTo(page, line, col) {
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input', { timeout: 15000 });
  await page.keyboard.type(`${line}:${col}`);
  await page.keyboard.press('Enter');
}

main().catch((e) => { console.error(`[vscode] FAILED: ${e.stack ?? e}`); console.log('0 passed, 1 failed'); process.exit(1); });
