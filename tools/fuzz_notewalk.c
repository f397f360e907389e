// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_notewalk.c - libFuzzer target for the shared KML note walker.
 *
 * The input is taken as a whole file.  The walker and the descriptor check
 * are exactly the code the kernel runs at every exec (elfnote/), so any
 * crash, out-of-bounds read (ASan) or undefined behaviour (UBSan) here is a
 * kernel bug.  The reader callback additionally asserts the walker's own
 * promise: it never asks for bytes outside the file.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kml_note.h"
#include "kml_notewalk.h"

struct buf {
	const uint8_t *data;
	size_t size;
};

static int buf_read(void *ctx, __u64 off, void *out, __u32 len)
{
	const struct buf *b = ctx;

	if (off > b->size || len > b->size - off)
		abort();	/* the walker broke its bounds promise */
	memcpy(out, b->data + off, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b = { data, size };
	struct kml_reader r = { .read = buf_read, .ctx = &b, .size = size };
	struct kml_note_info ni;
	struct kml_stamp_desc d;
	struct kml_signed_data sd;
	const char *why = NULL;
	int ret = kml_find_note(&r, &ni, &why);

	if (!why)
		abort();	/* every outcome must come with a reason */
	if (ret == 1) {
		if (ni.descsz != KML_DESC_SIZE || ni.desc_off > size ||
		    KML_DESC_SIZE > size - ni.desc_off)
			abort();	/* "found" must mean "readable" */
		memcpy(&d, data + ni.desc_off, sizeof(d));
		if (kml_check_desc(&d, &why) == 1) {
			__u32 n = kml_signed_data_init(&sd, le16toh(d.version),
						       kml_stamp_flags(&d), size,
						       ni.desc_off, d.sig);

			/* a well-formed stamp signs one of the two layouts */
			if (n != KML_SIGNED_SIZE && n != KML_SIGNED_SIZE_V1)
				abort();
		}
	}
	return 0;
}
