/*
 * kml.ld.S - source of kml.ld.  `make` runs it through cpp (see
 * elfnote/gen-kml-ld.sh) so that every number comes from kml_note.h.
 * Layout of the note: namesz, descsz, type, "KML\0", descriptor.
 * The output section name must start with ".note" for GNU ld to put it in
 * a PT_NOTE; INSERT keeps the default linker script in force.
 */
#define __ASSEMBLER__ 1
#include "kml_note.h"
SECTIONS
{
	.note.kml : ALIGN(4)
	{
		LONG(KML_NOTE_NAMESZ)
		LONG(KML_DESC_SIZE)
		LONG(KML_NOTE_TYPE_STAMP)
		BYTE(0x4b) BYTE(0x4d) BYTE(0x4c) BYTE(0)
		FILL(0)
		. += KML_DESC_SIZE;
	}
}
INSERT AFTER .note.gnu.build-id;
