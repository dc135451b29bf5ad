/*-------------------------------------------------------------------------
 *
 * fuzz_main.c
 *	  libFuzzer entry point, built once per target: fuzz_split (the
 *	  statement splitter, every dialect), fuzz_dir (migration files and
 *	  directories of every format) and fuzz_sum (the sum file and tamper
 *	  detection).
 *
 * FUZZ_TARGET names the target function of fuzz_targets.c (fuzz_split_one,
 * fuzz_dir_one or fuzz_sum_one); see that file for the input layouts and
 * the properties checked.  Build and run with regress/fuzz/run (or make -C
 * client/fuzz).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/fuzz/fuzz_main.c
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_targets.c"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the target function (e.g. -DFUZZ_TARGET=fuzz_split_one)"
#endif

static void
fuzz_fail(const char *fmt,...)
{
	va_list		ap;

	fputs("property violated: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* errors are expected by the thousand: keep them, but not on stderr */
	log_set_stream(fopen("/dev/null", "w"));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return FUZZ_TARGET(data, size);
}
