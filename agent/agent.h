/* Shared declarations of the agent kernel. Freestanding: no libc. */
#ifndef AGENT_H
#define AGENT_H

#include "layout.h"

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef long i64;
typedef unsigned long size_t;

#define AGENT_VERSION "0.1.0"
#define AGENT_PROTOCOL 1

/* ---- port and register access ---- */
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u64 read_cr0(void) { u64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u64 read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u64 read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline u64 read_cr8(void) { u64 v; __asm__ volatile("mov %%cr8, %0" : "=r"(v)); return v; }
static inline void write_cr0(u64 v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr4(u64 v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline volatile u32 *lapic_reg(u32 off) { return (volatile u32 *)(u64)(LAPIC_BASE + off); }

/* ---- isr.S / ops.S ---- */
struct op {
  u64 a, b, c, d;
  u64 r[4];
  u64 flags_in, flags_out;
  u64 desc[2];
  u64 pad;
};
extern struct op g_op;
extern u64 g_regs[16];
extern u32 g_resume, g_subst_host, g_after_movss;
extern volatile u32 g_catch_active, g_irq_last, g_nmi_keep_blocked;
extern volatile u64 g_fault_vector, g_fault_error, g_fault_rip, g_nmi_count;
extern volatile u32 g_irq_count[256];
extern const u64 isr_table[256];
extern u8 gdt[];
extern u64 guarded_call(void (*fn)(void), int cpl);
extern void vmx_enter(void);
extern void vmx_exit_stub(void);
/* ops.S: zero len bytes (a multiple of 256) at a 64-byte aligned address with AVX-512 stores. */
extern void zero_avx512(void *dst, u64 len);

#define OPS(X) X(vmxon) X(vmptrld) X(vmclear) X(vmptrst) X(vmread) X(vmwrite) X(vmlaunch) X(vmresume) \
  X(vmxoff) X(vmcall) X(invept) X(invvpid) X(cpuid) X(rdmsr) X(wrmsr) X(movcr0) X(movcr3) X(movcr4) \
  X(movcr2) X(movcr8) X(movdr) X(sti_window)
#define DECLARE_OP(n) extern void op_##n(void);
OPS(DECLARE_OP)
#undef DECLARE_OP

/* ---- transport.c ---- */
void transport_init(void);
u8 rx_byte(void);
void reply_begin(u8 status, u32 len);
void reply_bytes(const void *p, u32 n);
void reply_end(void);
void reply_error(u8 status, const char *msg);
extern int g_reply_on_e9;

/* Reply statuses (mirrored in src/adapters/bochs/protocol.ts). */
enum {
  ST_OK = 0, ST_BAD_REQUEST = 1, ST_UNSUPPORTED = 2, ST_INTERNAL = 3, ST_PROTOCOL = 4, ST_REBOOT = 5,
  ST_READY = 0x10, ST_PANIC = 0x11,
};

/* ---- small library ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
/* Formats into buf: %s, %x (u64 hex), %d (i64 decimal). Returns the length. */
int fmt(char *buf, int size, const char *f, ...);

/* ---- request payloads: a little-endian reader that records overruns instead of reading past ---- */
struct cursor {
  const u8 *p;
  u32 left;
  int bad;
};

static inline u64 take(struct cursor *c, int n) {
  u64 v = 0;
  if (c->left < (u32)n) {
    c->bad = 1;
    return 0;
  }
  for (int i = 0; i < n; i++) v |= (u64)c->p[i] << (8 * i);
  c->p += n;
  c->left -= (u32)n;
  return v;
}

/* ---- kernel.c ---- */
void agent_panic(u64 *frame);
void tables_reload_for_reset(void);

#endif
