// Every command's --help ends with examples, and together they use every option the command has;
// every flag an example uses is one of the command's own options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { program } from '../../../src/cli/main';

function commands(c: Command): Command[] {
  return [c, ...c.commands.flatMap(commands)];
}

test('--help: examples for every command and every option', () => {
  const out: string[] = [];
  const p = program({ out: (s: string) => out.push(s), err: () => {}, isTTY: false } as never, new AbortController().signal);
  for (const cmd of commands(p)) {
    const help = cmd.helpInformation() + (() => {
      const chunks: string[] = [];
      cmd.configureOutput({ writeOut: (s) => chunks.push(s), writeErr: () => {} });
      cmd.exitOverride();
      try {
        cmd.outputHelp();
      } catch {
        /* exitOverride */
      }
      return chunks.join('');
    })();
    const at = help.indexOf('\nExamples:\n');
    assert.ok(at > 0, `${cmd.name()}: has examples`);
    const lines = help.slice(at).split('\n').filter((l) => l.trim().startsWith('$ mtl'));
    assert.ok(lines.length > 0, cmd.name());
    const used = new Set(lines.flatMap((l) => l.split(/\s+/)).filter((t) => t.startsWith('-')));
    for (const o of cmd.options) {
      if (o.long === '--help' || o.long === '--version') continue;
      assert.ok(used.has(o.long!) || (o.short !== undefined && used.has(o.short)), `${cmd.name()}: an example uses ${o.long}`);
    }
    const own = new Set(cmd.options.flatMap((o) => [o.long, o.short]).concat(['--help', '-h', '--version', '-V']));
    for (const flag of used) if (flag !== '>') assert.ok(own.has(flag), `${cmd.name()}: example flag ${flag} is an option`);
  }
});
