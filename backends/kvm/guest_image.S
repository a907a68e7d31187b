/* The guest ELF, linked into the host binary so run-bench is one file. */
	.section .rodata
	.balign 64
	.globl guest_image_start, guest_image_end
guest_image_start:
	.incbin GUEST_ELF
guest_image_end:
	.section .note.GNU-stack, "", @progbits
