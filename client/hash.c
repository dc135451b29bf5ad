/*-------------------------------------------------------------------------
 *
 * hash.c
 *	  Content hashes: "h1:" + base64(sha256(...)), computed with OpenSSL's
 *	  libcrypto.
 *
 * Three hashes use this form:
 *	- a migration file's hash (hash_bytes over the statements part);
 *	- running statement hashes (hash_running): the hash after statement i
 *	  is sha256 over the concatenated texts of statements 0..i, which lets
 *	  a rerun verify that the statements already applied did not change;
 *	- the lines of the sum file (sumfile.c), which chain file names and
 *	  contents the same way.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/hash.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core.h"

static EVP_MD_CTX *
hash_ctx_new(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
	{
		log_error("could not initialize SHA-256");
		exit(EXIT_ERROR);
	}
	return ctx;
}

/* base64 of the digest of a copy of ctx (ctx itself goes on) */
static void
hash_ctx_peek(EVP_MD_CTX *ctx, char out[45])
{
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (copy == NULL || EVP_MD_CTX_copy_ex(copy, ctx) != 1 ||
		EVP_DigestFinal_ex(copy, md, &mdlen) != 1 || mdlen != 32)
	{
		log_error("could not compute SHA-256");
		exit(EXIT_ERROR);
	}
	EVP_MD_CTX_free(copy);
	EVP_EncodeBlock((unsigned char *) out, md, 32);
}

void
sha256_base64(const void *data, size_t len, char out[45])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
	{
		log_error("could not compute SHA-256");
		exit(EXIT_ERROR);
	}
	EVP_EncodeBlock((unsigned char *) out, md, 32);
}

void
hash_bytes(const void *data, size_t len, char out[64])
{
	char		b64[45];

	sha256_base64(data, len, b64);
	snprintf(out, 64, "h1:%s", b64);
}

void
hash_running(const StmtList *stmts, int i, char out[64])
{
	EVP_MD_CTX *ctx = hash_ctx_new();
	char		b64[45];
	int			k;

	for (k = 0; k <= i && k < stmts->n; k++)
		EVP_DigestUpdate(ctx, stmts->items[k].text, strlen(stmts->items[k].text));
	hash_ctx_peek(ctx, b64);
	EVP_MD_CTX_free(ctx);
	snprintf(out, 64, "h1:%s", b64);
}

void
hash_running_all(const StmtList *stmts, char (*out)[64])
{
	EVP_MD_CTX *ctx = hash_ctx_new();
	char		b64[45];
	int			k;

	for (k = 0; k < stmts->n; k++)
	{
		EVP_DigestUpdate(ctx, stmts->items[k].text, strlen(stmts->items[k].text));
		hash_ctx_peek(ctx, b64);
		snprintf(out[k], 64, "h1:%s", b64);
	}
	EVP_MD_CTX_free(ctx);
}

/*
 * The sum file's chain (see sumfile.c) needs a running context too; it is
 * kept here so that OpenSSL stays in one file.
 */
void *
hash_chain_new(void)
{
	return hash_ctx_new();
}

void
hash_chain_update(void *chain, const void *data, size_t len)
{
	EVP_DigestUpdate((EVP_MD_CTX *) chain, data, len);
}

void
hash_chain_peek(void *chain, char out[45])
{
	hash_ctx_peek((EVP_MD_CTX *) chain, out);
}

void
hash_chain_free(void *chain)
{
	EVP_MD_CTX_free((EVP_MD_CTX *) chain);
}
