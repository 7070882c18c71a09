#!/bin/sh
# Builds the agent's boot floppy from source with the machine's gcc and GNU binutils (no nasm).
#   agent/build.sh [OUTDIR]     (default: agent/build, which git ignores)
# Output: OUTDIR/agent.img (a 1.44 MB floppy: boot sector, then the kernel image from LBA 1) and
# OUTDIR/agent.elf (symbols, for debugging with Bochs's debugger or gdb).
# Objects go to a private directory and the results are renamed into place, so that several test
# workers building at once never see a half-written image.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/build"}
mkdir -p "$out"
tmp=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-gcc}
LD=${LD:-ld}
OBJCOPY=${OBJCOPY:-objcopy}
# Freestanding 64-bit code: no red zone (interrupts and exceptions arrive on the agent's own stack),
# no SSE (the agent never saves vector state), no stack protector or CET notes (no runtime to serve them).
CFLAGS="-std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib -m64 -mno-red-zone \
 -mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2 -fno-pic -fno-pie -fno-stack-protector \
 -fno-asynchronous-unwind-tables -fcf-protection=none -mcmodel=small -I$here"
LDFLAGS="-m elf_x86_64 -nostdlib -no-pie -static -z noexecstack --no-warn-rwx-segments"
for f in entry isr ops; do
  $CC $CFLAGS -c "$here/$f.S" -o "$tmp/$f.o"
done
for f in kernel vmx transport lib; do
  $CC $CFLAGS -c "$here/$f.c" -o "$tmp/$f.o"
done
$LD $LDFLAGS -T "$here/linker.ld" -o "$tmp/agent.elf" \
  "$tmp/entry.o" "$tmp/isr.o" "$tmp/ops.o" "$tmp/kernel.o" "$tmp/vmx.o" "$tmp/transport.o" "$tmp/lib.o"
$OBJCOPY -O binary -j .text -j .rodata -j .data "$tmp/agent.elf" "$tmp/kernel.bin"
size=$(wc -c < "$tmp/kernel.bin")
sectors=$(( (size + 511) / 512 ))
$CC $CFLAGS -Wa,--defsym,KERNEL_SECTORS=$sectors -c "$here/boot.S" -o "$tmp/boot.o"
$LD $LDFLAGS -Ttext 0x7c00 -e _boot --oformat binary -o "$tmp/boot.bin" "$tmp/boot.o"
test "$(wc -c < "$tmp/boot.bin")" -eq 512
dd if=/dev/zero of="$tmp/agent.img" bs=512 count=2880 status=none
dd if="$tmp/boot.bin" of="$tmp/agent.img" conv=notrunc status=none
dd if="$tmp/kernel.bin" of="$tmp/agent.img" bs=512 seek=1 conv=notrunc status=none
mv "$tmp/agent.elf" "$out/agent.elf"
mv "$tmp/agent.img" "$out/agent.img"
echo "agent: $size bytes in $sectors sectors -> $out/agent.img"
