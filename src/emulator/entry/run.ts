/**
 * The contract's `run`: continue a logical processor that is in VMX non-root operation (after still-running).
 */
import { ContractError, type Diagnosed, type Outcome } from '../../contract/types';
import type { Machine } from '../machine';
import type { LogicalProcessor } from '../processor';
import { runNonRoot } from '../nonroot/run';
import { toOutcome } from '../root';

export function runGuest(m: Machine, cpu: LogicalProcessor, maxSteps: number): Outcome & Diagnosed {
  if (!cpu.nonRoot) {
    throw new ContractError('bad-request', `logical processor ${cpu.index} is not in VMX non-root operation; there is no guest to run`);
  }
  cpu.failedRule = '';
  return toOutcome(cpu, runNonRoot(m, cpu, maxSteps), 'run');
}
