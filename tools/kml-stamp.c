// SPDX-License-Identifier: GPL-2.0
/*
 * kml-stamp - fill in, check and show the KML stamp of an x86-64 executable.
 *
 *   kml-stamp [--key KEY] [--cert CERT] FILE...   stamp each FILE in place
 *   kml-stamp --verify --cert CERT FILE...         check stamps on the host
 *   kml-stamp --show FILE...                       print what a stamp holds
 *   kml-stamp --hash FILE...                       the digest the stamp covers
 *   kml-stamp --scan FILE...                       privileged instructions?
 *   kml-stamp --add-note [--key KEY] FILE...       add the reserved note to a
 *                                                  prebuilt executable (and stamp)
 *
 * The stamp format is elfnote/kml_note.h; the note walker is the kernel's
 * own (elfnote/kml_notewalk.c), so the tool and the kernel cannot disagree
 * about where the stamp is.  libelf classifies the file for error messages
 * and names the section that holds the note; OpenSSL computes the SHA-256
 * and makes the detached PKCS#7 (CMS) signature, with the same flags as the
 * kernel's scripts/sign-file.c: no certificates, no signed attributes,
 * binary content, detached.
 *
 * Safety: a FILE is only written after every check passed and the new
 * signature has been verified in memory, and then only the descriptor's
 * bytes are written (one pwrite), so a failure never leaves a half-stamped
 * file behind.  --add-note (tools/kml-addnote.c) is the exception: the file
 * grows, so it writes a new file and renames it over the old one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gelf.h>
#include <libelf.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif

#include "kml_note.h"
#include "kml_notewalk.h"
#include "kml-scan.h"
#include "kml-addnote.h"

/* Exit codes, documented in kml-stamp.1. */
#define EX_OK		0
#define EX_FILE		1	/* a FILE could not be stamped or failed --verify */
#define EX_USAGE	2	/* bad arguments, unreadable key or certificate */

static const char *prog = "kml-stamp";

static void msg(const char *file, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	if (file)
		fprintf(stderr, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void ssl_errors(void)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		fprintf(stderr, "  openssl: %s\n", buf);
	}
}

/* ------------------------------------------------------------------ */
/* The file in memory.                                                 */

struct image {
	const char *path;
	const char *name;	/* for messages: path, or what the caller calls it */
	int fd;
	unsigned char *data;	/* read-only mapping of the whole file */
	size_t size;
	struct kml_note_info ni;
	struct kml_stamp_desc desc;	/* copy of the descriptor */
	int stamped;		/* 1 stamped, 0 reserved only */
	const char *section;	/* section holding the note, if any */
};

static int mem_read(void *ctx, __u64 off, void *buf, __u32 len)
{
	const struct image *im = ctx;

	if (off > im->size || len > im->size - off)
		return -EIO;	/* cannot happen: the walker checks bounds */
	memcpy(buf, im->data + off, len);
	return 0;
}

/* Names the section that contains @off (for --show), via libelf. */
static const char *section_of(Elf *elf, __u64 off)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		if (off >= sh.sh_offset && off - sh.sh_offset < sh.sh_size)
			return elf_strptr(elf, shstrndx, sh.sh_name);
	}
	return NULL;
}

/*
 * A file cut short may still hold its notes; the kernel would notice only
 * when mapping the missing part.  Check every segment and the section header
 * table against the file size (libelf's view of the headers).
 */
static int truncated(Elf *elf, size_t size, const char **why)
{
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t i, n;

	if (!gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &n) != 0) {
		*why = "truncated or damaged ELF headers";
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_offset > size ||
		    ph.p_filesz > size - ph.p_offset) {
			*why = "truncated: a segment lies past the end of the file";
			return 1;
		}
	}
	if (eh.e_shoff && (eh.e_shoff > size ||
			   (GElf_Xword)eh.e_shnum * eh.e_shentsize > size - eh.e_shoff)) {
		*why = "truncated: section headers past the end of the file";
		return 1;
	}
	return 0;
}

/*
 * Maps @path, checks that it is an x86-64 ELF64 executable with exactly one
 * well-formed KML note, and copies the descriptor.  Prints the reason and
 * returns -1 on any problem.
 */
static int image_open(struct image *im, const char *path, const char *name,
		      int writable)
{
	struct kml_reader rd = { .read = mem_read, .ctx = im };
	const char *why = NULL;
	struct stat st;
	Elf *elf;
	int ret;

	memset(im, 0, sizeof(*im));
	im->path = path;
	im->name = name;
	path = name;	/* from here on only in messages */
	im->fd = open(im->path, writable ? O_RDWR : O_RDONLY);
	if (im->fd < 0) {
		msg(path, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(im->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		msg(path, "not a regular file");
		goto fail;
	}
	im->size = st.st_size;
	if (im->size == 0) {
		msg(path, "not an ELF file (empty)");
		goto fail;
	}
	im->data = mmap(NULL, im->size, PROT_READ, MAP_PRIVATE, im->fd, 0);
	if (im->data == MAP_FAILED) {
		im->data = NULL;
		msg(path, "cannot map: %s", strerror(errno));
		goto fail;
	}

	/* libelf first: its view gives the clearest "what is this file". */
	elf = elf_memory((char *)im->data, im->size);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		msg(path, "not an ELF file");
		if (elf)
			elf_end(elf);
		goto fail;
	}
	if (gelf_getclass(elf) != ELFCLASS64) {
		msg(path, "32-bit ELF file: KML stamps x86-64 (ELF64) executables only");
		elf_end(elf);
		goto fail;
	}

	if (truncated(elf, im->size, &why)) {
		msg(path, "%s", why);
		elf_end(elf);
		goto fail;
	}
	rd.size = im->size;
	ret = kml_find_note(&rd, &im->ni, &why);
	if (ret == 0) {
		msg(path, "no KML note reserved: link it with -Wl,-T,kml.ld (or add kml_note.o), or add one with kml-stamp --add-note");
	} else if (ret == -EBADMSG && im->ni.descsz < KML_DESC_SIZE &&
		   !strcmp(why, "KML note descriptor has the wrong size")) {
		msg(path, "reserved KML note too small: %u bytes, need %u; relink with this version's kml.ld",
		    im->ni.descsz, KML_DESC_SIZE);
	} else if (ret < 0) {
		msg(path, "%s", why);
	} else {
		im->section = section_of(elf, im->ni.desc_off);
	}
	elf_end(elf);
	if (ret <= 0)
		goto fail;

	memcpy(&im->desc, im->data + im->ni.desc_off, sizeof(im->desc));
	return 0;
fail:
	if (im->data)
		munmap(im->data, im->size);
	close(im->fd);
	im->data = NULL;
	im->fd = -1;
	return -1;
}

static void image_close(struct image *im)
{
	if (im->data)
		munmap(im->data, im->size);
	if (im->fd >= 0)
		close(im->fd);
	im->data = NULL;
	im->fd = -1;
}

/*
 * SHA-256 of the file with the descriptor read as zero, then the statement
 * that a stamp of @version with @flags signs; *@sdlen: its signed length.
 */
static int image_statement(const struct image *im, __u16 version, __u32 flags,
			   struct kml_signed_data *sd, __u32 *sdlen)
{
	static const unsigned char zero[KML_DESC_SIZE];
	unsigned char md[KML_DIGEST_SIZE];
	unsigned int mdlen = 0;
	__u64 off = im->ni.desc_off;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, im->data, off) &&
	     EVP_DigestUpdate(ctx, zero, KML_DESC_SIZE) &&
	     EVP_DigestUpdate(ctx, im->data + off + KML_DESC_SIZE,
			      im->size - off - KML_DESC_SIZE) &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == sizeof(md);
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		msg(im->name, "SHA-256 failed");
		ssl_errors();
		return -1;
	}
	*sdlen = kml_signed_data_init(sd, version, flags, im->size, off, md);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Keys.                                                               */

static X509 *load_cert(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x = NULL;

	if (b) {
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		if (!x) {	/* DER, as the kernel's certs/ may hold */
			(void)BIO_reset(b);
			x = d2i_X509_bio(b, NULL);
		}
		BIO_free(b);
	}
	if (!x) {
		msg(NULL, "cannot read certificate %s%s%s", path,
		    errno ? ": " : "", errno ? strerror(errno) : "");
		ssl_errors();
	}
	return x;
}

/*
 * A key on a token, named by an RFC 7512 "pkcs11:" URI.  As the kernel's
 * sign-file does with OpenSSL 3: through the "pkcs11" provider when one is
 * installed; else through the "pkcs11" engine (libp11, Debian's
 * libengine-pkcs11-openssl: Debian 12 packages no provider).  The PIN comes
 * from the URI (pin-value=) or from $KML_KEY_PIN.
 */
static EVP_PKEY *load_key_pkcs11(const char *uri)
{
	const char *pin = getenv("KML_KEY_PIN");
	int n = (int)strcspn(uri, "?");	/* shown without pin-value= */
	EVP_PKEY *k = NULL;

	if (OSSL_PROVIDER_try_load(NULL, "pkcs11", 1) &&
	    OSSL_PROVIDER_try_load(NULL, "default", 1)) {
		OSSL_STORE_CTX *st = OSSL_STORE_open(uri, NULL, NULL, NULL, NULL);

		while (st && !k && !OSSL_STORE_eof(st)) {
			OSSL_STORE_INFO *info = OSSL_STORE_load(st);

			if (info && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
				k = OSSL_STORE_INFO_get1_PKEY(info);
			OSSL_STORE_INFO_free(info);
		}
		OSSL_STORE_close(st);
	} else {
#ifndef OPENSSL_NO_ENGINE
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		ENGINE *e;

		ERR_clear_error();	/* the provider that was not there */
		ENGINE_load_builtin_engines();
		e = ENGINE_by_id("pkcs11");
		if (!e) {
			ERR_clear_error();
			msg(NULL, "%.*s: OpenSSL has neither a pkcs11 provider nor a pkcs11 engine here (Debian: apt-get install libengine-pkcs11-openssl)",
			    n, uri);
			return NULL;
		}
		if (ENGINE_init(e)) {
			if (pin && !ENGINE_ctrl_cmd_string(e, "PIN", pin, 0))
				msg(NULL, "%.*s: the pkcs11 engine refused the PIN", n, uri);
			else
				k = ENGINE_load_private_key(e, uri, NULL, NULL);
			ENGINE_finish(e);
		}
		ENGINE_free(e);
#pragma GCC diagnostic pop
#else
		msg(NULL, "%.*s: this OpenSSL has no pkcs11 provider and no engine support", n, uri);
		return NULL;
#endif
	}
	if (!k) {
		msg(NULL, "cannot load private key %.*s from its PKCS#11 token (token, object, PIN?)", n, uri);
		ssl_errors();
	}
	return k;
}

static EVP_PKEY *load_key(const char *path)
{
	BIO *b;
	EVP_PKEY *k = NULL;

	if (!strncmp(path, "pkcs11:", 7))
		return load_key_pkcs11(path);
	b = BIO_new_file(path, "r");
	if (b) {
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (!k) {
		msg(NULL, "cannot read private key %s%s%s", path,
		    errno ? ": " : "", errno ? strerror(errno) : "");
		ssl_errors();
	}
	return k;
}

/*
 * The shape the kernel's PKCS#7 parser insists on (crypto/asymmetric_keys/
 * pkcs7_*.c with VERIFYING_UNSPECIFIED_SIGNATURE): content type "data", one
 * signer, SHA-256, no signed attributes, and canonical DER.  OpenSSL alone is
 * laxer (it ignores the content type of detached data, for one), and the
 * host check must not accept what the kernel refuses.
 */
static int kernel_shape(CMS_ContentInfo *cms, const unsigned char *sig,
			size_t len)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	CMS_SignerInfo *si;
	X509_ALGOR *dig = NULL, *alg = NULL;
	unsigned char *re = NULL;
	int relen, ok;

	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data ||
	    !sis || sk_CMS_SignerInfo_num(sis) != 1)
		return 0;
	si = sk_CMS_SignerInfo_value(sis, 0);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &alg);
	if (!dig || OBJ_obj2nid(dig->algorithm) != NID_sha256 ||
	    CMS_signed_get_attr_count(si) >= 0)
		return 0;
	relen = i2d_CMS_ContentInfo(cms, &re);
	ok = relen > 0 && (size_t)relen == len && !memcmp(re, sig, len);
	OPENSSL_free(re);
	return ok;
}

/* Steps over one DER element at *@p; gives its tag, class and contents. */
static int der_elem(const unsigned char **p, const unsigned char *end,
		    int *tag, int *cls, const unsigned char **c, long *len)
{
	const unsigned char *q = *p;

	if (q >= end || (ASN1_get_object(&q, len, tag, cls, end - q) & 0x80) ||
	    *len > end - q)
		return -1;
	*c = q;
	*p = q + *len;
	return 0;
}

/*
 * The fields OpenSSL parses but does not judge: both version numbers must
 * be 1 (issuer-and-serial signer, as kml-stamp writes and the kernel
 * expects) and the signature algorithm's parameters NULL or absent.  With
 * kernel_shape() this makes every byte of the signature significant.
 */
static int strict_fields(const unsigned char *sig, size_t len)
{
	const unsigned char *p = sig, *end = sig + len, *c;
	int tag, cls;
	long l;

#define NEXT(t, k) (!der_elem(&p, end, &tag, &cls, &c, &l) && tag == (t) && cls == (k))
#define ENTER() (p = c, end = c + l)
	if (!NEXT(V_ASN1_SEQUENCE, 0))			/* ContentInfo */
		return 0;
	ENTER();
	if (!NEXT(V_ASN1_OBJECT, 0) || !NEXT(0, V_ASN1_CONTEXT_SPECIFIC))
		return 0;
	ENTER();
	if (!NEXT(V_ASN1_SEQUENCE, 0))			/* SignedData */
		return 0;
	ENTER();
	if (!NEXT(V_ASN1_INTEGER, 0) || l != 1 || c[0] != 1)
		return 0;
	if (!NEXT(V_ASN1_SET, 0) || !NEXT(V_ASN1_SEQUENCE, 0))
		return 0;				/* digests, content */
	if (!NEXT(V_ASN1_SET, 0))			/* signerInfos */
		return 0;
	ENTER();
	if (!NEXT(V_ASN1_SEQUENCE, 0))			/* SignerInfo */
		return 0;
	ENTER();
	if (!NEXT(V_ASN1_INTEGER, 0) || l != 1 || c[0] != 1)
		return 0;
	if (!NEXT(V_ASN1_SEQUENCE, 0) || !NEXT(V_ASN1_SEQUENCE, 0))
		return 0;				/* signer id, digest */
	if (!NEXT(V_ASN1_SEQUENCE, 0))			/* signature algorithm */
		return 0;
	ENTER();
	if (!NEXT(V_ASN1_OBJECT, 0))
		return 0;
	if (p == end)
		return 1;
	return NEXT(V_ASN1_NULL, 0) && l == 0 && p == end;
#undef NEXT
#undef ENTER
}

/* Verifies @sig (DER) over @sd with @cert.  Returns 0 when it holds. */
static int check_sig(const unsigned char *sig, size_t len,
		     const struct kml_signed_data *sd, __u32 sdlen, X509 *cert,
		     int quiet)
{
	const unsigned char *p = sig;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, len);
	STACK_OF(X509) *certs = sk_X509_new_null();
	BIO *data = BIO_new_mem_buf(sd, sdlen);
	int ok = 0;

	if (cms && certs && data && p == sig + len &&
	    kernel_shape(cms, sig, len) && strict_fields(sig, len) &&
	    sk_X509_push(certs, cert)) {
		/*
		 * The signer must be @cert (matched by issuer and serial, as
		 * the kernel does); the chain is not checked: trust is which
		 * certificate you pass, as it is which key the kernel holds.
		 */
		ok = CMS_verify(cms, certs, NULL, data, NULL,
				CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY |
				CMS_NOINTERN) == 1;
	}
	if (!ok && !quiet)
		ssl_errors();
	ERR_clear_error();
	sk_X509_free(certs);
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The actions.                                                        */

/* Set by --allow-privileged: scan findings do not stop the stamp. */
static int allow_privileged;
static int verbose;

/*
 * The scan before signing (kml-scan.c): 0 to go on, -1 when the file has
 * privileged instructions (one line each above) and no override.
 */
static int stamp_scan(const struct image *im)
{
	struct kml_scan_opts o = { .allow = allow_privileged, .verbose = verbose };
	long n = kml_scan(im->path, im->data, im->size, &o, NULL);

	if (n > 0 && !allow_privileged)
		msg(im->path, "%ld privileged instruction%s: not stamped (--allow-privileged stamps it anyway, and the stamp says so)",
		    n, n == 1 ? "" : "s");
	else if (n > 0)
		msg(im->path, "%ld privileged instruction%s allowed by --allow-privileged",
		    n, n == 1 ? "" : "s");
	return n < 0 || (n > 0 && !allow_privileged) ? -1 : 0;
}

/* --scan: 0 clean, -1 findings or not scannable. */
static int do_scan(const char *path)
{
	struct kml_scan_opts o = { .verbose = verbose };
	long n = kml_scan_file(path, &o, NULL);

	if (n > 0)
		msg(path, "%ld privileged instruction%s", n, n == 1 ? "" : "s");
	return n == 0 ? 0 : -1;
}

/* Stamps @path; messages call it @name. */
static int do_stamp(const char *path, const char *name, EVP_PKEY *key,
		    X509 *cert)
{
	__u32 flags = allow_privileged ? KML_STAMP_F_PRIVILEGED : 0, sdlen;
	struct kml_signed_data sd;
	struct kml_stamp_desc nd;
	CMS_ContentInfo *cms = NULL;
	unsigned char *der = NULL;
	const char *why;
	struct image im;
	BIO *data = NULL;
	int len, ret = -1;

	if (image_open(&im, path, name, 1))
		return -1;
	path = name;	/* from here on only in messages */
	switch (kml_check_desc(&im.desc, &why)) {
	case 0:
		break;
	case 1:
		msg(path, "already stamped: replacing the old stamp");
		break;
	default:
		msg(path, "existing stamp is malformed (%s): replacing it", why);
		break;
	}
	/* Privileged instructions: refused unless --allow-privileged. */
	if (stamp_scan(&im))
		goto out;
	if (image_statement(&im, KML_STAMP_VERSION, flags, &sd, &sdlen))
		goto out;

	data = BIO_new_mem_buf(&sd, sdlen);
	cms = data ? CMS_sign(NULL, NULL, NULL, NULL,
			      CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY |
			      CMS_DETACHED | CMS_STREAM) : NULL;
	if (!cms ||
	    !CMS_add1_signer(cms, cert, key, EVP_sha256(),
			     CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP |
			     CMS_NOATTR) ||
	    CMS_final(cms, data, NULL, CMS_NOCERTS | CMS_BINARY) != 1) {
		msg(path, "signing failed (does the key match the certificate?)");
		ssl_errors();
		goto out;
	}
	len = i2d_CMS_ContentInfo(cms, &der);
	if (len <= 0) {
		msg(path, "cannot encode the signature");
		ssl_errors();
		goto out;
	}
	if (len > KML_SIG_MAX) {
		msg(path, "signature is %d bytes, the note holds %d: use a key of at most 4096 bits",
		    len, KML_SIG_MAX);
		goto out;
	}
	if (check_sig(der, len, &sd, sdlen, cert, 0)) {
		msg(path, "the new signature does not verify with the certificate");
		goto out;
	}

	memset(&nd, 0, sizeof(nd));
	memcpy(nd.magic, KML_STAMP_MAGIC, KML_STAMP_MAGIC_LEN);
	nd.version = htole16(KML_STAMP_VERSION);
	nd.hash_algo = KML_HASH_SHA256;
	nd.sig_type = KML_SIG_PKCS7;
	nd.sig_len = htole32(len);
	memcpy(nd.sig, der, len);
	nd.flags = htole32(flags);

	/* The only write: the descriptor, after everything above held. */
	if (pwrite(im.fd, &nd, sizeof(nd), im.ni.desc_off) != sizeof(nd) ||
	    fsync(im.fd) != 0) {
		msg(path, "cannot write the stamp: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(data);
	image_close(&im);
	return ret;
}

static int do_verify(const char *path, X509 *cert)
{
	struct kml_signed_data sd;
	__u32 sdlen;
	const char *why;
	struct image im;
	int ret = -1;

	if (image_open(&im, path, path, 0))
		return -1;
	switch (kml_check_desc(&im.desc, &why)) {
	case 0:
		msg(path, "not stamped (the KML note is reserved but empty)");
		goto out;
	case 1:
		break;
	default:
		msg(path, "malformed stamp: %s", why);
		goto out;
	}
	if (image_statement(&im, le16toh(im.desc.version),
			    kml_stamp_flags(&im.desc), &sd, &sdlen))
		goto out;
	if (check_sig(im.desc.sig, le32toh(im.desc.sig_len), &sd, sdlen,
		      cert, 1)) {
		msg(path, "BAD stamp: signature does not verify with this certificate (file modified, or signed with another key)");
		goto out;
	}
	printf("%s: stamp OK%s\n", path,
	       kml_stamp_flags(&im.desc) & KML_STAMP_F_PRIVILEGED ?
	       " (privileged instructions allowed)" : "");
	ret = 0;
out:
	image_close(&im);
	return ret;
}

static void print_signer(const unsigned char *sig, size_t len)
{
	const unsigned char *p = sig;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, len);
	STACK_OF(CMS_SignerInfo) *sis = cms ? CMS_get0_SignerInfos(cms) : NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *serial = NULL;
	char buf[256];

	if (!sis || sk_CMS_SignerInfo_num(sis) != 1 ||
	    CMS_SignerInfo_get0_signer_id(sk_CMS_SignerInfo_value(sis, 0),
					  NULL, &issuer, &serial) != 1 ||
	    !issuer) {
		printf("signer: (not a readable PKCS#7 signature)\n");
	} else {
		X509_NAME_oneline(issuer, buf, sizeof(buf));
		printf("signer-issuer: %s\n", buf);
		if (serial) {
			BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
			char *hex = bn ? BN_bn2hex(bn) : NULL;

			printf("signer-serial: %s\n", hex ? hex : "?");
			OPENSSL_free(hex);
			BN_free(bn);
		}
	}
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
}

static int do_show(const char *path)
{
	struct kml_signed_data sd;
	const char *why;
	struct image im;
	int i, state;
	__u32 sdlen, flags;

	if (image_open(&im, path, path, 0))
		return -1;
	printf("file: %s\n", path);
	printf("file-size: %zu\n", im.size);
	printf("note-offset: %llu\n", (unsigned long long)im.ni.note_off);
	printf("desc-offset: %llu\n", (unsigned long long)im.ni.desc_off);
	printf("desc-size: %u\n", im.ni.descsz);
	printf("section: %s\n", im.section ? im.section : "(none)");
	state = kml_check_desc(&im.desc, &why);
	printf("state: %s%s\n", state == 1 ? "stamped" :
	       state == 0 ? "reserved (not stamped)" : "malformed: ",
	       state < 0 ? why : "");
	if (state == 1) {
		flags = kml_stamp_flags(&im.desc);
		printf("version: %u\n", le16toh(im.desc.version));
		printf("flags: 0x%x%s\n", flags,
		       flags & KML_STAMP_F_PRIVILEGED ?
		       " privileged (signed with --allow-privileged)" : "");
		printf("hash: sha256\n");
		printf("signature: pkcs7, %u bytes\n", le32toh(im.desc.sig_len));
		print_signer(im.desc.sig, le32toh(im.desc.sig_len));
	}
	if (image_statement(&im, KML_STAMP_VERSION, 0, &sd, &sdlen) == 0) {
		printf("file-digest: ");
		for (i = 0; i < KML_DIGEST_SIZE; i++)
			printf("%02x", sd.digest[i]);
		printf("\n");
	}
	image_close(&im);
	return 0;
}

/*
 * Prints the digest the signature covers (SHA-256 of the file with the
 * descriptor read as zero, the kernel's kml_hash_file()) as sha256sum does:
 * "<hex>  FILE".  The same for the reserved and the stamped file; "bin:<hex>"
 * in the kernel's .blacklist keyring revokes the stamped one.
 */
static int do_hash(const char *path)
{
	struct kml_signed_data sd;
	struct image im;
	__u32 sdlen;
	int i, ret;

	if (image_open(&im, path, path, 0))
		return -1;
	ret = image_statement(&im, KML_STAMP_VERSION, 0, &sd, &sdlen);
	if (ret == 0) {
		for (i = 0; i < KML_DIGEST_SIZE; i++)
			printf("%02x", sd.digest[i]);
		printf("  %s\n", path);
	}
	image_close(&im);
	return ret;
}

/* --add-note: the note is added to a new file, which is stamped (with a
 * key) before it replaces FILE. */
struct add_note_args {
	const char *path;
	EVP_PKEY *key;
	X509 *cert;
};

static int stamp_new_file(const char *tmp, void *arg)
{
	const struct add_note_args *a = arg;

	return do_stamp(tmp, a->path, a->key, a->cert);
}

static int do_add_note(const char *path, EVP_PKEY *key, X509 *cert)
{
	struct add_note_args a = { path, key, cert };
	struct kml_addnote_job job = {
		.path = path, .hook = key ? stamp_new_file : NULL, .arg = &a,
	};
	int r = kml_addnote_file(&job);

	if (r == -1)
		msg(path, "%s", job.why);
	if (r)
		return -1;
	printf("%s: KML note added (%s executable)%s\n", path, job.kind,
	       key ? ", stamped" : "");
	if (job.nlink > 1)
		msg(path, "had %lu hard links: the other names still show the old file",
		    job.nlink);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [--key KEY] [--cert CERT] [--allow-privileged] [-v] FILE...\n"
"                                              stamp FILEs in place\n"
"       %s --verify --cert CERT FILE...         check stamps\n"
"       %s --show FILE...                       print what a stamp holds\n"
"       %s --hash FILE...                       print the digest the stamp covers\n"
"       %s --scan [-v] FILE...                  look for privileged instructions\n"
"       %s --add-note [--key KEY] FILE...       add the reserved note to a\n"
"                                                  prebuilt executable (and stamp it)\n"
"       %s --help                               this text\n"
"\n"
"FILE must be an x86-64 ELF executable linked with -Wl,-T,kml.ld (or with\n"
"kml_note.o).  KEY is a PEM private key (RSA up to 4096 bits) or a pkcs11:\n"
"URI (a key on a token: needs --cert; PIN in the URI or $KML_KEY_PIN); CERT is its\n"
"X.509 certificate, PEM or DER, and defaults to KEY when KEY holds both.\n"
"KEY defaults to $KML_KEY.  Stamping an already stamped file replaces the\n"
"stamp.  --hash prints \"<sha256>  FILE\": SHA-256 of the file with the\n"
"stamp descriptor read as zero (the same before and after stamping); the\n"
"kernel refuses a stamped file once \"bin:<sha256>\" is in its .blacklist\n"
"keyring.\n"
"\n"
"Before signing, the code of FILE is disassembled (capstone): a privileged\n"
"instruction (cli, mov to %%cr0, wrmsr, in/out, int $N, far jumps, ...) is\n"
"reported, one line each, and FILE is not stamped.  --allow-privileged\n"
"stamps it anyway and records that in the stamp (--show prints it, the\n"
"kernel logs it, kernel.kml.privileged=0 runs it in ring 3).  -v, --verbose\n"
"also lists tolerated instructions (hlt) and what was scanned.  --scan\n"
"scans any x86-64 ELF file without signing it.  The scan catches mistakes;\n"
"it cannot see code made or loaded at run time: see kml-stamp(1).\n"
"\n"
"--add-note adds the reserved KML note to an x86-64 executable that was not\n"
"linked with kml.ld (static, static-pie, PIE or dynamic; not a shared\n"
"library): a new read-only segment at the end of the file holds a new\n"
"program header table and the note.  The file is rewritten to a temporary\n"
"file in its directory and renamed over FILE (owner, group, mode and\n"
"extended attributes kept; other hard links keep the old file).  With\n"
"--key it is stamped before the rename; KML_KEY alone does not stamp.\n"
"\n"
"Exit status: 0 ok, 1 a FILE failed (or has privileged instructions),\n"
"2 usage or key error.  See kml-stamp(1).\n", prog, prog, prog, prog, prog, prog, prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "verify", no_argument, NULL, 'V' },
		{ "show", no_argument, NULL, 's' },
		{ "hash", no_argument, NULL, 'H' },
		{ "scan", no_argument, NULL, 'S' },
		{ "allow-privileged", no_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "add-note", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *keyfile = getenv("KML_KEY"), *certfile = NULL;
	int mode = 0, c, i, failed = 0, add_note = 0, key_given = 0;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	while ((c = getopt_long(argc, argv, "k:c:hv", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; key_given = 1; break;
		case 'c': certfile = optarg; break;
		case 'V': mode = 'V'; break;
		case 's': mode = 's'; break;
		case 'H': mode = 'H'; break;
		case 'S': mode = 'S'; break;
		case 'P': allow_privileged = 1; break;
		case 'v': verbose = 1; break;
		case 'A': add_note = 1; break;
		case 'h': usage(stdout); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (allow_privileged && mode != 0) {
		msg(NULL, "--allow-privileged only goes with stamping");
		usage(stderr);
		return EX_USAGE;
	}
	if (optind >= argc) {
		msg(NULL, "no FILE given");
		usage(stderr);
		return EX_USAGE;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		msg(NULL, "libelf is too old");
		return EX_USAGE;
	}
	if (add_note && mode) {
		msg(NULL, "--add-note cannot be combined with --verify, --show or --hash");
		return EX_USAGE;
	}
	if (add_note && !key_given) {
		if (certfile) {
			msg(NULL, "--add-note: --cert is for stamping and needs --key");
			return EX_USAGE;
		}
		mode = 'A';	/* add the note only: KML_KEY does not stamp */
	}

	if (mode == 'V') {
		if (!certfile) {
			msg(NULL, "--verify needs --cert CERT");
			return EX_USAGE;
		}
		cert = load_cert(certfile);
		if (!cert)
			return EX_USAGE;
	} else if (mode == 0) {
		if (!keyfile || !*keyfile) {
			msg(NULL, "no signing key: pass --key KEY or set KML_KEY");
			return EX_USAGE;
		}
		if (!certfile && !strncmp(keyfile, "pkcs11:", 7)) {
			msg(NULL, "a pkcs11: key needs --cert CERT (its certificate, PEM or DER)");
			return EX_USAGE;
		}
		key = load_key(keyfile);
		cert = key ? load_cert(certfile ? certfile : keyfile) : NULL;
		if (!key || !cert) {
			EVP_PKEY_free(key);
			return EX_USAGE;
		}
	}

	for (i = optind; i < argc; i++) {
		int r = mode == 'V' ? do_verify(argv[i], cert) :
			mode == 's' ? do_show(argv[i]) :
			mode == 'H' ? do_hash(argv[i]) :
			mode == 'S' ? do_scan(argv[i]) :
			mode == 'A' || add_note ? do_add_note(argv[i], key, cert) :
			do_stamp(argv[i], argv[i], key, cert);
		if (r)
			failed = 1;
		else if (mode == 0 && !add_note)
			printf("%s: stamped\n", argv[i]);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return failed ? EX_FILE : EX_OK;
}
