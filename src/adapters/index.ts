/**
 * Choosing an implementation from a spec string (CLI --impl, or the VMX_IMPL environment variable):
 *   reference            the bundled reference emulator, in process (default)
 *   stdio:<command>      a child process speaking the JSON-lines protocol (spawned without a shell)
 *   module:<path>        an in-process module (TypeScript or JavaScript) exporting createImplementation()
 *   bochs                Bochs's VMX through the agent kernel (needs Debian's bochs, bochsbios, bochs-term)
 */
import * as path from 'node:path';
import type { Implementation } from '../contract/types';
import { StdioImplementation } from './stdio';

export const IMPL_SPEC_HELP = [
  'reference            the bundled reference emulator, in process (default)',
  'stdio:<command>      a program speaking the JSON-lines protocol on stdin/stdout (docs/protocol.md)',
  'module:<path>        an in-process module exporting createImplementation(): Implementation',
  'bochs                Bochs\'s VMX, driven through the agent kernel (docs/bochs.md)',
].join('\n');

export class ImplSpecError extends Error {}

export type ImplSpec =
  | { kind: 'reference' }
  | { kind: 'stdio'; command: string }
  | { kind: 'module'; path: string }
  | { kind: 'bochs'; cpuModel?: string };

export function parseImplSpec(spec: string): ImplSpec {
  const s = spec.trim();
  if (s === 'reference') return { kind: 'reference' };
  if (s === 'bochs') return { kind: 'bochs' };
  if (s.startsWith('bochs:')) return { kind: 'bochs', cpuModel: s.slice(6) };
  if (s.startsWith('stdio:') && s.length > 6) return { kind: 'stdio', command: s.slice(6) };
  if (s.startsWith('module:') && s.length > 7) return { kind: 'module', path: s.slice(7) };
  throw new ImplSpecError(`unknown implementation "${spec}"; expected one of:\n${IMPL_SPEC_HELP}`);
}

/** A short, stable label for reports (conformance.json, matrix columns). */
export function implLabel(spec: ImplSpec): string {
  switch (spec.kind) {
    case 'reference': return 'reference';
    case 'bochs': return spec.cpuModel ? `bochs:${spec.cpuModel}` : 'bochs';
    case 'stdio': return `stdio:${spec.command}`;
    case 'module': return `module:${spec.path}`;
  }
}

export async function createImplementation(spec: ImplSpec): Promise<Implementation> {
  switch (spec.kind) {
    case 'reference': {
      // require, not import(): under tsx's CommonJS hook (plain cucumber-js) import() of a .ts file fails.
      const { createReferenceImplementation } = require('../emulator/index') as typeof import('../emulator/index');
      return createReferenceImplementation();
    }
    case 'stdio':
      return new StdioImplementation(spec.command, {
        timeoutMs: process.env.VMX_STDIO_TIMEOUT_MS ? Number(process.env.VMX_STDIO_TIMEOUT_MS) : undefined,
      });
    case 'module': {
      const mod = await loadModule(path.resolve(spec.path));
      const create = mod.createImplementation ?? mod.default?.createImplementation;
      if (typeof create !== 'function') {
        throw new ImplSpecError(`module ${spec.path} does not export createImplementation()`);
      }
      return create();
    }
    case 'bochs': {
      const { createBochsImplementation } = require('./bochs/index') as typeof import('./bochs/index');
      return createBochsImplementation({ cpuModel: spec.cpuModel });
    }
  }
}

/** A user's implementation module: CommonJS or TypeScript through require, an ES module through import(). */
async function loadModule(file: string): Promise<any> {
  try {
    return require(file);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw e;
    return import(file);
  }
}
