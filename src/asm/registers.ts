/** Register names of the Intel syntax, mapped to iced-x86 `Register` values and classified. */
import { Register } from 'iced-x86';

export type RegClass = 'gpr8' | 'gpr16' | 'gpr32' | 'gpr64' | 'seg' | 'cr' | 'dr' | 'ip';

export interface RegInfo {
  readonly name: string;
  readonly reg: Register;
  readonly cls: RegClass;
  /** Size in bytes (segment registers: 2). */
  readonly size: number;
}

function classify(reg: Register): { cls: RegClass; size: number } | undefined {
  if (reg >= Register.AL && reg <= Register.R15L) return { cls: 'gpr8', size: 1 };
  if (reg >= Register.AX && reg <= Register.R15W) return { cls: 'gpr16', size: 2 };
  if (reg >= Register.EAX && reg <= Register.R15D) return { cls: 'gpr32', size: 4 };
  if (reg >= Register.RAX && reg <= Register.R15) return { cls: 'gpr64', size: 8 };
  if (reg === Register.EIP) return { cls: 'ip', size: 4 };
  if (reg === Register.RIP) return { cls: 'ip', size: 8 };
  if (reg >= Register.ES && reg <= Register.GS) return { cls: 'seg', size: 2 };
  if (reg >= Register.CR0 && reg <= Register.CR15) return { cls: 'cr', size: 8 };
  if (reg >= Register.DR0 && reg <= Register.DR15) return { cls: 'dr', size: 8 };
  return undefined;
}

const REGISTERS = new Map<string, RegInfo>();
for (const key of Object.keys(Register)) {
  if (!Number.isNaN(Number(key))) continue;
  const reg = (Register as unknown as Record<string, number>)[key] as Register;
  const c = classify(reg);
  if (c === undefined) continue;
  const name = key.toLowerCase();
  REGISTERS.set(name, { name, reg, ...c });
  // iced spells the low byte of r8..r15 "R8L"; Intel's manuals and most assemblers write r8b.
  if (/^r\d+l$/.test(name)) REGISTERS.set(name.replace(/l$/, 'b'), { name: name.replace(/l$/, 'b'), reg, ...c });
}

export function lookupRegister(name: string): RegInfo | undefined {
  return REGISTERS.get(name.toLowerCase());
}
