// What the host has that a domain names by value, offered as completions: the secrets of the
// driver root (for <secret uuid|usage>) and the network bridges (for <source bridge>). Read
// when asked, through the runtime's own readers: they change while an editor is open.
import { readdirSync, existsSync } from 'node:fs';
import { resolveRoot } from '../../runtime/root.js';
import { SecretStore, secretsDir, type SecretDef } from '../../runtime/secrets.js';
import type { ServerSettings } from './settings.js';

export interface HostKnowledge {
  secrets(): SecretDef[];
  bridges(): string[];
}

export function hostKnowledge(settings: () => ServerSettings): HostKnowledge {
  return {
    secrets: () => {
      try { return new SecretStore(secretsDir(resolveRoot(settings().root, process.env))).list(); } catch { return []; }
    },
    bridges: () => {
      let names: string[];
      try { names = readdirSync('/sys/class/net'); } catch { return []; }
      return names.filter((n) => existsSync(`/sys/class/net/${n}/bridge`)).sort();
    },
  };
}
