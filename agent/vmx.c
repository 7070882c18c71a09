/*
 * The processor-facing half of the agent: reset, state, execute, events.
 *
 * The agent keeps a small "register file" for the contract's logical processor: the GPRs (g_regs, SDM
 * order), RIP, RFLAGS and the CPL of the next execute. The GPRs are what the guest starts with at
 * VMLAUNCH/VMRESUME and what it left at the VM exit, because VM entry and VM exit load no GPR besides
 * RSP and RIP (SDM 27.3.2 "Loading Guest State", 28.5 "Loading Host State"). Control registers, debug
 * registers, segments, descriptor tables and MSRs are the processor's own and are read live.
 */
#include "vmx.h"

#define RF_CF 0x001
#define RF_ZF 0x040
/* Status flags set or cleared by the VMX conventions (SDM 31.2): CF PF AF ZF SF OF. */
#define STATUS_FLAGS 0x8d5
/* What the scenario's RFLAGS may set for the instruction: the status flags and DF. */
#define LOADABLE_FLAGS (STATUS_FLAGS | 0x400)

#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)

static u64 boot_cr0, boot_cr4;
static int vmx_on;             /* set by a successful VMXON, cleared by a successful VMXOFF */
static int cur_cpl;
static u64 file_rip, file_rflags = 2;
static int init_pending;       /* an INIT was sent and no VM exit for it (reason 3) was seen yet */
static int nmi_blocked_known;  /* the agent holds NMIs blocked (see vmx_event) */
static int vnmi_blocking_left; /* a VM exit may have left Bochs's virtual-NMI blocking set (see enter_guest) */
static u8 maxphyaddr;
static char msg[256];

/* MSRs written since the last reset, with their earlier values, so that reset can restore them. */
static struct { u32 msr; u64 value; } saved_msrs[32];
static int n_saved_msrs;

/* ---------------------------------------------------------------- guarded execution */

/* Runs one stub at the given CPL. Returns the stub's result; *faulted tells whether it raised an
   exception instead (vector, error code in g_fault_*). */
static u64 run(void (*fn)(void), int cpl, int *faulted) {
  g_fault_vector = (u64)-1;
  g_op.flags_in = (file_rflags & LOADABLE_FLAGS) | 2;
  u64 r = guarded_call(fn, cpl);
  *faulted = g_fault_vector != (u64)-1;
  return r;
}

static int ok_flags(void) { return !(g_op.flags_out & (RF_CF | RF_ZF)); }

static int vmread_(u64 enc, u64 *v) {
  int f;
  g_op.a = enc;
  run(op_vmread, 0, &f);
  if (f || !ok_flags()) return -1;
  *v = g_op.r[0];
  return 0;
}

static int vmwrite_(u64 enc, u64 v) {
  int f;
  g_op.a = enc;
  g_op.b = v;
  run(op_vmwrite, 0, &f);
  return f || !ok_flags() ? -1 : 0;
}

static int rdmsr_(u32 msr, u64 *v) {
  int f;
  g_op.a = msr;
  run(op_rdmsr, 0, &f);
  if (f) return -1;
  *v = g_op.r[0];
  return 0;
}

/* WRMSR at a CPL, remembering the MSR's earlier value the first time it is written after a reset. */
static int wrmsr_tracked(u32 msr, u64 v, int cpl, int *faulted) {
  u64 old;
  int known = 0;
  for (int i = 0; i < n_saved_msrs; i++) known |= saved_msrs[i].msr == msr;
  int have_old = !known && rdmsr_(msr, &old) == 0;
  g_op.a = msr;
  g_op.b = v;
  run(op_wrmsr, cpl, faulted);
  if (!*faulted && have_old && n_saved_msrs < 32) {
    saved_msrs[n_saved_msrs].msr = msr;
    saved_msrs[n_saved_msrs].value = old;
    n_saved_msrs++;
  }
  return *faulted ? -1 : 0;
}

static int has_error_code(u64 v) {
  return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

static int canonical(u64 v) {
  u64 top = v >> 47;
  return top == 0 || top == 0x1ffff;
}

/* ---------------------------------------------------------------- outcomes */

enum { OC_VMSUCCEED = 0, OC_VMFAIL_INVALID = 1, OC_VMFAIL_VALID = 2, OC_FAULT = 3, OC_COMPLETED = 4,
       OC_VMEXIT = 5 };
#define OCF_VALUE 1
#define OCF_ERRCODE 2

struct outcome {
  u8 kind, flags;
  u16 nvalues;
  u32 num, err;
  u64 v[4];
} __attribute__((packed));

static void fault_outcome(struct outcome *o) {
  o->kind = OC_FAULT;
  o->num = (u32)g_fault_vector;
  if (has_error_code(g_fault_vector)) {
    o->flags |= OCF_ERRCODE;
    o->err = (u32)g_fault_error;
  }
}

/* VMsucceed / VMfailInvalid / VMfailValid from RFLAGS after a VMX instruction (SDM 31.2 "Conventions"):
   CF=1 is VMfailInvalid; ZF=1 is VMfailValid, with the number in the VM-instruction error field. */
static void flags_outcome(struct outcome *o, u64 value, int has_value) {
  u64 f = g_op.flags_out;
  file_rflags = (file_rflags & ~(u64)STATUS_FLAGS) | (f & STATUS_FLAGS);
  if (f & RF_CF) {
    o->kind = OC_VMFAIL_INVALID;
  } else if (f & RF_ZF) {
    u64 e = 0;
    o->kind = OC_VMFAIL_VALID;
    vmread_(VMCS_VM_INSTRUCTION_ERROR, &e);
    o->num = (u32)e;
  } else {
    o->kind = OC_VMSUCCEED;
    if (has_value) {
      o->flags |= OCF_VALUE;
      o->nvalues = 1;
      o->v[0] = value;
    }
  }
}

static void exec_vmx(void (*fn)(void), struct outcome *o, int has_value) {
  int f;
  run(fn, cur_cpl, &f);
  if (f) fault_outcome(o);
  else flags_outcome(o, g_op.r[0], has_value);
}

/*
 * VMLAUNCH/VMRESUME at CPL 0, and the HOST_RIP/HOST_RSP rule (docs/bochs.md):
 * the scenario writes the host-state area with the values getState reports, so a VM exit lands in the
 * agent's own environment; only RIP and RSP cannot be known to the scenario. Just before VM entry the
 * agent replaces HOST_RIP by its exit stub and HOST_RSP by its stack (as KVM does with HOST_RSP), and
 * just after the entry fails or the VM exit happens it writes the scenario's values back. getState then
 * reports rip/rsp = the scenario's HOST_RIP/HOST_RSP, as if the exit had landed there. HOST_RIP is left
 * alone when it is not canonical, so the host-state checks still see it (SDM 27.2.4 "Checks Related to
 * Address-Space Size": with a 64-bit host, host RIP must be canonical); HOST_RSP has no check.
 */
static void enter_guest(int resume, struct outcome *o) {
  if (cur_cpl != 0 || !vmx_on) {
    /* #GP at CPL > 0, #UD outside VMX operation: let the processor say so. */
    exec_vmx(resume ? op_vmresume : op_vmlaunch, o, 0);
    return;
  }
  /* VMPTRST first: without a current VMCS the entry fails with VMfailInvalid anyway, and the agent's own
     VMREAD/VMWRITE would only add noise to the Bochs log that is attached to the outcome. */
  u64 host_rip = 0, host_rsp = 0;
  int have = 0, f;
  run(op_vmptrst, 0, &f);
  if (!f && ok_flags() && g_op.r[0] != ~0ul)
    have = vmread_(VMCS_HOST_RIP, &host_rip) == 0 && vmread_(VMCS_HOST_RSP, &host_rsp) == 0;
  if (have && canonical(host_rip)) vmwrite_(VMCS_HOST_RIP, (u64)vmx_exit_stub);
  g_subst_host = (u32)have;
  g_resume = (u32)resume;
  g_fault_vector = (u64)-1;
  u64 exited = guarded_call(vmx_enter, 0);
  if (g_fault_vector != (u64)-1) {
    fault_outcome(o);
  } else if (exited) {
    u64 reason = 0;
    vmread_(VMCS_EXIT_REASON, &reason);
    o->kind = OC_VMEXIT;
    o->num = (u32)reason;
    file_rip = host_rip;
    g_regs[4] = host_rsp;
    file_rflags = 2;              /* SDM 28.5.3: RFLAGS is cleared except bit 1 */
    nmi_blocked_known = 0;        /* VM entry loaded the guest's NMI blocking; the exit may change it */
    if ((reason & 0xffff) == 3) init_pending = 0;
    /* With "virtual NMIs" 1, virtual-NMI blocking belongs to the guest: VM entry takes it from bit 3 of the
       guest interruptibility state and a VM exit saves it there (SDM 27.3.2 "Loading Guest State", 28.3.4
       "Saving Non-Register State"). Bochs 2.7 keeps it as an event mask of its own that VM entry only ever
       sets, never clears (cpu/vmx.cc, VMenterLoadCheckGuestState; only a guest IRET clears it), so blocking
       left by one scenario's guest would block the NMI window of the next scenario's guest. Bochs SF #1456,
       fixed after 2.7 (commit bd51ec5f8). When the exit shows that blocking (or an entry failure leaves the
       entry's value there), the next reset reboots the machine so that every scenario starts clean. */
    u64 pin = 0, intr = 0;
    if (vmread_(VMCS_PIN_CONTROLS, &pin) == 0 && (pin & (1u << 5)) &&
        vmread_(VMCS_GUEST_INTERRUPTIBILITY, &intr) == 0 && (intr & (1u << 3)))
      vnmi_blocking_left = 1;
  } else {
    flags_outcome(o, 0, 0);
  }
  if (have) {
    vmwrite_(VMCS_HOST_RIP, host_rip);
    vmwrite_(VMCS_HOST_RSP, host_rsp);
  }
}

/* ---------------------------------------------------------------- execute */

enum {
  M_VMXON = 1, M_VMPTRLD, M_VMCLEAR, M_VMPTRST, M_VMREAD, M_VMWRITE, M_VMLAUNCH, M_VMRESUME, M_VMXOFF,
  M_VMCALL, M_INVEPT, M_INVVPID, M_CPUID, M_RDMSR, M_WRMSR, M_MOVCR0, M_MOVCR3, M_MOVCR4,
};

/* A 4 KiB-aligned VMXON/VMCLEAR/VMPTRLD operand the processor would accept must not point into the
   agent's memory: VMCLEAR writes the launch state there, and Bochs keeps the whole VMCS in memory.
   Operands the processor refuses before touching memory (unaligned, beyond MAXPHYADDR) pass. */
static int region_operand_ok(u64 a) {
  if (a & 0xfff) return 1;
  if (maxphyaddr < 64 && (a >> maxphyaddr)) return 1;
  return a >= WINDOW_START && a < WINDOW_END;
}

void vmx_execute(struct cursor *c) {
  u8 m = (u8)take(c, 1);
  u64 a = take(c, 8), b = take(c, 8), cc = take(c, 8), d = take(c, 8);
  struct outcome o;
  int f;
  if (c->bad) {
    reply_error(ST_BAD_REQUEST, "malformed execute request");
    return;
  }
  memset(&o, 0, sizeof o);
  switch (m) {
    case M_VMXON:
    case M_VMPTRLD:
    case M_VMCLEAR:
      if (!region_operand_ok(a)) {
        fmt(msg, sizeof msg, "operand %x is in the agent's memory; use the scenario window %x-%x", a,
            (u64)WINDOW_START, (u64)WINDOW_END - 1);
        reply_error(ST_BAD_REQUEST, msg);
        return;
      }
      g_op.a = a;
      exec_vmx(m == M_VMXON ? op_vmxon : m == M_VMPTRLD ? op_vmptrld : op_vmclear, &o, 0);
      if (m == M_VMXON && o.kind == OC_VMSUCCEED) vmx_on = 1;
      break;
    case M_VMPTRST:
      g_op.r[0] = 0;
      exec_vmx(op_vmptrst, &o, 1);
      break;
    case M_VMREAD:
      g_op.a = a;
      exec_vmx(op_vmread, &o, 1);
      break;
    case M_VMWRITE:
      g_op.a = a;
      g_op.b = b;
      exec_vmx(op_vmwrite, &o, 0);
      break;
    case M_VMLAUNCH:
    case M_VMRESUME:
      g_after_movss = a != 0;   /* operand a: execute right after MOV SS (contract option afterMovSs) */
      enter_guest(m == M_VMRESUME, &o);
      g_after_movss = 0;
      break;
    case M_VMXOFF:
      exec_vmx(op_vmxoff, &o, 0);
      if (o.kind == OC_VMSUCCEED) vmx_on = 0;
      break;
    case M_VMCALL:
      exec_vmx(op_vmcall, &o, 0);
      break;
    case M_INVEPT:
    case M_INVVPID:
      g_op.a = a;
      g_op.desc[0] = cc;
      g_op.desc[1] = d;
      exec_vmx(m == M_INVEPT ? op_invept : op_invvpid, &o, 0);
      break;
    case M_CPUID:
      g_op.a = a;
      g_op.b = b;
      run(op_cpuid, cur_cpl, &f);
      if (f) {
        fault_outcome(&o);
        break;
      }
      o.kind = OC_COMPLETED;
      o.nvalues = 4;
      for (int i = 0; i < 4; i++) o.v[i] = g_op.r[i] & 0xffffffff;
      g_regs[0] = o.v[0];   /* CPUID writes EAX, EBX, ECX, EDX (upper halves cleared) */
      g_regs[3] = o.v[1];
      g_regs[1] = o.v[2];
      g_regs[2] = o.v[3];
      break;
    case M_RDMSR:
      g_op.a = a;
      run(op_rdmsr, cur_cpl, &f);
      if (f) {
        fault_outcome(&o);
        break;
      }
      o.kind = OC_COMPLETED;
      o.nvalues = 1;
      o.v[0] = g_op.r[0];
      g_regs[0] = g_op.r[0] & 0xffffffff;
      g_regs[2] = g_op.r[0] >> 32;
      break;
    case M_WRMSR:
      if (wrmsr_tracked((u32)a, b, cur_cpl, &f) < 0) fault_outcome(&o);
      else o.kind = OC_COMPLETED;
      break;
    case M_MOVCR0:
    case M_MOVCR3:
    case M_MOVCR4:
      if (m == M_MOVCR3 && a != read_cr3()) {
        reply_error(ST_UNSUPPORTED, "MOV to CR3 of another value would unmap the agent; only a reload of "
                                    "the current CR3 (getState cr3) is supported");
        return;
      }
      if (m == M_MOVCR4 && (a & (CR4_SMEP | CR4_SMAP))) {
        reply_error(ST_UNSUPPORTED, "CR4.SMEP/SMAP would fault on the agent's own user-accessible pages");
        return;
      }
      g_op.a = a;
      run(m == M_MOVCR0 ? op_movcr0 : m == M_MOVCR3 ? op_movcr3 : op_movcr4, cur_cpl, &f);
      if (f) fault_outcome(&o);
      else o.kind = OC_COMPLETED;
      break;
    default:
      reply_error(ST_BAD_REQUEST, "unknown mnemonic");
      return;
  }
  reply_begin(ST_OK, sizeof o);
  reply_bytes(&o, sizeof o);
  reply_end();
}

/* ---------------------------------------------------------------- state */

/* State item numbers (mirrored in src/adapters/bochs/protocol.ts). */
#define SI_GPR0 0        /* 0-15: RAX RCX RDX RBX RSP RBP RSI RDI R8-R15 */
#define SI_RIP 16
#define SI_RFLAGS 17
#define SI_CR0 18
#define SI_CR2 19
#define SI_CR3 20
#define SI_CR4 21
#define SI_CR8 22
#define SI_DR0 23        /* 23-26: DR0-DR3 */
#define SI_DR6 27
#define SI_DR7 28
#define SI_SEG0 32       /* 32 + 4*seg + {selector, base, limit, access}; seg: ES CS SS DS FS GS LDTR TR */
#define SI_GDTR_BASE 64
#define SI_GDTR_LIMIT 65
#define SI_IDTR_BASE 66
#define SI_IDTR_LIMIT 67
#define SI_CPL 68
#define SI_VMX_MODE 69
#define SI_ACTIVITY 70
#define SI_MSR 0x100     /* followed by the MSR address, u32 */

static u16 seg_selector(int s) {
  u16 v = 0;
  switch (s) {
    case 0: __asm__ volatile("mov %%es, %0" : "=r"(v)); break;
    case 1: __asm__ volatile("mov %%cs, %0" : "=r"(v)); break;
    case 2: __asm__ volatile("mov %%ss, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("mov %%ds, %0" : "=r"(v)); break;
    case 4: __asm__ volatile("mov %%fs, %0" : "=r"(v)); break;
    case 5: __asm__ volatile("mov %%gs, %0" : "=r"(v)); break;
    case 6: __asm__ volatile("sldt %0" : "=r"(v)); break;
    case 7: __asm__ volatile("str %0" : "=r"(v)); break;
  }
  return v;
}

/* Base, limit and access rights of a segment register from its GDT descriptor, in the VMCS format of
   SDM 25.4.1 Table 25-2 "Format of Access Rights" (bit 16 = unusable). The agent's descriptors carry
   exactly what a VM exit loads into the hidden parts (SDM 28.5.2), so the two views agree. */
static void seg_info(int s, u64 *base, u64 *limit, u64 *ar) {
  u16 sel = seg_selector(s);
  *base = 0;
  *limit = 0;
  *ar = 0x10000;
  if ((sel & ~3) != 0) {
    const u64 *g = (const u64 *)gdt;
    u64 desc = g[sel >> 3];
    u64 flags = (desc >> 52) & 0xf;
    *ar = ((desc >> 40) & 0xff) | (flags << 12);
    *limit = (desc & 0xffff) | ((desc >> 32) & 0xf0000);
    if (flags & 8) *limit = (*limit << 12) | 0xfff;
    *base = ((desc >> 16) & 0xffffff) | (((desc >> 56) & 0xff) << 24);
    if (!(desc & (1ul << 44))) *base |= g[(sel >> 3) + 1] << 32;    /* system descriptor: 16 bytes */
  }
  if (s == 4 || s == 5) rdmsr_(s == 4 ? 0xc0000100 : 0xc0000101, base);  /* IA32_FS_BASE, IA32_GS_BASE */
}

static u64 read_dr(int n) {
  u64 v = 0;
  switch (n) {
    case 0: __asm__ volatile("mov %%db0, %0" : "=r"(v)); break;
    case 1: __asm__ volatile("mov %%db1, %0" : "=r"(v)); break;
    case 2: __asm__ volatile("mov %%db2, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("mov %%db3, %0" : "=r"(v)); break;
    case 6: __asm__ volatile("mov %%db6, %0" : "=r"(v)); break;
    case 7: __asm__ volatile("mov %%db7, %0" : "=r"(v)); break;
  }
  return v;
}

/* Returns 0 and *v, or -1 with msg set. */
static int get_item(u32 id, u32 msr, u64 *v) {
  struct dtr { u16 limit; u64 base; } __attribute__((packed)) t;
  if (id < 16) { *v = g_regs[id]; return 0; }
  if (id >= SI_SEG0 && id < SI_SEG0 + 32) {
    u64 base, limit, ar;
    int s = (int)(id - SI_SEG0) / 4, k = (int)(id - SI_SEG0) % 4;
    seg_info(s, &base, &limit, &ar);
    *v = k == 0 ? seg_selector(s) : k == 1 ? base : k == 2 ? limit : ar;
    return 0;
  }
  if (id >= SI_DR0 && id <= SI_DR7) {
    *v = read_dr(id == SI_DR6 ? 6 : id == SI_DR7 ? 7 : (int)(id - SI_DR0));
    return 0;
  }
  switch (id) {
    case SI_RIP: *v = file_rip; return 0;
    case SI_RFLAGS: *v = file_rflags; return 0;
    case SI_CR0: *v = read_cr0(); return 0;
    case SI_CR2: *v = read_cr2(); return 0;
    case SI_CR3: *v = read_cr3(); return 0;
    case SI_CR4: *v = read_cr4(); return 0;
    case SI_CR8: *v = read_cr8(); return 0;
    case SI_GDTR_BASE: case SI_GDTR_LIMIT:
      __asm__ volatile("sgdt %0" : "=m"(t));
      *v = id == SI_GDTR_BASE ? t.base : t.limit;
      return 0;
    case SI_IDTR_BASE: case SI_IDTR_LIMIT:
      __asm__ volatile("sidt %0" : "=m"(t));
      *v = id == SI_IDTR_BASE ? t.base : t.limit;
      return 0;
    case SI_CPL: *v = (u64)cur_cpl; return 0;
    case SI_VMX_MODE: *v = vmx_on ? 1 : 0; return 0;
    case SI_ACTIVITY: *v = 0; return 0;
    case SI_MSR:
      if (rdmsr_(msr, v) == 0) return 0;
      fmt(msg, sizeof msg, "RDMSR %x raised #GP: the processor does not implement it", (u64)msr);
      return -1;
  }
  fmt(msg, sizeof msg, "unknown state item %d", (i64)id);
  return -1;
}

void vmx_get_state(struct cursor *c) {
  u32 n = (u32)take(c, 2);
  static u64 values[512];
  if (n > 512) c->bad = 1;
  for (u32 i = 0; i < n && !c->bad; i++) {
    u32 id = (u32)take(c, 2);
    u32 msr = id == SI_MSR ? (u32)take(c, 4) : 0;
    if (c->bad) break;
    if (get_item(id, msr, &values[i]) < 0) {
      reply_error(ST_BAD_REQUEST, msg);
      return;
    }
  }
  if (c->bad) {
    reply_error(ST_BAD_REQUEST, "malformed getState request");
    return;
  }
  reply_begin(ST_OK, n * 8);
  reply_bytes(values, n * 8);
  reply_end();
}

static int set_item(u32 id, u32 msr, u64 v) {
  int f = 0;
  if (id < 16) { g_regs[id] = v; return 0; }
  if (id >= SI_DR0 && id <= SI_DR7) {
    g_op.a = id == SI_DR6 ? 6 : id == SI_DR7 ? 7 : id - SI_DR0;
    g_op.b = v;
    run(op_movdr, 0, &f);
  } else {
    switch (id) {
      case SI_RIP: file_rip = v; return 0;
      case SI_RFLAGS: file_rflags = v | 2; return 0;
      case SI_CPL:
        if (v > 3) { fmt(msg, sizeof msg, "cpl %x is not 0-3", v); return -1; }
        cur_cpl = (int)v;
        return 0;
      case SI_CR0: case SI_CR4: case SI_CR2: case SI_CR8:
        if (id == SI_CR4 && (v & (CR4_SMEP | CR4_SMAP))) {
          fmt(msg, sizeof msg, "CR4.SMEP/SMAP would fault on the agent's own user-accessible pages");
          return -1;
        }
        g_op.a = v;
        run(id == SI_CR0 ? op_movcr0 : id == SI_CR4 ? op_movcr4 : id == SI_CR2 ? op_movcr2 : op_movcr8, 0, &f);
        break;
      case SI_CR3:
        if (v == read_cr3()) return 0;
        fmt(msg, sizeof msg, "cr3 is the agent's page-table root and cannot be changed");
        return -1;
      case SI_MSR:
        if (msr == 0x3a) {
          /* IA32_FEATURE_CONTROL: once its lock bit (bit 0) is set, WRMSR to it raises #GP until the next
             reset (SDM 24.7 "Enabling and Entering VMX Operation"). The firmware (Bochs itself, at reset)
             locked it before the agent ran, so the agent cannot give it another value: the platform
             set-up a scenario asks for is unsupported here, which is not a processor fault. */
          u64 cur = 0;
          if (rdmsr_(msr, &cur) == 0 && cur == v) return 0;
          if (rdmsr_(msr, &cur) == 0 && (cur & 1)) {
            fmt(msg, sizeof msg, "IA32_FEATURE_CONTROL is locked (%x) since reset; WRMSR to it raises #GP until "
                "the next reset, so it cannot be set to %x here", cur, v);
            return -2;
          }
        }
        wrmsr_tracked(msr, v, 0, &f);
        break;
      default:
        fmt(msg, sizeof msg, "state item %d cannot be set on this implementation", (i64)id);
        return -1;
    }
  }
  if (f) {
    fmt(msg, sizeof msg, "setting state item %d (msr %x) to %x raised exception %d", (i64)id, (u64)msr, v,
        (i64)g_fault_vector);
    return -1;
  }
  return 0;
}

void vmx_set_state(struct cursor *c) {
  u32 n = (u32)take(c, 2);
  for (u32 i = 0; i < n && !c->bad; i++) {
    u32 id = (u32)take(c, 2);
    u32 msr = id == SI_MSR ? (u32)take(c, 4) : 0;
    u64 v = take(c, 8);
    if (c->bad) break;
    int r = set_item(id, msr, v);
    if (r < 0) {
      reply_error(r == -2 ? ST_UNSUPPORTED : ST_BAD_REQUEST, msg);
      return;
    }
  }
  if (c->bad) {
    reply_error(ST_BAD_REQUEST, "malformed setState request");
    return;
  }
  reply_begin(ST_OK, 0);
  reply_end();
}

/* ---------------------------------------------------------------- reset and capabilities */

/* IA32_FEATURE_CONTROL and the VMX capability MSRs (SDM Appendix A "VMX Capability Reporting
   Facility"). Each is read under guard: an MSR the model does not implement raises #GP and is left
   out, which is exactly what "absent" means in the contract. */
static const u32 cap_msrs[] = {
  0x3a, 0x480, 0x481, 0x482, 0x483, 0x484, 0x485, 0x486, 0x487, 0x488, 0x489, 0x48a, 0x48b, 0x48c,
  0x48d, 0x48e, 0x48f, 0x490, 0x491, 0x492,
};

void vmx_boot(u64 cr0, u64 cr4) {
  int f;
  boot_cr0 = cr0;
  boot_cr4 = cr4;
  g_op.a = 0x80000000;
  g_op.b = 0;
  run(op_cpuid, 0, &f);
  maxphyaddr = 36;
  if (!f && (g_op.r[0] & 0xffffffff) >= 0x80000008) {
    g_op.a = 0x80000008;
    run(op_cpuid, 0, &f);
    if (!f) maxphyaddr = (u8)(g_op.r[0] & 0xff);   /* CPUID.80000008H:EAX[7:0] */
  }
}

/* IRETQ to the next instruction: ends any NMI blocking the agent holds (SDM Vol. 3A, 6.7.1). */
static void iret_to_self(void) {
  __asm__ volatile(
      "mov %%rsp, %%rax\n\t"
      "pushq %[ss]\n\t"
      "pushq %%rax\n\t"
      "pushfq\n\t"
      "pushq %[cs]\n\t"
      "lea 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "iretq\n"
      "1:"
      :
      : [ss] "i"(SEL_KDATA), [cs] "i"(SEL_KCODE)
      : "rax", "memory");
}

/*
 * Zeroing the 30 MiB window dominates reset. An emulator pays per instruction more than per byte: under
 * Bochs REP STOSQ costs about 37 ns per 8 bytes (Debian's build has no "repeat speedups"), a 64-byte
 * AVX-512 store about 80 ns, so AVX-512 is four times faster (about 40 ms against 150 ms); 16-byte SSE
 * stores gain nothing. So: AVX-512 where CPUID advertises AVX512F and XCR0 can enable its state, REP STOSQ
 * otherwise. The vector state is enabled only for the duration (CR4.OSXSAVE, XCR0) and both are put
 * back: a guest runs with the host's XCR0, so a scenario's XSAVES sees it (the agent once left XCR0 at
 * E7H here, and XSAVES in a guest then wrote AVX-512 components into XCOMP_BV). The agent keeps no vector
 * state of its own and no contract operation observes ZMM registers.
 */
static void zero_window(void) {
  int f, avx512 = 0;
  g_op.a = 7;
  g_op.b = 0;
  run(op_cpuid, 0, &f);
  u64 leaf7_ebx = g_op.r[1];
  g_op.a = 1;
  run(op_cpuid, 0, &f);
  u64 leaf1_ecx = g_op.r[2];
  if ((leaf1_ecx >> 26) & 1 && (leaf7_ebx >> 16) & 1) {      /* XSAVE and AVX512F */
    g_op.a = 0xd;
    g_op.b = 0;
    run(op_cpuid, 0, &f);
    avx512 = (g_op.r[0] & 0xe7) == 0xe7;                     /* x87 SSE AVX opmask ZMM_Hi256 Hi16_ZMM */
  }
  if (avx512) {
    u64 cr4 = read_cr4();
    write_cr4(cr4 | (1ul << 9) | (1ul << 18));              /* OSFXSR, OSXSAVE */
    zero_avx512((void *)WINDOW_START, WINDOW_END - WINDOW_START);
    write_cr4(cr4);
  } else {
    u64 cnt = (WINDOW_END - WINDOW_START) / 8;
    void *dst = (void *)WINDOW_START;
    __asm__ volatile("cld; rep stosq" : "+D"(dst), "+c"(cnt) : "a"(0ul) : "memory");
  }
}

void vmx_reset(struct cursor *c) {
  u8 flags = (u8)take(c, 1);
  int f;
  if (init_pending) {
    /* VMXOFF would unblock the INIT (SDM 24.8: INIT is blocked in VMX root operation) and reset the
       processor under the agent: only a reboot gets a clean machine back. */
    reply_error(ST_REBOOT, "an INIT signal is pending; the machine must be rebooted");
    return;
  }
  if (vnmi_blocking_left) {
    reply_error(ST_REBOOT, "a guest left virtual-NMI blocking, which Bochs 2.7 carries into the next VM entry; "
                           "the machine must be rebooted");
    return;
  }
  if (vmx_on) {
    run(op_vmxoff, 0, &f);
    vmx_on = 0;
  }
  while (n_saved_msrs > 0) {
    n_saved_msrs--;
    g_op.a = saved_msrs[n_saved_msrs].msr;
    g_op.b = saved_msrs[n_saved_msrs].value;
    run(op_wrmsr, 0, &f);
  }
  g_op.a = boot_cr4;
  run(op_movcr4, 0, &f);
  g_op.a = boot_cr0;
  run(op_movcr0, 0, &f);
  g_op.a = 0;
  run(op_movcr2, 0, &f);
  run(op_movcr8, 0, &f);
  for (int i = 0; i < 4; i++) {
    g_op.a = (u64)i;
    g_op.b = 0;
    run(op_movdr, 0, &f);
  }
  g_op.a = 6;
  g_op.b = 0xffff0ff0;
  run(op_movdr, 0, &f);
  g_op.a = 7;
  g_op.b = 0x400;
  run(op_movdr, 0, &f);
  tables_reload_for_reset();

  /* Drain events a scenario left pending: end NMI blocking (a pending NMI is then taken and counted),
     and open an interrupt window for pending local-APIC interrupts (each is acknowledged with EOI). */
  g_nmi_keep_blocked = 0;
  iret_to_self();
  nmi_blocked_known = 0;
  for (int i = 0; i < 4; i++) run(op_sti_window, 0, &f);

  memset(g_regs, 0, sizeof(u64) * 16);
  file_rip = 0;
  file_rflags = 2;
  cur_cpl = 0;

  if (flags & 1) {
    zero_window();
  }

  /* Appendix A says which capability MSRs exist: PROCBASED_CTLS2 if "activate secondary controls" may
     be 1 (A.3.3), EPT_VPID_CAP if EPT or VPID may be 1 (A.10), the TRUE_* MSRs if IA32_VMX_BASIC[55]
     (A.1), VMFUNC if "enable VM functions" may be 1 (A.11), PROCBASED_CTLS3 if "activate tertiary
     controls" may be 1 (A.3.4). An MSR is reported when it is advertised and RDMSR of it succeeds. */
  u8 hdr[1 + 8 + 2];
  static u8 entries[sizeof cap_msrs / sizeof cap_msrs[0] * 12];
  u16 count = 0;
  u64 basic = 0, proc = 0, proc2 = 0;
  int have_proc = rdmsr_(0x482, &proc) == 0;
  int have_basic = rdmsr_(0x480, &basic) == 0;
  int have_proc2 = have_proc && (proc >> 63) & 1 && rdmsr_(0x48b, &proc2) == 0;
  for (u32 i = 0; i < sizeof cap_msrs / sizeof cap_msrs[0]; i++) {
    u32 msr = cap_msrs[i];
    u64 v;
    int advertised = 1;
    if (msr == 0x48b) advertised = have_proc2;
    else if (msr == 0x48c) advertised = have_proc2 && ((proc2 >> 33) & 1 || (proc2 >> 37) & 1);
    else if (msr >= 0x48d && msr <= 0x490) advertised = have_basic && (basic >> 55) & 1;
    else if (msr == 0x491) advertised = have_proc2 && (proc2 >> 45) & 1;
    else if (msr == 0x492) advertised = have_proc && (proc >> 49) & 1;
    if (!advertised || rdmsr_(msr, &v) < 0) continue;
    memcpy(entries + count * 12, &msr, 4);
    memcpy(entries + count * 12 + 4, &v, 8);
    count++;
  }
  u64 ram = RAM_END;
  hdr[0] = maxphyaddr;
  memcpy(hdr + 1, &ram, 8);
  memcpy(hdr + 9, &count, 2);
  reply_begin(ST_OK, sizeof hdr + count * 12u);
  reply_bytes(hdr, sizeof hdr);
  reply_bytes(entries, count * 12u);
  reply_end();
}

/* ---------------------------------------------------------------- events */

enum { EV_EXTINT = 1, EV_NMI = 2, EV_INIT = 3, EV_SIPI = 4, EV_SMI = 5 };

static void icr_send(u32 dest_apic_id, u32 low) {
  while (*lapic_reg(0x300) & (1u << 12)) {}     /* ICR delivery status: wait until idle */
  *lapic_reg(0x310) = dest_apic_id << 24;
  *lapic_reg(0x300) = low;
  while (*lapic_reg(0x300) & (1u << 12)) {}
}

static u32 own_apic_id(void) { return *lapic_reg(0x20) >> 24; }

/*
 * Makes an event pending at the processor, to be recognised at the next VM entry:
 *  - external interrupt: a fixed self-IPI (SDM Vol. 3A, 12.6 "Issuing Interprocessor Interrupts"); the
 *    agent runs with RFLAGS.IF=0, so it stays requested in the local APIC's IRR.
 *  - NMI: NMIs are not masked by IF, so the agent first takes one NMI and returns from its handler
 *    without IRET, which leaves NMIs blocked (SDM 6.7.1); the second NMI then stays pending.
 *  - INIT: blocked in VMX root operation (SDM 24.8 "Restrictions on VMX Operation"), so it stays
 *    pending; outside VMX operation it would reset the processor under the agent, so it is refused.
 */
void vmx_event(struct cursor *c) {
  u8 type = (u8)take(c, 1);
  u32 vector = (u32)take(c, 4);
  if (c->bad) {
    reply_error(ST_BAD_REQUEST, "malformed event request");
    return;
  }
  switch (type) {
    case EV_EXTINT:
      if (vector < 16 || vector > 255) {
        reply_error(ST_BAD_REQUEST, "external-interrupt vectors 0-15 are illegal for a local APIC");
        return;
      }
      icr_send(0, vector | (1u << 14) | (1u << 18));       /* fixed, assert, shorthand "self" */
      break;
    case EV_NMI: {
      u32 id = own_apic_id();
      if (!nmi_blocked_known) {
        u64 before = g_nmi_count;
        g_nmi_keep_blocked = 1;
        icr_send(id, (4u << 8) | (1u << 14));             /* delivery mode NMI */
        for (int i = 0; i < 100000 && g_nmi_count == before; i++) __asm__ volatile("pause");
        if (g_nmi_count == before) {
          /* NMIs were already blocked: this one is now the pending NMI. */
          g_nmi_keep_blocked = 0;
          nmi_blocked_known = 1;
          break;
        }
        nmi_blocked_known = 1;
      }
      icr_send(id, (4u << 8) | (1u << 14));
      break;
    }
    case EV_INIT:
      if (!vmx_on) {
        reply_error(ST_UNSUPPORTED, "INIT outside VMX operation would reset the agent's own processor");
        return;
      }
      icr_send(own_apic_id(), (5u << 8) | (1u << 14));     /* delivery mode INIT, level assert */
      init_pending = 1;
      break;
    default:
      reply_error(ST_UNSUPPORTED, "SIPI and SMI cannot be made pending by the agent");
      return;
  }
  reply_begin(ST_OK, 0);
  reply_end();
}

/* ---------------------------------------------------------------- bench */

/*
 * Runs the current (launched) VMCS n times with VMRESUME, skipping the exiting instruction after each
 * exit with reason 10 (CPUID), all inside the agent: measures VM exit + VM entry round trips without the
 * transport in the way. Stops at the first other outcome.
 */
void vmx_bench(struct cursor *c) {
  u32 n = (u32)take(c, 4);
  u32 done = 0, last = 0;
  u64 host_rip = 0, host_rsp = 0, len = 0, rip = 0;
  if (!vmx_on || vmread_(VMCS_HOST_RIP, &host_rip) < 0 || vmread_(VMCS_HOST_RSP, &host_rsp) < 0) {
    reply_error(ST_BAD_REQUEST, "bench needs VMX operation and a current, launched VMCS");
    return;
  }
  vmwrite_(VMCS_HOST_RIP, (u64)vmx_exit_stub);
  g_subst_host = 1;
  while (done < n) {
    g_resume = 1;
    g_fault_vector = (u64)-1;
    u64 exited = guarded_call(vmx_enter, 0);
    if (g_fault_vector != (u64)-1 || !exited) break;
    u64 reason = 0;
    vmread_(VMCS_EXIT_REASON, &reason);
    last = (u32)reason;
    if (reason != 10) break;
    vmread_(VMCS_EXIT_INSTRUCTION_LEN, &len);
    vmread_(VMCS_GUEST_RIP, &rip);
    vmwrite_(VMCS_GUEST_RIP, rip + len);
    done++;
  }
  vmwrite_(VMCS_HOST_RIP, host_rip);
  vmwrite_(VMCS_HOST_RSP, host_rsp);
  u32 out[2] = {done, last};
  reply_begin(ST_OK, sizeof out);
  reply_bytes(out, sizeof out);
  reply_end();
}
