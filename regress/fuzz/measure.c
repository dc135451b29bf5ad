/*-------------------------------------------------------------------------
 *
 * measure.c
 *	  Run a command and report what it cost: exit code, peak resident
 *	  memory, CPU time and, where the kernel allows it, the number of
 *	  user-space instructions it retired.
 *
 *		measure COMMAND [ARG]...
 *
 * The command's stdout and stderr pass through; the figures are printed
 * last on stderr as one line:
 *
 *		measure: rc=1 maxrss_kb=5120 cpu_ms=12 instructions=1234567
 *
 * (instructions=-1 when perf events are not available).  Instruction
 * counts are nearly deterministic, so the bad-input tests compare them
 * between input sizes to show that time grows linearly without asserting
 * anything about wall-clock time.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  regress/fuzz/measure.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int
counter_open(pid_t pid)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_HARDWARE;
	attr.config = PERF_COUNT_HW_INSTRUCTIONS;
	attr.disabled = 1;
	attr.enable_on_exec = 1;
	attr.inherit = 1;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	return (int) syscall(SYS_perf_event_open, &attr, pid, -1, -1, 0);
}

int
main(int argc, char **argv)
{
	int			go[2];
	pid_t		pid;
	int			status,
				fd,
				rc;
	struct rusage ru;
	long long	instructions = -1;
	char		c = 'x';

	if (argc < 2)
	{
		fprintf(stderr, "usage: measure COMMAND [ARG]...\n");
		return 2;
	}
	if (pipe(go) != 0)
	{
		perror("pipe");
		return 2;
	}
	pid = fork();
	if (pid < 0)
	{
		perror("fork");
		return 2;
	}
	if (pid == 0)
	{
		/* wait until the counter is attached, then run the command */
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		close(go[0]);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "measure: cannot run %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	fd = counter_open(pid);
	if (write(go[1], &c, 1) != 1)
	{
		perror("write");
		return 2;
	}
	close(go[1]);
	if (wait4(pid, &status, 0, &ru) < 0)
	{
		perror("wait4");
		return 2;
	}
	if (fd >= 0)
	{
		uint64_t	v;

		if (read(fd, &v, sizeof(v)) == sizeof(v) && v > 0)
			instructions = (long long) v;
		close(fd);
	}
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fprintf(stderr, "measure: rc=%d maxrss_kb=%ld cpu_ms=%ld instructions=%lld\n",
			rc, ru.ru_maxrss,
			(long) (ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 +
					ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000),
			instructions);
	return rc;
}
