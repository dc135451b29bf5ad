/*-------------------------------------------------------------------------
 *
 * fuzz_dir.c
 *	  libFuzzer entry point for migration files and directories of every format (client/dir.c).
 *
 * The target itself is fuzz_dir_one() in fuzz_targets.c; see that file
 * for the input layout and the properties checked.  Build and run with
 * regress/fuzz/run (or make -C client/fuzz).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/fuzz/fuzz_dir.c
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_targets.c"

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
	return fuzz_dir_one(data, size);
}
