/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kml_note.S - the same reserved stamp note as kml.ld, as an object file.
 * For linkers that cannot use kml.ld (lld, gold): cc -c kml_note.S, then
 * link kml_note.o into the program.  A "a" (allocated) SHT_NOTE section
 * called .note.kml lands in a PT_NOTE with every ELF linker.
 */
#include "kml_note.h"

	.section .note.kml, "a", @note
	.balign 4
	.long KML_NOTE_NAMESZ		/* namesz */
	.long KML_DESC_SIZE		/* descsz */
	.long KML_NOTE_TYPE_STAMP	/* type */
	.asciz KML_NOTE_NAME		/* "KML\0", 4 bytes: no padding */
	.fill KML_DESC_SIZE, 1, 0	/* the descriptor, all zero */
	.section .note.GNU-stack, "", @progbits
