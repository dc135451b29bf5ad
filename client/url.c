/*-------------------------------------------------------------------------
 *
 * url.c
 *	  Parse --url values and the PostgreSQL connection options.
 *
 * Accepted forms:
 *	postgres://[user[:password]@][host][:port][/dbname][?param=value&...]
 *	postgresql://...		(the same; passed to libpq unchanged)
 *	mysql://[user[:password]@]host[:port][/dbname][?param=value&...]
 *	mariadb://...			(the same)
 *	mysql://user@localhost/db?socket=/path/mysqld.sock
 *	sqlite://relative/path.db, sqlite:///absolute/path.db, sqlite://:memory:
 *
 * For PostgreSQL the client also takes a conninfo string or URI with
 * -d/--dbname, and -h/-p/-U, exactly as psql; with none of them libpq's
 * PG* environment and ~/.pgpass apply.  The driver hands ConnUrl.conninfo
 * to libpq as is, so everything libpq accepts (several hosts, sslmode,
 * service, ...) keeps working; the fields parsed here are for messages and
 * for the other drivers.
 *
 * Passwords never appear in messages: ConnUrl.redacted masks them.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/url.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

#define MASK "xxxxx"

const char *
dialect_name(Dialect d)
{
	switch (d)
	{
		case DIALECT_POSTGRES:
			return "postgres";
		case DIALECT_MYSQL:
			return "mysql";
		case DIALECT_SQLITE:
			return "sqlite";
	}
	return "unknown";
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* percent-decode s[0..n); NULL if the encoding is invalid or yields NUL */
static char *
pct_decode(const char *s, size_t n)
{
	char	   *out = xmalloc(n + 1);
	size_t		i,
				o = 0;

	for (i = 0; i < n; i++)
	{
		if (s[i] == '%')
		{
			int			h,
						l;

			if (i + 2 >= n)
			{
				free(out);
				return NULL;
			}
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
			{
				free(out);
				return NULL;
			}
			out[o++] = (char) (h * 16 + l);
			i += 2;
		}
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

static void
pct_encode(StrBuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
			sb_putc(sb, (char) c);
		else
		{
			sb_putc(sb, '%');
			sb_putc(sb, hex[c >> 4]);
			sb_putc(sb, hex[c & 15]);
		}
	}
}

/* value of key in a query string "a=1&b=2" (decoded), or NULL */
char *
url_query_param(const char *params, const char *key)
{
	const char *p = params;
	size_t		klen = strlen(key);

	while (p && *p)
	{
		const char *amp = strchr(p, '&');
		size_t		n = amp ? (size_t) (amp - p) : strlen(p);

		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
			return pct_decode(p + klen + 1, n - klen - 1);
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/* copy params with the values of password-like keys masked */
static void
redact_params(StrBuf *sb, const char *params)
{
	const char *p = params;
	bool		first = true;

	while (p && *p)
	{
		const char *amp = strchr(p, '&');
		size_t		n = amp ? (size_t) (amp - p) : strlen(p);
		const char *eq = memchr(p, '=', n);

		if (!first)
			sb_putc(sb, '&');
		first = false;
		if (eq && ((eq - p == 8 && strncasecmp(p, "password", 8) == 0) ||
				   (eq - p == 3 && strncasecmp(p, "pwd", 3) == 0)))
		{
			sb_put(sb, p, (size_t) (eq - p) + 1);
			sb_puts(sb, MASK);
		}
		else
			sb_put(sb, p, n);
		p = amp ? amp + 1 : NULL;
	}
}

static int
url_fail(char **err, const char *what, const char *redacted)
{
	*err = xasprintf("%s in URL \"%s\"", what, redacted);
	return -1;
}

/* a redacted copy of a URL whose password is not yet known to be valid */
static char *
redact_raw(const char *s)
{
	const char *sep = strstr(s, "://");
	const char *auth,
			   *end,
			   *at,
			   *colon,
			   *q;
	StrBuf		sb;

	if (sep == NULL)
		return xstrdup(s);
	auth = sep + 3;
	end = auth + strcspn(auth, "/?");
	sb_init(&sb);
	sb_put(&sb, s, (size_t) (auth - s));
	at = NULL;
	for (q = auth; q < end; q++)
		if (*q == '@')
			at = q;
	if (at)
	{
		colon = memchr(auth, ':', (size_t) (at - auth));
		if (colon)
		{
			sb_put(&sb, auth, (size_t) (colon - auth) + 1);
			sb_puts(&sb, MASK);
		}
		else
			sb_put(&sb, auth, (size_t) (at - auth));
		sb_put(&sb, at, (size_t) (end - at));
	}
	else
		sb_put(&sb, auth, (size_t) (end - auth));
	q = strchr(end, '?');
	if (q)
	{
		sb_put(&sb, end, (size_t) (q - end) + 1);
		redact_params(&sb, q + 1);
	}
	else
		sb_puts(&sb, end);
	return sb_steal(&sb);
}

static int
parse_port(const char *p, size_t n)
{
	int			v = 0;
	size_t		i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++)
	{
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

static int
parse_sqlite(const char *rest, ConnUrl *u, char **err)
{
	const char *q = strchr(rest, '?');
	size_t		n = q ? (size_t) (q - rest) : strlen(rest);

	if (n == 0)
		return url_fail(err, "missing database file path", u->redacted);
	u->dbname = pct_decode(rest, n);
	if (u->dbname == NULL)
		return url_fail(err, "invalid percent-encoding", u->redacted);
	if (q && q[1])
		u->params = xstrdup(q + 1);
	return 0;
}

/* user:password@host:port/db?params (shared by postgres and mysql) */
static int
parse_server(const char *rest, ConnUrl *u, char **err)
{
	size_t		alen = strcspn(rest, "/?");
	const char *auth_end = rest + alen;
	const char *at = NULL,
			   *p,
			   *hp;
	size_t		hlen;

	for (p = rest; p < auth_end; p++)
		if (*p == '@')
			at = p;
	if (at)
	{
		const char *colon = memchr(rest, ':', (size_t) (at - rest));
		size_t		ulen = colon ? (size_t) (colon - rest) : (size_t) (at - rest);

		if (ulen > 0)
		{
			u->user = pct_decode(rest, ulen);
			if (u->user == NULL)
				return url_fail(err, "invalid percent-encoding in the user name", u->redacted);
		}
		if (colon)
		{
			u->password = pct_decode(colon + 1, (size_t) (at - colon - 1));
			if (u->password == NULL)
				return url_fail(err, "invalid percent-encoding in the password", u->redacted);
		}
		hp = at + 1;
	}
	else
		hp = rest;
	hlen = (size_t) (auth_end - hp);

	if (hlen > 0 && hp[0] == '[')
	{
		const char *rb = memchr(hp, ']', hlen);

		if (rb == NULL)
			return url_fail(err, "unterminated \"[\" around the host", u->redacted);
		u->host = xstrndup(hp + 1, (size_t) (rb - hp - 1));
		if (rb + 1 < auth_end)
		{
			if (rb[1] != ':' || parse_port(rb + 2, (size_t) (auth_end - rb - 2)) < 0)
				return url_fail(err, "invalid port", u->redacted);
			u->port = xstrndup(rb + 2, (size_t) (auth_end - rb - 2));
		}
	}
	else if (hlen > 0)
	{
		const char *colon = memchr(hp, ':', hlen);
		bool		multi = memchr(hp, ',', hlen) != NULL;

		if (multi && u->dialect == DIALECT_POSTGRES)
			u->host = xstrndup(hp, hlen);	/* several hosts: libpq's business */
		else if (multi)
			return url_fail(err, "several hosts are only supported for PostgreSQL", u->redacted);
		else
		{
			size_t		n = colon ? (size_t) (colon - hp) : hlen;

			if (n > 0)
			{
				u->host = pct_decode(hp, n);
				if (u->host == NULL)
					return url_fail(err, "invalid percent-encoding in the host", u->redacted);
			}
			if (colon)
			{
				size_t		pl = hlen - n - 1;

				if (parse_port(colon + 1, pl) < 0)
				{
					*err = xasprintf("invalid port \"%.*s\" in URL \"%s\"",
									 (int) pl, colon + 1, u->redacted);
					return -1;
				}
				u->port = xstrndup(colon + 1, pl);
			}
		}
	}

	if (*auth_end == '/')
	{
		const char *db = auth_end + 1;
		size_t		n = strcspn(db, "?");

		if (n > 0)
		{
			u->dbname = pct_decode(db, n);
			if (u->dbname == NULL)
				return url_fail(err, "invalid percent-encoding in the database name", u->redacted);
		}
	}
	p = strchr(auth_end, '?');
	if (p && p[1])
	{
		char	   *v;

		u->params = xstrdup(p + 1);
		/* reject broken encodings early: they would only fail later */
		for (v = u->params; *v; v++)
			if (*v == '%' && (hexval(v[1]) < 0 || hexval(v[2]) < 0))
				return url_fail(err, "invalid percent-encoding in the parameters", u->redacted);
	}
	return 0;
}

static int
url_parse_fields(const char *s, ConnUrl *u, char **err)
{
	const char *sep;
	size_t		slen;
	char	   *scheme;
	int			rc;

	memset(u, 0, sizeof(*u));
	u->raw = xstrdup(s);
	u->redacted = redact_raw(s);
	sep = strstr(s, "://");
	if (s[0] == '\0')
	{
		*err = xstrdup("empty URL");
		return -1;
	}
	if (sep == NULL)
	{
		*err = xasprintf("invalid URL \"%s\": it does not start with a scheme such as \"postgres://\"",
						 u->redacted);
		return -1;
	}
	slen = (size_t) (sep - s);
	scheme = xstrndup(s, slen);
	if (strcasecmp(scheme, "postgres") == 0 || strcasecmp(scheme, "postgresql") == 0)
		u->dialect = DIALECT_POSTGRES;
	else if (strcasecmp(scheme, "mysql") == 0 || strcasecmp(scheme, "mariadb") == 0)
		u->dialect = DIALECT_MYSQL;
	else if (strcasecmp(scheme, "sqlite") == 0 || strcasecmp(scheme, "sqlite3") == 0)
		u->dialect = DIALECT_SQLITE;
	else
	{
		*err = xasprintf("unsupported URL scheme \"%s\"", scheme);
		free(scheme);
		return -1;
	}
	free(scheme);

	if (u->dialect == DIALECT_SQLITE)
		rc = parse_sqlite(sep + 3, u, err);
	else
		rc = parse_server(sep + 3, u, err);
	if (rc != 0)
		return rc;

	if (u->dialect == DIALECT_POSTGRES)
		u->conninfo = xstrdup(s);
	if (u->dialect == DIALECT_MYSQL && u->params)
	{
		u->socket = url_query_param(u->params, "socket");
		if (u->socket != NULL && u->socket[0] != '/')
		{
			*err = xasprintf("the socket path \"%s\" in URL \"%s\" is not absolute",
							 u->socket, u->redacted);
			return -1;
		}
	}
	if (u->password == NULL && u->params)
		u->password = url_query_param(u->params, "password");
	return 0;
}

/* ---- PostgreSQL keyword/value conninfo -------------------------------- */

/*
 * Walk a conninfo string "key=value key='quoted value'".  Calls fn for
 * every pair with the value unquoted.  Returns false if the string is
 * malformed.
 */
typedef void (*ConninfoFn) (void *arg, const char *key, size_t klen,
							const char *vstart, size_t vlen_raw, const char *value);

static bool
conninfo_walk(const char *s, ConninfoFn fn, void *arg)
{
	const char *p = s;

	for (;;)
	{
		const char *k,
				   *vs;
		size_t		kl;
		StrBuf		v;

		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			return true;
		k = p;
		while (*p && *p != '=' && !isspace((unsigned char) *p))
			p++;
		kl = (size_t) (p - k);
		while (isspace((unsigned char) *p))
			p++;
		if (*p != '=' || kl == 0)
			return false;
		p++;
		while (isspace((unsigned char) *p))
			p++;
		vs = p;
		sb_init(&v);
		if (*p == '\'')
		{
			p++;
			while (*p && *p != '\'')
			{
				if (*p == '\\' && p[1])
					p++;
				sb_putc(&v, *p++);
			}
			if (*p != '\'')
			{
				sb_free(&v);
				return false;
			}
			p++;
		}
		else
		{
			while (*p && !isspace((unsigned char) *p))
			{
				if (*p == '\\' && p[1])
					p++;
				sb_putc(&v, *p++);
			}
		}
		if (fn)
			fn(arg, k, kl, vs, (size_t) (p - vs), v.data);
		sb_free(&v);
	}
}

typedef struct ConninfoScan
{
	ConnUrl    *u;
	StrBuf		redacted;
} ConninfoScan;

static void
conninfo_field(void *arg, const char *key, size_t klen, const char *vstart,
			   size_t vlen, const char *value)
{
	ConninfoScan *cs = arg;
	ConnUrl    *u = cs->u;
	char	  **slot = NULL;

	if (cs->redacted.len > 0)
		sb_putc(&cs->redacted, ' ');
	sb_put(&cs->redacted, key, klen);
	sb_putc(&cs->redacted, '=');
	if (klen == 8 && strncmp(key, "password", 8) == 0)
		sb_puts(&cs->redacted, MASK);
	else
		sb_put(&cs->redacted, vstart, vlen);

#define KEY(name) (klen == strlen(name) && strncmp(key, name, klen) == 0)
	if (KEY("user"))
		slot = &u->user;
	else if (KEY("password"))
		slot = &u->password;
	else if (KEY("host") || KEY("hostaddr"))
		slot = &u->host;
	else if (KEY("port"))
		slot = &u->port;
	else if (KEY("dbname"))
		slot = &u->dbname;
#undef KEY
	if (slot)
	{
		free(*slot);
		*slot = xstrdup(value);
	}
}

static void
append_kw(StrBuf *sb, const char *key, const char *value)
{
	const char *p;

	if (sb->len > 0)
		sb_putc(sb, ' ');
	sb_puts(sb, key);
	sb_puts(sb, "='");
	for (p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			sb_putc(sb, '\\');
		sb_putc(sb, *p);
	}
	sb_putc(sb, '\'');
}

static bool
is_pg_uri(const char *s)
{
	return strncmp(s, "postgres://", 11) == 0 || strncmp(s, "postgresql://", 13) == 0;
}

int
url_pg_override(ConnUrl *u, const char *host, const char *port,
				const char *user, char **err)
{
	const char *keys[3] = {"host", "port", "user"};
	const char *vals[3] = {host, port, user};
	StrBuf		sb;
	int			k;

	if (port && parse_port(port, strlen(port)) < 0)
	{
		*err = xasprintf("invalid port \"%s\"", port);
		return -1;
	}
	if (!host && !port && !user)
		return 0;
	sb_init(&sb);
	sb_puts(&sb, u->conninfo ? u->conninfo : "");
	if (u->conninfo && is_pg_uri(u->conninfo))
	{
		bool		has_q = strchr(u->conninfo, '?') != NULL;

		for (k = 0; k < 3; k++)
		{
			if (!vals[k])
				continue;
			sb_putc(&sb, has_q ? '&' : '?');
			has_q = true;
			sb_puts(&sb, keys[k]);
			sb_putc(&sb, '=');
			pct_encode(&sb, vals[k]);
		}
		free(u->redacted);
		u->redacted = redact_raw(sb.data);
	}
	else
	{
		ConninfoScan cs;

		for (k = 0; k < 3; k++)
			if (vals[k])
				append_kw(&sb, keys[k], vals[k]);
		cs.u = u;
		sb_init(&cs.redacted);
		conninfo_walk(sb.data, conninfo_field, &cs);
		free(u->redacted);
		u->redacted = sb_steal(&cs.redacted);
	}
	if (host)
	{
		free(u->host);
		u->host = xstrdup(host);
	}
	if (port)
	{
		free(u->port);
		u->port = xstrdup(port);
	}
	if (user)
	{
		free(u->user);
		u->user = xstrdup(user);
	}
	free(u->conninfo);
	u->conninfo = sb_steal(&sb);
	return 0;
}

static int
pg_options_fields(const char *dbname, const char *host, const char *port,
				  const char *user, ConnUrl *u, char **err)
{
	if (dbname && is_pg_uri(dbname))
	{
		if (url_parse(dbname, u, err) != 0)
			return -1;
		return url_pg_override(u, host, port, user, err);
	}
	memset(u, 0, sizeof(*u));
	u->dialect = DIALECT_POSTGRES;
	if (dbname && strchr(dbname, '='))
	{
		ConninfoScan cs;

		cs.u = u;
		sb_init(&cs.redacted);
		if (!conninfo_walk(dbname, conninfo_field, &cs))
		{
			sb_free(&cs.redacted);
			*err = xstrdup("invalid connection string given with -d/--dbname");
			return -1;
		}
		u->redacted = sb_steal(&cs.redacted);
		u->conninfo = xstrdup(dbname);
	}
	else if (dbname)
	{
		StrBuf		sb;

		sb_init(&sb);
		append_kw(&sb, "dbname", dbname);
		u->conninfo = sb_steal(&sb);
		u->dbname = xstrdup(dbname);
		u->redacted = xstrdup(u->conninfo);
	}
	else
	{
		u->conninfo = xstrdup("");
		u->redacted = xstrdup("");
	}
	u->raw = xstrdup(u->conninfo);
	if (url_pg_override(u, host, port, user, err) != 0)
		return -1;
	if (u->redacted[0] == '\0')
	{
		free(u->redacted);
		u->redacted = xstrdup("(PostgreSQL connection from the PG* environment)");
	}
	return 0;
}

/*
 * The public parsers leave nothing to free on failure: whatever was filled
 * in before the error is released here.
 */
int
url_parse(const char *s, ConnUrl *u, char **err)
{
	if (url_parse_fields(s, u, err) == 0)
		return 0;
	url_free(u);
	return -1;
}

int
url_from_pg_options(const char *dbname, const char *host, const char *port,
					const char *user, ConnUrl *out, char **err)
{
	if (pg_options_fields(dbname, host, port, user, out, err) == 0)
		return 0;
	url_free(out);
	return -1;
}

void
url_free(ConnUrl *u)
{
	free(u->raw);
	free(u->redacted);
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->port);
	free(u->socket);
	free(u->dbname);
	free(u->params);
	free(u->conninfo);
	memset(u, 0, sizeof(*u));
}
