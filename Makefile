# Makefile: PGXS build of the migrate extension; recurses into client/.
#
#   make                 build the extension and the migrate client
#   make install         install both (extension into PostgreSQL, client into bindir)
#   make installcheck    pg_regress against a running server (sql/ + expected/)
#   make unit            cmocka unit tests of the client (no server needed)

EXTENSION  = migrate
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = migrate
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard extension/*.c)))
PGFILEDESC = "migrate - computed reverts of schema migrations"

# The install script is assembled from the parts in extension/sql/, in name
# order, so that each subsystem keeps its SQL next to its C file.
SCRIPT_PARTS = $(sort $(wildcard extension/sql/*.sql))
DATA_built   = extension/$(EXTENSION)--$(EXTVERSION).sql
DATA         = $(wildcard extension/$(EXTENSION)--*--*.sql)

# pg_regress: init first, then every other file in sql/ in name order.
REGRESS_ALL  = $(sort $(notdir $(basename $(wildcard sql/*.sql))))
REGRESS      = init $(filter-out init,$(REGRESS_ALL))
REGRESS_OPTS = --inputdir=. --outputdir=. --load-extension=$(EXTENSION)

# SHA-256 of recorded definitions and statements (OpenSSL, as the client)
SHLIB_LINK   = -lcrypto
PG_CPPFLAGS  = -I$(srcdir)/extension -DMIGRATE_VERSION=\"$(EXTVERSION)\"
PG_CFLAGS    = -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
               -Wno-sign-compare
EXTRA_CLEAN  = $(DATA_built) results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

ifneq ($(MAJORVERSION),15)
ifneq ($(MAJORVERSION),16)
$(error migrate supports PostgreSQL 15 and 16; $(PG_CONFIG) reports $(MAJORVERSION))
endif
endif

$(DATA_built): $(SCRIPT_PARTS) $(EXTENSION).control
	{ printf '%s\n' '-- $(EXTENSION)--$(EXTVERSION).sql: generated from the files in extension/sql; edit those' \
	    '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; \
	  for f in $(SCRIPT_PARTS); do printf '\n-- ---- %s ----\n' $$f; cat $$f; done; } > $@

all: client
install: install-client
clean: clean-client

.PHONY: client install-client clean-client unit
client:
	$(MAKE) -C client PG_CONFIG=$(PG_CONFIG) MIGRATE_VERSION=$(EXTVERSION)
install-client:
	$(MAKE) -C client install PG_CONFIG=$(PG_CONFIG) MIGRATE_VERSION=$(EXTVERSION)
clean-client:
	$(MAKE) -C client clean PG_CONFIG=$(PG_CONFIG)
unit:
	$(MAKE) -C client unit PG_CONFIG=$(PG_CONFIG) MIGRATE_VERSION=$(EXTVERSION)

# Layout: PostgreSQL's, by pg_bsd_indent with PostgreSQL's options
# (scripts/indent; Debian package pg-bsd-indent).
.PHONY: format format-check
format:
	scripts/indent
format-check:
	scripts/indent --check
