/*
 * The agent: after boot (entry.S) it sets up its descriptor tables and the local APIC, announces itself
 * and then serves requests, one at a time, each answered by exactly one reply frame. Requests map 1:1 to
 * the operations of the implementation contract (src/contract/types.ts); the wire format is described in
 * src/adapters/bochs/protocol.ts.
 */
#include "agent.h"
#include "vmx.h"

/* ---------------------------------------------------------------- descriptor tables */

struct idt_gate {
  u16 off_lo, sel;
  u8 ist, type;
  u16 off_mid;
  u32 off_hi, zero;
} __attribute__((packed));

struct tss64 {
  u32 reserved0;
  u64 rsp[3];
  u64 reserved1;
  u64 ist[7];
  u64 reserved2;
  u16 reserved3, iomap_base;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));

struct dtr { u16 limit; u64 base; } __attribute__((packed));
static struct dtr gdtr_boot, idtr_boot;

static void tables_init(void) {
  /* 64-bit TSS (SDM Vol. 3A, 8.7 "Task Management in 64-bit Mode"): RSP0 for interrupts from rings 1-3,
     IST1 for #DF and NMI so that they always run on a known-good stack. No I/O bitmap. */
  tss.rsp[0] = INT_STACK_TOP;
  tss.ist[0] = IST1_STACK_TOP;
  tss.iomap_base = sizeof(tss);
  u64 base = (u64)&tss, limit = sizeof(tss) - 1;
  u64 lo = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
           (((base >> 24) & 0xff) << 56);
  ((u64 *)gdt)[SEL_TSS / 8] = lo;
  ((u64 *)gdt)[SEL_TSS / 8 + 1] = base >> 32;

  for (int v = 0; v < 256; v++) {
    u64 h = isr_table[v];
    idt[v].off_lo = (u16)h;
    idt[v].sel = SEL_KCODE;
    idt[v].ist = (v == 2 || v == 8) ? 1 : 0;
    /* Interrupt gates (IF cleared on entry). Only the ring-return vector may be raised by INT n from
       CPL 3; every other vector raised so from CPL > 0 is a #GP, as on any OS. */
    idt[v].type = v == VEC_RING_RETURN ? 0xee : 0x8e;
    idt[v].off_mid = (u16)(h >> 16);
    idt[v].off_hi = (u32)(h >> 32);
    idt[v].zero = 0;
  }
  gdtr_boot.limit = (u16)(SEL_CODE32 + 8 - 1);
  gdtr_boot.base = (u64)gdt;
  idtr_boot.limit = sizeof(idt) - 1;
  idtr_boot.base = (u64)idt;
  __asm__ volatile("lgdt %0" : : "m"(gdtr_boot));
  __asm__ volatile("lidt %0" : : "m"(idtr_boot));
  __asm__ volatile("ltr %w0" : : "r"((u16)SEL_TSS));
}

/* Reload GDTR/IDTR: a VM exit sets both limits to FFFFH (SDM 28.5.2 "Loading Host Segment and
   Descriptor-Table Registers"); reset() puts the agent's own values back. */
static void tables_reload(void) {
  __asm__ volatile("lgdt %0" : : "m"(gdtr_boot));
  __asm__ volatile("lidt %0" : : "m"(idtr_boot));
}

/* Local APIC on, at the architectural base, every LVT masked, TPR 0 (SDM Vol. 3A, 12.4 "Local APIC"). */
static void lapic_init(void) {
  *lapic_reg(0x80) = 0;                 /* TPR */
  *lapic_reg(0xf0) = 0x1ff;             /* SVR: APIC software-enabled, spurious vector FFH */
  *lapic_reg(0x320) = 0x10000;          /* LVT timer masked */
  *lapic_reg(0x340) = 0x10000;          /* LVT performance counter masked */
  *lapic_reg(0x370) = 0x10000;          /* LVT error masked */
}

/* ---------------------------------------------------------------- boot and panic */

static char msgbuf[512];
static u64 boot_cr0, boot_cr4;

void agent_panic(u64 *f) {
  /* f: RAX RCX RDX RBX RBP RSI RDI R8-R15, then vector, error code, RIP, CS, RFLAGS, RSP, SS. */
  fmt(msgbuf, sizeof msgbuf,
      "agent: unexpected exception %d error %x at rip %x cs %x rflags %x rsp %x cr2 %x rax %x rcx %x rdx %x",
      (i64)f[15], f[16], f[17], f[18], f[19], f[20], read_cr2(), f[0], f[1], f[2]);
  reply_error(ST_PANIC, msgbuf);
  for (;;) __asm__ volatile("cli; hlt");
}

/* ---------------------------------------------------------------- requests */

enum {
  RQ_HELLO = 1, RQ_RESET = 2, RQ_WRITE = 3, RQ_READ = 4, RQ_SET = 5, RQ_GET = 6, RQ_EXEC = 7, RQ_EVENT = 8,
  RQ_QUIT = 9, RQ_BENCH = 10,
};

static u32 rx_u32(void) {
  u32 v = 0;
  for (int i = 0; i < 4; i++) v |= (u32)rx_byte() << (8 * i);
  return v;
}

/* Request frame: 'V' 'Q', op u8, length u32 LE, payload, Adler-32 of op, length and payload. */
static int read_request(u8 *op, struct cursor *c) {
  u8 *buf = (u8 *)IOBUF_ADDR;
  for (;;) {
    while (rx_byte() != 'V') {}
    if (rx_byte() == 'Q') break;
  }
  u32 a = 1, b = 0;
  u8 hdr[5];
  for (int i = 0; i < 5; i++) {
    hdr[i] = rx_byte();
    a = (a + hdr[i]) % 65521;
    b = (b + a) % 65521;
  }
  u32 len = hdr[1] | (u32)hdr[2] << 8 | (u32)hdr[3] << 16 | (u32)hdr[4] << 24;
  if (len > IOBUF_SIZE) {
    reply_error(ST_PROTOCOL, "request longer than the agent's buffer");
    return 0;
  }
  for (u32 i = 0; i < len; i++) {
    buf[i] = rx_byte();
    a = (a + buf[i]) % 65521;
    b = (b + a) % 65521;
  }
  u32 sum = rx_u32();
  if (sum != ((b << 16) | a)) {
    reply_error(ST_PROTOCOL, "request checksum mismatch");
    return 0;
  }
  *op = hdr[0];
  c->p = buf;
  c->left = len;
  c->bad = 0;
  return 1;
}

static void reply_ok_empty(void) {
  reply_begin(ST_OK, 0);
  reply_end();
}

static void do_hello(void) {
  static const char name[] = "vmx-agent " AGENT_VERSION;
  u8 out[4 + 1 + 3 * 8];
  u32 proto = AGENT_PROTOCOL;
  u64 w[3] = {WINDOW_START, WINDOW_END, RAM_END};
  memcpy(out, &proto, 4);
  out[4] = (u8)g_reply_on_e9;
  memcpy(out + 5, w, sizeof w);
  reply_begin(ST_OK, sizeof out + sizeof name - 1);
  reply_bytes(out, sizeof out);
  reply_bytes(name, sizeof name - 1);
  reply_end();
}

static void do_write(struct cursor *c) {
  u64 addr = take(c, 8);
  /* First pass: validate the whole request, so that a refused write changes nothing. */
  struct cursor scan = *c;
  u64 total = 0;
  while (scan.left && !scan.bad) {
    u8 kind = (u8)take(&scan, 1);
    u32 n = (u32)take(&scan, 4);
    if (kind == 0) {
      if (scan.left < n) scan.bad = 1;
      else { scan.p += n; scan.left -= n; }
    } else if (kind == 1) {
      take(&scan, 1);
    } else {
      scan.bad = 1;
    }
    total += n;
  }
  if (c->bad || scan.bad) {
    reply_error(ST_BAD_REQUEST, "malformed write request");
    return;
  }
  if (addr < WINDOW_START || addr > WINDOW_END || total > WINDOW_END - addr) {
    fmt(msgbuf, sizeof msgbuf,
        "writeMemory %x (+%x bytes) is outside the scenario window %x-%x; the rest is the agent's own memory",
        addr, total, (u64)WINDOW_START, (u64)WINDOW_END - 1);
    reply_error(ST_BAD_REQUEST, msgbuf);
    return;
  }
  u8 *dst = (u8 *)addr;
  while (c->left) {
    u8 kind = (u8)take(c, 1);
    u32 n = (u32)take(c, 4);
    if (kind == 0) {
      memcpy(dst, c->p, n);
      c->p += n;
      c->left -= n;
    } else {
      memset(dst, (int)take(c, 1), n);
    }
    dst += n;
  }
  reply_ok_empty();
}

static void do_read(struct cursor *c) {
  u64 addr = take(c, 8);
  u32 len = (u32)take(c, 4);
  if (c->bad) {
    reply_error(ST_BAD_REQUEST, "malformed read request");
    return;
  }
  if (addr >= RAM_END || len > RAM_END - addr) {
    fmt(msgbuf, sizeof msgbuf, "readMemory %x (+%x bytes) is beyond the machine's memory (%x bytes)", addr,
        (u64)len, (u64)RAM_END);
    reply_error(ST_BAD_REQUEST, msgbuf);
    return;
  }
  reply_begin(ST_OK, len);
  reply_bytes((const void *)addr, len);
  reply_end();
}

void kmain(void) {
  tables_init();
  transport_init();
  lapic_init();
  boot_cr0 = read_cr0();
  boot_cr4 = read_cr4();
  vmx_boot(boot_cr0, boot_cr4);
  {
    static const char ready[] = "vmx-agent " AGENT_VERSION " ready";
    reply_begin(ST_READY, sizeof ready - 1);
    reply_bytes(ready, sizeof ready - 1);
    reply_end();
  }
  for (;;) {
    u8 op;
    struct cursor c;
    if (!read_request(&op, &c)) continue;
    switch (op) {
      case RQ_HELLO: do_hello(); break;
      case RQ_RESET: vmx_reset(&c); break;
      case RQ_WRITE: do_write(&c); break;
      case RQ_READ: do_read(&c); break;
      case RQ_SET: vmx_set_state(&c); break;
      case RQ_GET: vmx_get_state(&c); break;
      case RQ_EXEC: vmx_execute(&c); break;
      case RQ_EVENT: vmx_event(&c); break;
      case RQ_BENCH: vmx_bench(&c); break;
      case RQ_QUIT:
        reply_ok_empty();
        /* Bochs's magic breakpoint (XCHG BX,BX) stops in its debugger, which then reads "quit" from the
           command file the harness gave it. Elsewhere it is a no-op and the agent just halts. */
        __asm__ volatile("xchg %%bx, %%bx" : : : "rbx");
        for (;;) __asm__ volatile("cli; hlt");
      default:
        reply_error(ST_BAD_REQUEST, "unknown request");
    }
  }
}

/* For vmx.c's reset. */
void tables_reload_for_reset(void) { tables_reload(); }
