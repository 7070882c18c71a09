/**
 * Time on the reference machine. Implementation-specific: the emulated time-stamp counter advances by
 * TSC_PER_INSTRUCTION for every instruction a logical processor retires (guest, VMM or contract-level) and
 * by nothing else, so every TSC value a scenario observes is deterministic. The VMX-preemption timer counts
 * down by 1 each time bit X of this TSC changes, X = IA32_VMX_MISC[4:0] (SDM Vol. 3C 26.5.1 "VMX-Preemption
 * Timer").
 */
export const TSC_PER_INSTRUCTION = 1;
