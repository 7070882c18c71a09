/* The contract operations that touch the processor: reset, state, execute, events (vmx.c). */
#ifndef AGENT_VMX_H
#define AGENT_VMX_H

#include "agent.h"

void vmx_boot(u64 cr0, u64 cr4);
void vmx_reset(struct cursor *c);
void vmx_set_state(struct cursor *c);
void vmx_get_state(struct cursor *c);
void vmx_execute(struct cursor *c);
void vmx_event(struct cursor *c);
void vmx_bench(struct cursor *c);

/* VMCS field encodings the agent itself uses (SDM Appendix B "Field Encoding in VMCS"). */
#define VMCS_VM_INSTRUCTION_ERROR   0x4400
#define VMCS_EXIT_REASON            0x4402
#define VMCS_EXIT_INSTRUCTION_LEN   0x440c
#define VMCS_EXIT_CONTROLS          0x400c
#define VMCS_PIN_CONTROLS           0x4000
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_RIP              0x681e
#define VMCS_HOST_RSP               0x6c14
#define VMCS_HOST_RIP               0x6c16

#endif
