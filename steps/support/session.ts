/**
 * One implementation per cucumber worker process, chosen by VMX_IMPL (default "reference") and reset at
 * the start of every scenario with VMX_PROFILE (default: the implementation's first profile).
 */
import { createImplementation, parseImplSpec } from '../../src/adapters/index';
import type { Implementation, ImplementationInfo } from '../../src/contract/types';

let current: { impl: Implementation; info: ImplementationInfo } | undefined;
let starting: Promise<{ impl: Implementation; info: ImplementationInfo }> | undefined;

export function implSpecFromEnv(): string {
  return process.env.VMX_IMPL?.trim() || 'reference';
}

export async function session(): Promise<{ impl: Implementation; info: ImplementationInfo }> {
  if (current) return current;
  starting ??= (async () => {
    const impl = await createImplementation(parseImplSpec(implSpecFromEnv()));
    const info = await impl.hello();
    current = { impl, info };
    return current;
  })();
  try {
    return await starting;
  } finally {
    starting = undefined;
  }
}

export async function closeSession(): Promise<void> {
  const c = current;
  current = undefined;
  if (c) await c.impl.close();
}
