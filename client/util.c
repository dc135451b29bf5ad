/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Memory, string buffer and file helpers of the migrate client.
 *
 * The client is a short-lived program: running out of memory is reported
 * and ends it, so callers never check the x* allocators.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/util.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

static void
out_of_memory(void)
{
	log_error("out of memory");
	exit(EXIT_ERROR);
}

void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	   *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void	   *q = realloc(p, n ? n : 1);

	if (q == NULL)
		out_of_memory();
	return q;
}

char *
xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *
xstrndup(const char *s, size_t n)
{
	char	   *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt,...)
{
	StrBuf		sb;
	va_list		ap;
	int			need;

	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (need < 0)
		return xstrdup("");
	sb_init(&sb);
	sb.data = xrealloc(sb.data, (size_t) need + 1);
	va_start(ap, fmt);
	vsnprintf(sb.data, (size_t) need + 1, fmt, ap);
	va_end(ap);
	return sb.data;
}

/* ---- string buffer ---------------------------------------------------- */

void
sb_init(StrBuf *sb)
{
	sb->cap = 64;
	sb->len = 0;
	sb->data = xmalloc(sb->cap);
	sb->data[0] = '\0';
}

static void
sb_reserve(StrBuf *sb, size_t extra)
{
	size_t		need;

	if (sb->data == NULL)
		sb_init(sb);
	need = sb->len + extra + 1;
	if (need < sb->len)
		out_of_memory();		/* overflow */
	if (need <= sb->cap)
		return;
	while (sb->cap < need)
		sb->cap = sb->cap * 2 > sb->cap ? sb->cap * 2 : need;
	sb->data = xrealloc(sb->data, sb->cap);
}

void
sb_put(StrBuf *sb, const char *s, size_t n)
{
	sb_reserve(sb, n);
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
sb_puts(StrBuf *sb, const char *s)
{
	sb_put(sb, s, strlen(s));
}

void
sb_putc(StrBuf *sb, char c)
{
	sb_put(sb, &c, 1);
}

void
sb_printf(StrBuf *sb, const char *fmt,...)
{
	va_list		ap;
	int			need;

	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (need <= 0)
		return;
	sb_reserve(sb, (size_t) need);
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t) need + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t) need;
}

char *
sb_steal(StrBuf *sb)
{
	char	   *d;

	if (sb->data == NULL)
		sb_init(sb);
	d = sb->data;
	sb->data = NULL;
	sb->len = sb->cap = 0;
	return d;
}

void
sb_reset(StrBuf *sb)
{
	if (sb->data == NULL)
		sb_init(sb);
	sb->len = 0;
	sb->data[0] = '\0';
}

void
sb_free(StrBuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

/* ---- files ------------------------------------------------------------ */

int
read_file(const char *path, char **data, size_t *len, char **err)
{
	int			fd;
	struct stat st;
	StrBuf		sb;
	char		buf[65536];
	ssize_t		r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
	{
		*err = xstrdup(strerror(errno));
		return -1;
	}
	memset(&st, 0, sizeof(st));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
	{
		close(fd);
		*err = xstrdup("Is a directory");
		return -1;
	}
	sb_init(&sb);
	/* a regular file: read it into a buffer of its size, not a doubled one */
	if (S_ISREG(st.st_mode) && st.st_size > 0)
	{
		sb.data = xrealloc(sb.data, (size_t) st.st_size + 1);
		sb.cap = (size_t) st.st_size + 1;
	}
	for (;;)
	{
		if (sb.cap - sb.len > sizeof(buf))
		{
			/* straight into the buffer while it has room */
			r = read(fd, sb.data + sb.len, sb.cap - sb.len - 1);
			if (r > 0)
			{
				sb.len += (size_t) r;
				sb.data[sb.len] = '\0';
				continue;
			}
		}
		else
			r = read(fd, buf, sizeof(buf));
		if (r < 0)
		{
			if (errno == EINTR)
				continue;
			*err = xstrdup(strerror(errno));
			close(fd);
			sb_free(&sb);
			return -1;
		}
		if (r == 0)
			break;
		sb_put(&sb, buf, (size_t) r);
	}
	close(fd);
	*len = sb.len;
	*data = sb_steal(&sb);
	return 0;
}

/*
 * Write a file through a temporary name and rename(), so that a crash
 * never leaves a half-written file behind.
 */
int
write_file_atomic(const char *path, const char *data, size_t len, char **err)
{
	char	   *tmp = xasprintf("%s.tmp%ld", path, (long) getpid());
	int			fd;
	size_t		off = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
	{
		*err = xstrdup(strerror(errno));
		free(tmp);
		return -1;
	}
	while (off < len)
	{
		ssize_t		w = write(fd, data + off, len - off);

		if (w < 0)
		{
			if (errno == EINTR)
				continue;
			*err = xstrdup(strerror(errno));
			close(fd);
			unlink(tmp);
			free(tmp);
			return -1;
		}
		off += (size_t) w;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0)
	{
		*err = xstrdup(strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

char *
path_join(const char *dir, const char *name)
{
	size_t		n = strlen(dir);

	if (n == 0)
		return xstrdup(name);
	if (dir[n - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

bool
is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool
path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int
line_at(const char *s, size_t len, size_t off)
{
	int			line = 1;
	size_t		i;

	for (i = 0; i < off && i < len; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/*
 * UTF-8 validation following RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF.
 */
bool
text_check(const char *s, size_t len, size_t *bad, bool *is_nul)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;

	*is_nul = false;
	while (i < len)
	{
		unsigned char c = p[i];
		size_t		n,
					k;
		unsigned int cp;

		if (c == 0)
		{
			*bad = i;
			*is_nul = true;
			return false;
		}
		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
		{
			n = 1;
			cp = c & 0x1F;
		}
		else if (c >= 0xE0 && c <= 0xEF)
		{
			n = 2;
			cp = c & 0x0F;
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			n = 3;
			cp = c & 0x07;
		}
		else
		{
			*bad = i;
			return false;
		}
		if (len - i <= n)
		{
			*bad = i;
			return false;
		}
		for (k = 1; k <= n; k++)
		{
			if ((p[i + k] & 0xC0) != 0x80)
			{
				*bad = i;
				return false;
			}
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
			cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		{
			*bad = i;
			return false;
		}
		i += n + 1;
	}
	return true;
}
