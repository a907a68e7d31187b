/*
 * Guest entry and exception stubs. The vCPU starts at _start in ring 3 with
 * the stack the host set up. Exceptions (bugs, not events we expect) land in
 * ring 0, where every instruction is emulated on some hosts; the stubs only
 * report the frame to the host with one port write and halt.
 */
#include "include/protocol.h"

	.section .isr, "ax"
	.code64
	.globl isr_table
isr_table:
	vector = 0
	.rept DB_ISR_COUNT
	.balign DB_ISR_STRIDE
	/* Vectors 8, 10-14, 17, 21, 29, 30 push an error code; the rest get a 0. */
	.if (vector == 8) || (vector >= 10 && vector <= 14) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
	.else
	pushq $0
	.endif
	pushq $vector
	jmp isr_common
	vector = vector + 1
	.endr

	/* DB_PROBE_GATE_GPA: run by the host in ring 0 before the guest starts. */
	.balign DB_ISR_STRIDE
probe_ring0:
	rdtsc
	mov %eax, %r10d
1:	add $1, %rax
	xor %rdx, %rdx
	add %rax, %rdx
	dec %rcx
	jnz 1b
	rdtsc
	sub %r10d, %eax
	mov $DB_PORT_PROBE, %dx
	outl %eax, %dx
2:	hlt
	jmp 2b

isr_common:
	/* The ring-0 stack is identity-mapped below 4 GiB: its address is its GPA. */
	mov %rsp, %rax
	mov $DB_PORT_EXCEPTION, %dx
	outl %eax, %dx
1:	hlt
	jmp 1b

	.section .text.start, "ax"
	.globl _start
_start:
	xor %ebp, %ebp
	and $-16, %rsp
	call guest_main
2:	ud2
	jmp 2b
	.section .note.GNU-stack, "", @progbits
