/*-------------------------------------------------------------------------
 *
 * gitref.c
 *	  "migrate down --to-tag REF" where REF is a git ref (tag, branch,
 *	  commit) of the repository holding the migration directory: the
 *	  target is the last migration version the directory had at REF.
 *
 * git runs as a child process with an argument vector (no shell), so a
 * ref can hold any character without being interpreted:
 *		git -C DIR rev-parse --verify --quiet REF^{commit}
 *		git -C DIR ls-tree -r --name-only COMMIT -- .
 * When git is missing, DIR is not in a repository or REF does not name a
 * commit, the value is not a git ref and stays a tag for the driver.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/gitref.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

/*
 * Run argv, capture stdout.  Returns the exit status (127 when git could
 * not be started), or -1 if the child could not be created.
 */
static int
run_capture(char *const argv[], char **out)
{
	int			pipefd[2];
	pid_t		pid;
	StrBuf		sb;
	char		buf[4096];
	ssize_t		n;
	int			status;

	*out = NULL;
	if (pipe(pipefd) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
	{
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0)
	{
		int			devnull = open("/dev/null", O_RDWR);

		dup2(pipefd[1], 1);
		if (devnull >= 0)
		{
			dup2(devnull, 0);
			dup2(devnull, 2);
		}
		close(pipefd[0]);
		close(pipefd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	sb_init(&sb);
	for (;;)
	{
		n = read(pipefd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		sb_put(&sb, buf, (size_t) n);
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
	{
		if (errno != EINTR)
		{
			sb_free(&sb);
			return -1;
		}
	}
	*out = sb_steal(&sb);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t		n = strlen(s),
				m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* the format of a listing when not given: by file names alone */
static DirFormat
guess_format(char **names, int n)
{
	int			k,
				flyway = 0;

	for (k = 0; k < n; k++)
		if (ends_with(names[k], ".up.sql") || ends_with(names[k], ".down.sql"))
			return FORMAT_GOLANG_MIGRATE;
	for (k = 0; k < n; k++)
	{
		const char *b = strrchr(names[k], '/') ? strrchr(names[k], '/') + 1 : names[k];

		if (strncmp(b, "R__", 3) == 0 ||
			((b[0] == 'V' || b[0] == 'U') && b[1] >= '0' && b[1] <= '9' && strstr(b, "__")))
			flyway++;
	}
	return flyway > 0 ? FORMAT_FLYWAY : FORMAT_NATIVE;
}

int
gitref_version(const char *dirpath, DirFormat format, const char *ref, char **version)
{
	char	   *spec = xasprintf("%s^{commit}", ref);
	char	   *out = NULL;
	char	   *commit;
	char	  **names = NULL;
	int			nnames = 0,
				k,
				rc;
	char	   *p,
			   *best = NULL;

	*version = NULL;
	{
		char	   *argv[] = {"git", "-C", (char *) dirpath, "rev-parse", "--verify",
		"--quiet", spec, NULL};

		rc = run_capture(argv, &out);
	}
	free(spec);
	if (rc != 0 || out == NULL || out[0] == '\0')
	{
		free(out);
		return 0;
	}
	commit = xstrndup(out, strcspn(out, "\n"));
	free(out);
	{
		char	   *argv[] = {"git", "-C", (char *) dirpath, "ls-tree", "-r", "--name-only",
		commit, "--", ".", NULL};

		rc = run_capture(argv, &out);
	}
	if (rc != 0 || out == NULL)
	{
		log_error("could not list the migration directory \"%s\" at git ref \"%s\"", dirpath, ref);
		free(out);
		free(commit);
		return -1;
	}
	for (p = out; *p;)
	{
		char	   *nl = strchr(p, '\n');
		size_t		len = nl ? (size_t) (nl - p) : strlen(p);

		if (len > 0)
		{
			names = xrealloc(names, sizeof(char *) * (nnames + 1));
			names[nnames++] = xstrndup(p, len);
		}
		p += len + (nl ? 1 : 0);
	}
	if (format == FORMAT_AUTO || format == FORMAT_DBMATE)
		format = format == FORMAT_DBMATE ? FORMAT_DBMATE : guess_format(names, nnames);
	for (k = 0; k < nnames; k++)
	{
		char	   *v,
				   *desc,
				   *why;

		/* only the directory itself, except for Flyway's tree */
		if (format != FORMAT_FLYWAY && strchr(names[k], '/'))
			continue;
		if (dir_name_version(format, names[k], &v, &desc, &why) == 1)
		{
			if (best == NULL || version_cmp(v, best) > 0)
			{
				free(best);
				best = v;
			}
			else
				free(v);
			free(desc);
		}
		else
			free(why);
	}
	for (k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	free(out);
	if (best == NULL)
	{
		log_error("git ref \"%s\" has no migration files in \"%s\"", ref, dirpath);
		log_error_detail("Commit %s has no migration file in that directory, so there is no version to revert to.", commit);
		free(commit);
		return -1;
	}
	free(commit);
	*version = best;
	return 1;
}
