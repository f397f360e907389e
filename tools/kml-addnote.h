/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kml-addnote.h - add the reserved KML note to an already linked executable.
 *
 * Used by kml-stamp --add-note and by the fuzzer (tools/fuzz_addnote.c).
 * The layout and its reasons are in tools/README.md ("Adding the note to a
 * prebuilt executable").
 */
#ifndef _KML_ADDNOTE_H
#define _KML_ADDNOTE_H

#include <stddef.h>
#include <linux/types.h>

/* Room for a one-line reason. */
#define KML_AN_WHY	320

/*
 * What to write: the input's bytes with a new ELF header, then zeros up to
 * seg_off, then the new segment (program header table + reserved note).
 */
struct kml_addnote_plan {
	unsigned char ehdr[64];	/* the new ELF header, file byte order */
	__u64 old_size;		/* bytes of the input (all kept but the header) */
	__u64 seg_off;		/* file offset of the new segment, page aligned */
	__u64 seg_vaddr;	/* its address (before any load bias) */
	unsigned char *seg;	/* its bytes (malloc'd) */
	size_t seg_size;
	__u64 desc_off;		/* file offset of the reserved descriptor */
	__u64 new_size;		/* seg_off + seg_size */
	unsigned int phnum;	/* program headers after the rewrite */
	const char *kind;	/* "static", "static-pie", "PIE", "dynamic" */
};

/*
 * Plans the rewrite of the @size bytes at @in.  Returns 0, or -1 with a
 * one-line reason in @why (the file is not an x86-64 executable, already
 * has a KML note, or has a layout this cannot rewrite safely).
 */
int kml_addnote_plan(const unsigned char *in, size_t size,
		     struct kml_addnote_plan *plan, char *why);
void kml_addnote_free(struct kml_addnote_plan *plan);

/* The whole rewritten file in memory (malloc'd, plan->new_size bytes). */
unsigned char *kml_addnote_image(const unsigned char *in,
				 const struct kml_addnote_plan *plan);

/*
 * Checks, independently of the planner, what a rewritten file must
 * satisfy (tools/README.md): one reserved KML note inside a PT_LOAD,
 * PT_LOADs in address order and not overlapping, the program header table
 * inside a PT_LOAD at the address both AT_PHDR rules give, PT_PHDR (if
 * any) first and describing it.  Returns 0 or -1 with @why.
 */
int kml_addnote_check(const unsigned char *buf, size_t size, char *why);

/*
 * kml_addnote_file() rewrites job->path: the new file is written to a
 * temporary file in the same directory, synced, checked with
 * kml_addnote_check(), handed to job->hook (if any: kml-stamp signs it
 * there), given the original's owner, group, mode and extended attributes,
 * synced again and renamed over job->path.  On any failure the temporary
 * file is removed and job->path is left as it was.
 *
 * Returns 0; -1 with job->why; -2 when the hook failed (it said why).
 */
struct kml_addnote_job {
	const char *path;
	int (*hook)(const char *tmp, void *arg);
	void *arg;
	char why[KML_AN_WHY];
	unsigned long nlink;	/* hard links the original had */
	const char *kind;	/* what it was: see struct kml_addnote_plan */
};

int kml_addnote_file(struct kml_addnote_job *job);

#endif /* _KML_ADDNOTE_H */
