/*
 * Boot sector: loads the agent image from the floppy to IMAGE_BASE and jumps to it, still in real mode.
 *
 * The BIOS loads this sector to 0x7c00 and passes the boot drive in DL. The image follows on the disk
 * (LBA 1 onwards); its length in sectors is given at assembly time (--defsym KERNEL_SECTORS=n by
 * build.sh). Sectors are read one at a time with INT 13h AH=02h (CHS), which every BIOS and every
 * emulated floppy controller supports and which can never cross a 64 KiB DMA boundary.
 * Geometry: a 1.44 MB floppy, 18 sectors per track, 2 heads.
 */
#include "layout.h"

        .code16
        .section .text
        .globl _boot
_boot:
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %ss
        movw    $0x7c00, %sp
        ljmp    $0, $1f                 /* normalise CS:IP to 0000:7cxx */
1:      movb    %dl, boot_drive
        movw    $(IMAGE_BASE >> 4), %ax
        movw    %ax, %es
        movw    $1, %si                 /* LBA of the next sector */

next_sector:
        cmpw    $(KERNEL_SECTORS + 1), %si
        jae     loaded
        movw    $3, %di                 /* tries: a floppy read may fail while the motor spins up */
retry:
        movw    %si, %ax
        xorw    %dx, %dx
        movw    $18, %bx
        divw    %bx                     /* ax = LBA / 18, dx = LBA % 18 */
        movb    %dl, %cl
        incb    %cl                     /* sector numbers start at 1 */
        xorw    %dx, %dx
        movw    $2, %bx
        divw    %bx                     /* ax = cylinder, dx = head */
        movb    %al, %ch
        movb    %dl, %dh
        movb    boot_drive, %dl
        xorw    %bx, %bx                /* ES:0 */
        movw    $0x0201, %ax            /* read 1 sector */
        int     $0x13
        jnc     read_ok
        xorw    %ax, %ax                /* reset the controller and try again */
        movb    boot_drive, %dl
        int     $0x13
        decw    %di
        jnz     retry
        movw    $msg_fail, %si
        jmp     fail

read_ok:
        movw    %es, %ax
        addw    $0x20, %ax              /* 512 bytes further */
        movw    %ax, %es
        incw    %si
        jmp     next_sector

loaded:
        movb    boot_drive, %dl
        ljmp    $0, $IMAGE_BASE

/* Print the NUL-terminated message at DS:SI on the BIOS console and on port 0xe9, then halt. */
fail:
        lodsb
        testb   %al, %al
        jz      halt
        outb    %al, $0xe9
        movb    $0x0e, %ah
        int     $0x10
        jmp     fail
halt:   hlt
        jmp     halt

boot_drive:     .byte 0
msg_fail:       .asciz "agent: floppy read failed\r\n"

        .org    510
        .byte   0x55, 0xaa
