/**
 * Platform events made pending at a logical processor through the contract's deliverEvent: external
 * interrupts (held in a 256-bit request register, highest vector first, as a local APIC's IRR), NMI, INIT,
 * SIPI and SMI. What happens to them is decided where the processor next looks at its pending events:
 * in VMX non-root operation by the VM-exit rules of SDM Vol. 3C 26.2 "Other Causes of VM Exits"
 * (nonroot/events.ts); in VMX root operation and outside VMX operation they stay pending (INIT is blocked in
 * VMX root operation, 24.8; the contract executes no code in root operation that could take an interrupt).
 */
import { ContractError, type PlatformEvent } from '../contract/types';
import type { Machine } from './machine';
import type { LogicalProcessor } from './processor';

function bad(message: string): never {
  throw new ContractError('bad-request', message);
}

export function validateEvent(e: unknown): PlatformEvent {
  if (e === null || typeof e !== 'object') bad(`event must be an object, not ${String(e)}`);
  const o = e as Record<string, unknown>;
  switch (o.type) {
    case 'external-interrupt':
      if (typeof o.vector !== 'number' || !Number.isInteger(o.vector) || o.vector < 16 || o.vector > 255) {
        bad(`external-interrupt vector must be an integer in 16…255, not ${String(o.vector)}`);
      }
      break;
    case 'sipi':
      if (typeof o.vector !== 'number' || !Number.isInteger(o.vector) || o.vector < 0 || o.vector > 255) {
        bad(`sipi vector must be an integer in 0…255, not ${String(o.vector)}`);
      }
      break;
    case 'nmi':
    case 'init':
    case 'smi':
      break;
    default:
      bad(`unknown event type ${JSON.stringify(o.type)}; expected external-interrupt, nmi, init, sipi or smi`);
  }
  return e as PlatformEvent;
}

export function requestInterrupt(cpu: LogicalProcessor, vector: number): void {
  const w = vector >>> 5;
  const bit = 1 << (vector & 31);
  if ((cpu.irr[w] & bit) === 0) {
    cpu.irr[w] |= bit;
    cpu.irrCount++;
  }
}

/** Highest pending interrupt vector, or -1. */
export function highestInterrupt(cpu: LogicalProcessor): number {
  if (cpu.irrCount === 0) return -1;
  for (let w = 7; w >= 0; w--) {
    const v = cpu.irr[w];
    if (v !== 0) return w * 32 + 31 - Math.clz32(v);
  }
  return -1;
}

export function acknowledgeInterrupt(cpu: LogicalProcessor, vector: number): void {
  const w = vector >>> 5;
  const bit = 1 << (vector & 31);
  if ((cpu.irr[w] & bit) !== 0) {
    cpu.irr[w] &= ~bit;
    cpu.irrCount--;
  }
}

export function deliverPlatformEvent(_m: Machine, cpu: LogicalProcessor, e: PlatformEvent): void {
  switch (e.type) {
    case 'external-interrupt':
      requestInterrupt(cpu, e.vector);
      break;
    case 'nmi':
      cpu.pendingNmi = true;
      break;
    case 'init':
      cpu.pendingInit = true;
      break;
    case 'sipi':
      cpu.pendingSipi = e.vector;
      break;
    case 'smi':
      cpu.pendingSmi = true;
      break;
  }
  cpu.pendingEvents = true;
}
