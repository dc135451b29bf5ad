#!/usr/bin/env python3
"""Random migration histories for the PostgreSQL property test.

    gen.py SEED STEPS OUTDIR

writes STEPS migration files (<version>_<name>.sql) into OUTDIR.  The
generator keeps a model of the schema so that every statement is valid when
the files run in order; the histories exercise every object kind the revert
covers: schemas, tables (plain, partitioned, partitions), columns (types,
defaults, NOT NULL, identity, generated, collation, renames), constraints
(PK, UNIQUE, CHECK, FK, EXCLUDE), indexes (partial, expression), sequences
(owned and free), views and materialized views, functions and procedures,
triggers, enum / domain / composite types, comments and privileges.
"""
import os
import random
import sys

INT_TYPES = ["integer", "bigint", "smallint"]
SCALAR_TYPES = INT_TYPES + ["text", "varchar(20)", "numeric(10,2)", "boolean",
                            "timestamptz", "date", "jsonb"]
# castable changes on empty tables: old -> candidates
TYPE_CHANGES = {
    "integer": ["bigint", "numeric(12,2)", "text"],
    "bigint": ["integer", "numeric(20,0)"],
    "smallint": ["integer", "bigint"],
    "text": ["varchar(40)", "varchar(20)"],
    "varchar(20)": ["varchar(40)", "text"],
    "varchar(40)": ["text", "varchar(20)"],
    "numeric(10,2)": ["numeric(12,3)", "numeric(8,2)"],
    "numeric(12,3)": ["numeric(10,2)"],
    "numeric(8,2)": ["numeric(10,2)"],
    "numeric(12,2)": ["integer"],
    "numeric(20,0)": ["bigint"],
    "date": ["timestamptz"],
    "timestamptz": ["date"],
}
DEFAULTS = {
    "integer": ["0", "42", "-1"], "bigint": ["0", "7"], "smallint": ["1"],
    "text": ["'x'", "''", "'n/a'"], "varchar(20)": ["'v'"], "varchar(40)": ["'w'"],
    "numeric(10,2)": ["0", "1.5"], "numeric(12,3)": ["0"], "numeric(8,2)": ["2"],
    "numeric(12,2)": ["0"], "numeric(20,0)": ["0"],
    "boolean": ["false", "true"], "timestamptz": ["now()", "'2020-01-01 00:00+00'"],
    "date": ["CURRENT_DATE", "'2020-01-01'"], "jsonb": ["'{}'::jsonb"],
}
NUMERIC = set(INT_TYPES) | {"numeric(10,2)", "numeric(12,3)", "numeric(8,2)",
                            "numeric(12,2)", "numeric(20,0)"}


class Col:
    def __init__(self, name, typ):
        self.name = name
        self.typ = typ
        self.notnull = False
        self.default = None
        self.identity = None      # 'ALWAYS' / 'BY DEFAULT'
        self.generated = None     # expression text
        self.collate = None


class Table:
    def __init__(self, schema, name):
        self.schema = schema
        self.name = name
        self.cols = []
        self.pk = None            # constraint name
        self.pkcols = []
        self.cons = {}            # name -> (kind, cols, extra)
        self.indexes = {}         # name -> cols
        self.triggers = {}        # name -> function
        self.partitioned = False  # PARTITION BY RANGE (key)
        self.partkey = None
        self.parent = None        # partition of
        self.bound = None
        self.seqs = []            # owned sequences (serial)
        self.unlogged = False

    @property
    def q(self):
        return f"{self.schema}.{self.name}"

    def col(self, name):
        for c in self.cols:
            if c.name == name:
                return c
        return None


class Model:
    def __init__(self, rnd):
        self.r = rnd
        self.n = 0
        self.schemas = ["public"]
        self.tables = {}          # q -> Table
        self.views = {}           # q -> (materialized, [table q], [(table q, col)])
        self.seqs = {}            # q -> owner (table q, col) or None
        self.enums = {}           # q -> labels
        self.domains = {}         # q -> base type
        self.composites = {}      # q -> [(name, type)]
        self.funcs = {}           # q -> kind ('trigger', 'sql', 'plpgsql', 'procedure', 'atomic')
        self.atomic_deps = {}     # function q -> (table q, col)
        self.view_extras = {}     # view q -> extra select items

    def name(self, prefix):
        self.n += 1
        return f"{prefix}{self.n}"

    # ---- dependency questions -------------------------------------------
    def views_on_table(self, tq):
        return [v for v, (_, ts, _) in self.views.items() if tq in ts]

    def col_used(self, t, cname):
        if cname in t.pkcols:
            return True
        for kind, cols, extra in t.cons.values():
            if cname in cols:
                return True
        for cols in t.indexes.values():
            if cname in cols:
                return True
        for c in t.cols:
            if c.generated and cname in c.generated.split('"'):
                return True
        for _, (_, _, cols) in self.views.items():
            if (t.q, cname) in cols:
                return True
        for other in self.tables.values():
            for kind, cols, extra in other.cons.values():
                if kind == "f" and extra[0] == t.q and cname in extra[1]:
                    return True
        if t.partkey == cname:
            return True
        if t.parent or t.partitioned:
            return True       # keep partition column sets stable
        for f, dep in self.atomic_deps.items():
            if dep == (t.q, cname):
                return True
        return False

    def table_referenced(self, t):
        if self.views_on_table(t.q):
            return True
        for other in self.tables.values():
            if other is t:
                continue
            if other.parent == t.q:
                return True
            for kind, cols, extra in other.cons.values():
                if kind == "f" and extra[0] == t.q:
                    return True
        for f, dep in self.atomic_deps.items():
            if dep[0] == t.q:
                return True
        return False

    def type_used(self, tq):
        for t in self.tables.values():
            for c in t.cols:
                if c.typ == tq:
                    return True
        for attrs in self.composites.values():
            for _, typ in attrs:
                if typ == tq:
                    return True
        return False


def qi(name):
    return name


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.m = Model(self.r)

    # ---- helpers ------------------------------------------------------------
    def pick_table(self, pred=lambda t: True):
        ts = [t for t in self.m.tables.values() if pred(t)]
        return self.r.choice(sorted(ts, key=lambda t: t.q)) if ts else None

    def col_type(self):
        choices = list(SCALAR_TYPES)
        choices += sorted(self.m.enums) + sorted(self.m.domains)
        return self.r.choice(choices)

    def col_def(self, c):
        s = f"{c.name} {c.typ}"
        if c.collate:
            s += f' COLLATE "{c.collate}"'
        if c.identity:
            s += f" GENERATED {c.identity} AS IDENTITY"
        if c.generated:
            s += f" GENERATED ALWAYS AS ({c.generated}) STORED"
        if c.default is not None:
            s += f" DEFAULT {c.default}"
        if c.notnull:
            s += " NOT NULL"
        return s

    def default_for(self, typ):
        if typ in DEFAULTS:
            return self.r.choice(DEFAULTS[typ])
        if typ in self.m.enums:
            return "'" + self.m.enums[typ][0] + "'"
        return None

    # ---- operations: each returns a list of SQL statements or None ----------
    def op_create_schema(self):
        if len(self.m.schemas) >= 3:
            return None
        s = self.m.name("s")
        self.m.schemas.append(s)
        return [f"CREATE SCHEMA {s};"]

    def op_create_table(self):
        schema = self.r.choice(self.m.schemas)
        t = Table(schema, self.m.name("t"))
        id_ = Col("id", self.r.choice(["integer", "bigint"]))
        kind = self.r.random()
        if kind < 0.4:
            id_.identity = self.r.choice(["ALWAYS", "BY DEFAULT"])
        id_.notnull = True
        t.cols.append(id_)
        serial = None
        if kind >= 0.4 and kind < 0.55:
            serial = Col("id", "serial")
        for _ in range(self.r.randint(1, 3)):
            c = Col(self.m.name("c"), self.col_type())
            if self.r.random() < 0.3:
                d = self.default_for(c.typ)
                if d is not None:
                    c.default = d
            if self.r.random() < 0.2 and c.default is not None:
                c.notnull = True
            if c.typ in ("text", "varchar(20)") and self.r.random() < 0.2:
                c.collate = "C"
            t.cols.append(c)
        parts = []
        for c in t.cols:
            if c is id_ and serial:
                parts.append("id serial")
            else:
                parts.append(self.col_def(c))
        pk = self.r.random() < 0.8
        if pk:
            t.pk = f"{t.name}_pkey"
            t.pkcols = ["id"]
            parts.append("PRIMARY KEY (id)")
        sql = [f"CREATE TABLE {t.q} (\n    " + ",\n    ".join(parts) + "\n);"]
        if serial:
            id_.typ = "integer"
            id_.default = f"nextval('{t.q}_id_seq'::regclass)"
            self.m.seqs[f"{t.schema}.{t.name}_id_seq"] = (t.q, "id")
            t.seqs.append(f"{t.schema}.{t.name}_id_seq")
        self.m.tables[t.q] = t
        if self.r.random() < 0.3:
            sql.append(f"COMMENT ON TABLE {t.q} IS 'table {t.name}';")
        return sql

    def op_create_partitioned(self):
        schema = self.r.choice(self.m.schemas)
        t = Table(schema, self.m.name("pt"))
        t.partitioned = True
        t.partkey = "k"
        t.cols = [Col("k", "integer"), Col("v", "text")]
        t.cols[0].notnull = True
        self.m.tables[t.q] = t
        sql = [f"CREATE TABLE {t.q} (k integer NOT NULL, v text) PARTITION BY RANGE (k);"]
        for i in range(self.r.randint(1, 2)):
            sql += self._partition(t, i * 100, (i + 1) * 100)
        return sql

    def _partition(self, parent, lo, hi):
        p = Table(parent.schema, f"{parent.name}_p{lo}")
        if p.q in self.m.tables:
            return []
        p.parent = parent.q
        p.bound = (lo, hi)
        p.cols = [Col("k", "integer"), Col("v", "text")]
        p.cols[0].notnull = True
        self.m.tables[p.q] = p
        return [f"CREATE TABLE {p.q} PARTITION OF {parent.q} FOR VALUES FROM ({lo}) TO ({hi});"]

    def op_add_partition(self):
        t = self.pick_table(lambda t: t.partitioned)
        if not t:
            return None
        n = len([p for p in self.m.tables.values() if p.parent == t.q])
        return self._partition(t, n * 100 + 1000, n * 100 + 1100) or None

    def op_detach_partition(self):
        p = self.pick_table(lambda t: t.parent is not None and not self.m.table_referenced(t))
        if not p:
            return None
        parent = p.parent
        p.parent = None
        if self.r.random() < 0.5:
            del self.m.tables[p.q]
            return [f"ALTER TABLE {parent} DETACH PARTITION {p.q};", f"DROP TABLE {p.q};"]
        # keep it as a plain table; the columns are then local
        return [f"ALTER TABLE {parent} DETACH PARTITION {p.q};"]

    def op_drop_table(self):
        t = self.pick_table(lambda t: not self.m.table_referenced(t) and not t.partitioned)
        if not t:
            return None
        del self.m.tables[t.q]
        for s in t.seqs:
            self.m.seqs.pop(s, None)
        for f in [f for f, v in self.m.funcs.items() if v == "trigger"]:
            pass
        return [f"DROP TABLE {t.q};"]

    def op_rename_table(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned and not t.seqs
                            and not self.m.table_referenced(t))
        if not t:
            return None
        old = t.q
        t.name = self.m.name("rt")
        del self.m.tables[old]
        self.m.tables[t.q] = t
        return [f"ALTER TABLE {old} RENAME TO {t.name};"]

    def op_add_column(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not t:
            return None
        c = Col(self.m.name("c"), self.col_type())
        r = self.r.random()
        if r < 0.35:
            c.default = self.default_for(c.typ)
            if c.default is not None and self.r.random() < 0.5:
                c.notnull = True
        elif r < 0.45 and c.typ in NUMERIC:
            src = [x for x in t.cols if x.typ in ("integer", "bigint", "smallint")
                   and not x.generated]
            if src:
                s = self.r.choice(src)
                c.typ = "bigint"
                c.generated = f'"{s.name}" * 2'
        t.cols.append(c)
        return [f"ALTER TABLE {t.q} ADD COLUMN {self.col_def(c)};"]

    def op_drop_column(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not t:
            return None
        cands = [c for c in t.cols if c.name != "id" and not self.m.col_used(t, c.name)]
        if not cands:
            return None
        c = self.r.choice(cands)
        t.cols.remove(c)
        return [f"ALTER TABLE {t.q} DROP COLUMN {c.name};"]

    def op_rename_column(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not t:
            return None
        cands = [c for c in t.cols if c.name != "id" and not self.m.col_used(t, c.name)]
        if not cands:
            return None
        c = self.r.choice(cands)
        old = c.name
        c.name = self.m.name("rc")
        return [f"ALTER TABLE {t.q} RENAME COLUMN {old} TO {c.name};"]

    def op_alter_type(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not t:
            return None
        cands = [c for c in t.cols if c.typ in TYPE_CHANGES and not c.generated
                 and not c.identity and not self.m.col_used(t, c.name)
                 and not (c.default and "nextval" in c.default)]
        if not cands:
            return None
        c = self.r.choice(cands)
        new = self.r.choice(TYPE_CHANGES[c.typ])
        sql = []
        if c.default is not None:
            sql.append(f"ALTER TABLE {t.q} ALTER COLUMN {c.name} DROP DEFAULT;")
            c.default = None
            c.notnull = False
            sql.append(f"ALTER TABLE {t.q} ALTER COLUMN {c.name} DROP NOT NULL;")
        c.typ = new
        c.collate = None
        sql.append(f"ALTER TABLE {t.q} ALTER COLUMN {c.name} TYPE {new} USING {c.name}::{new};")
        return sql

    def op_default(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not t:
            return None
        cands = [c for c in t.cols if not c.identity and not c.generated
                 and not (c.default and "nextval" in c.default)]
        if not cands:
            return None
        c = self.r.choice(cands)
        if c.default is not None and not c.notnull:
            c.default = None
            return [f"ALTER TABLE {t.q} ALTER COLUMN {c.name} DROP DEFAULT;"]
        d = self.default_for(c.typ)
        if d is None:
            return None
        c.default = d
        return [f"ALTER TABLE {t.q} ALTER COLUMN {c.name} SET DEFAULT {d};"]

    def op_notnull(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not t:
            return None
        cands = [c for c in t.cols if c.name not in t.pkcols and not c.identity]
        if not cands:
            return None
        c = self.r.choice(cands)
        c.notnull = not c.notnull
        return [f"ALTER TABLE {t.q} ALTER COLUMN {c.name} {'SET' if c.notnull else 'DROP'} NOT NULL;"]

    def op_identity(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not t:
            return None
        c = t.col("id")
        if c is None or (c.default and "nextval" in c.default) or c.default is not None:
            return None
        if c.identity:
            if self.r.random() < 0.5:
                c.identity = None
                return [f"ALTER TABLE {t.q} ALTER COLUMN id DROP IDENTITY;"]
            c.identity = "BY DEFAULT" if c.identity == "ALWAYS" else "ALWAYS"
            return [f"ALTER TABLE {t.q} ALTER COLUMN id SET GENERATED {c.identity};"]
        if not c.notnull or c.typ not in ("integer", "bigint", "smallint"):
            return None
        c.identity = "BY DEFAULT"
        return [f"ALTER TABLE {t.q} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 100);"]

    def op_unique(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not t:
            return None
        cands = [c for c in t.cols if c.typ in SCALAR_TYPES and c.typ != "jsonb" and not c.generated]
        if not cands:
            return None
        c = self.r.choice(cands)
        name = self.m.name("uq")
        t.cons[name] = ("u", [c.name], None)
        return [f"ALTER TABLE {t.q} ADD CONSTRAINT {name} UNIQUE ({c.name});"]

    def op_check(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not t:
            return None
        cands = [c for c in t.cols if c.typ in NUMERIC]
        if not cands:
            return None
        c = self.r.choice(cands)
        name = self.m.name("ck")
        t.cons[name] = ("c", [c.name], None)
        return [f"ALTER TABLE {t.q} ADD CONSTRAINT {name} CHECK ({c.name} > -1000);"]

    def op_fk(self):
        ref = self.pick_table(lambda t: t.pkcols == ["id"] and not t.parent and not t.partitioned)
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not ref or not t or (ref.unlogged and not t.unlogged):
            return None
        refid = ref.col("id")
        c = Col(self.m.name("fk"), refid.typ)
        t.cols.append(c)
        name = self.m.name("fkc")
        t.cons[name] = ("f", [c.name], (ref.q, ["id"]))
        action = self.r.choice(["", " ON DELETE CASCADE", " ON DELETE SET NULL"])
        return [f"ALTER TABLE {t.q} ADD COLUMN {c.name} {c.typ};",
                f"ALTER TABLE {t.q} ADD CONSTRAINT {name} FOREIGN KEY ({c.name}) REFERENCES {ref.q} (id){action};"]

    def op_exclude(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not t:
            return None
        cands = [c for c in t.cols if c.typ in ("integer", "bigint", "text") and not c.generated]
        if not cands:
            return None
        c = self.r.choice(cands)
        name = self.m.name("ex")
        t.cons[name] = ("x", [c.name], None)
        return [f"ALTER TABLE {t.q} ADD CONSTRAINT {name} EXCLUDE USING btree ({c.name} WITH =);"]

    def op_drop_constraint(self):
        t = self.pick_table(lambda t: t.cons)
        if not t:
            return None
        name = self.r.choice(sorted(t.cons))
        del t.cons[name]
        return [f"ALTER TABLE {t.q} DROP CONSTRAINT {name};"]

    def op_index(self):
        t = self.pick_table(lambda t: not t.parent)
        if not t:
            return None
        cands = [c for c in t.cols if c.typ != "jsonb"]
        if not cands:
            return None
        c = self.r.choice(cands)
        name = self.m.name("ix")
        t.indexes[name] = [c.name]
        r = self.r.random()
        if r < 0.3 and c.typ in ("text", "varchar(20)", "varchar(40)"):
            return [f"CREATE INDEX {name} ON {t.q} (lower({c.name}));"]
        if r < 0.6 and not t.partitioned:
            return [f"CREATE INDEX {name} ON {t.q} ({c.name}) WHERE {c.name} IS NOT NULL;"]
        uniq = "UNIQUE " if (r > 0.9 and not t.partitioned) else ""
        return [f"CREATE {uniq}INDEX {name} ON {t.q} ({c.name});"]

    def op_drop_index(self):
        t = self.pick_table(lambda t: t.indexes)
        if not t:
            return None
        name = self.r.choice(sorted(t.indexes))
        del t.indexes[name]
        return [f"DROP INDEX {t.schema}.{name};"]

    def op_rename_index(self):
        t = self.pick_table(lambda t: t.indexes)
        if not t:
            return None
        name = self.r.choice(sorted(t.indexes))
        new = self.m.name("rix")
        t.indexes[new] = t.indexes.pop(name)
        return [f"ALTER INDEX {t.schema}.{name} RENAME TO {new};"]

    def op_sequence(self):
        free = [s for s, o in self.m.seqs.items() if o is None]
        if free and self.r.random() < 0.4:
            s = self.r.choice(sorted(free))
            if self.r.random() < 0.5:
                del self.m.seqs[s]
                return [f"DROP SEQUENCE {s};"]
            return [f"ALTER SEQUENCE {s} INCREMENT BY {self.r.randint(2, 9)} MAXVALUE 100000;"]
        s = f"{self.r.choice(self.m.schemas)}.{self.m.name('seq')}"
        self.m.seqs[s] = None
        return [f"CREATE SEQUENCE {s} START WITH {self.r.randint(1, 50)} CACHE {self.r.randint(1, 3)};"]

    def op_view(self):
        t = self.pick_table(lambda t: not t.parent)
        if not t:
            return None
        cols = self.r.sample(t.cols, min(len(t.cols), self.r.randint(1, 2)))
        name = f"{self.r.choice(self.m.schemas)}.{self.m.name('v')}"
        mat = self.r.random() < 0.25
        self.m.views[name] = (mat, [t.q], [(t.q, c.name) for c in cols])
        sel = ", ".join(c.name for c in cols)
        kw = "MATERIALIZED VIEW" if mat else "VIEW"
        sql = [f"CREATE {kw} {name} AS SELECT {sel} FROM {t.q};"]
        if self.r.random() < 0.3:
            sql.append(f"COMMENT ON {kw} {name} IS 'view';")
        return sql

    def op_replace_view(self):
        cands = [v for v, (mat, _, _) in self.m.views.items() if not mat
                 and not any(v in ts for _, ts, _ in self.m.views.values())]
        if not cands:
            return None
        v = self.r.choice(sorted(cands))
        mat, ts, cols = self.m.views[v]
        # CREATE OR REPLACE may only add columns at the end: keep the earlier
        # extra columns and add one
        extras = self.m.view_extras.setdefault(v, [])
        extras.append(f"{len(extras) + 1} AS x{self.m.name('')}")
        sel = ", ".join([c for _, c in cols] + extras)
        return [f"CREATE OR REPLACE VIEW {v} AS SELECT {sel} FROM {ts[0]};"]

    def op_drop_view(self):
        cands = [v for v in self.m.views if not any(v in ts for _, ts, _ in self.m.views.values())]
        if not cands:
            return None
        v = self.r.choice(sorted(cands))
        mat = self.m.views.pop(v)[0]
        self.m.view_extras.pop(v, None)
        return [f"DROP {'MATERIALIZED VIEW' if mat else 'VIEW'} {v};"]

    def op_function(self):
        s = self.r.choice(self.m.schemas)
        name = f"{s}.{self.m.name('f')}"
        r = self.r.random()
        if r < 0.3:
            self.m.funcs[name] = "sql"
            return [f"CREATE FUNCTION {name}(a integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT a + 1 $$;"]
        if r < 0.55:
            self.m.funcs[name] = "plpgsql"
            return [f"CREATE FUNCTION {name}(a text, b integer DEFAULT 2) RETURNS text LANGUAGE plpgsql AS $f$\nBEGIN\n    RETURN repeat(a, b); -- ; inside\nEND;\n$f$;"]
        if r < 0.7:
            self.m.funcs[name] = "procedure"
            return [f"CREATE PROCEDURE {name}(x integer) LANGUAGE plpgsql AS $$ BEGIN PERFORM x; END $$;"]
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if t and r < 0.85:
            self.m.funcs[name] = "atomic"
            self.m.atomic_deps[name] = (t.q, "id")
            return [f"CREATE FUNCTION {name}() RETURNS bigint LANGUAGE sql\nBEGIN ATOMIC\n    SELECT count(id) FROM {t.q};\nEND;"]
        self.m.funcs[name] = "trigger"
        return [f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RETURN NEW;\nEND\n$$;"]

    def op_replace_function(self):
        cands = [f for f, k in self.m.funcs.items() if k in ("sql", "plpgsql")]
        if not cands:
            return None
        f = self.r.choice(sorted(cands))
        if self.m.funcs[f] == "sql":
            return [f"CREATE OR REPLACE FUNCTION {f}(a integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT a + {self.r.randint(2, 9)} $$;"]
        return [f"CREATE OR REPLACE FUNCTION {f}(a text, b integer DEFAULT 2) RETURNS text LANGUAGE plpgsql AS $f$\nBEGIN\n    RETURN upper(repeat(a, b));\nEND;\n$f$;",
                f"COMMENT ON FUNCTION {f}(text, integer) IS 'repeat';"]

    def op_drop_function(self):
        used = set()
        for t in self.m.tables.values():
            used |= set(t.triggers.values())
        cands = [f for f in self.m.funcs if f not in used]
        if not cands:
            return None
        f = self.r.choice(sorted(cands))
        kind = self.m.funcs.pop(f)
        self.m.atomic_deps.pop(f, None)
        sig = {"sql": "(integer)", "plpgsql": "(text, integer)", "procedure": "(integer)",
               "atomic": "()", "trigger": "()", "sql_bigint": "(integer)"}[kind]
        return [f"DROP {'PROCEDURE' if kind == 'procedure' else 'FUNCTION'} {f}{sig};"]

    def op_trigger(self):
        fs = [f for f, k in self.m.funcs.items() if k == "trigger"]
        t = self.pick_table(lambda t: not t.parent and not t.partitioned)
        if not fs or not t:
            return None
        f = self.r.choice(sorted(fs))
        name = self.m.name("tg")
        t.triggers[name] = f
        when = self.r.choice(["BEFORE INSERT", "BEFORE INSERT OR UPDATE", "AFTER DELETE"])
        return [f"CREATE TRIGGER {name} {when} ON {t.q} FOR EACH ROW EXECUTE FUNCTION {f}();"]

    def op_drop_trigger(self):
        t = self.pick_table(lambda t: t.triggers)
        if not t:
            return None
        name = self.r.choice(sorted(t.triggers))
        del t.triggers[name]
        return [f"DROP TRIGGER {name} ON {t.q};"]

    def op_enum(self):
        if self.m.enums and self.r.random() < 0.5:
            e = self.r.choice(sorted(self.m.enums))
            lab = self.m.name("l")
            self.m.enums[e].append(lab)
            return [f"ALTER TYPE {e} ADD VALUE '{lab}';"]
        e = f"{self.r.choice(self.m.schemas)}.{self.m.name('en')}"
        self.m.enums[e] = ["a", "b", "c"]
        return [f"CREATE TYPE {e} AS ENUM ('a', 'b', 'c');"]

    def op_domain(self):
        d = f"{self.r.choice(self.m.schemas)}.{self.m.name('dom')}"
        self.m.domains[d] = "integer"
        DEFAULTS[d] = ["1"]
        NUMERIC.add(d)
        return [f"CREATE DOMAIN {d} AS integer DEFAULT 1 CHECK (VALUE > 0);"]

    def op_composite(self):
        c = f"{self.r.choice(self.m.schemas)}.{self.m.name('ct')}"
        self.m.composites[c] = [("x", "integer"), ("y", "text")]
        return [f"CREATE TYPE {c} AS (x integer, y text);"]

    def op_drop_type(self):
        cands = [t for t in list(self.m.enums) + list(self.m.domains) + list(self.m.composites)
                 if not self.m.type_used(t)]
        if not cands:
            return None
        t = self.r.choice(sorted(cands))
        self.m.enums.pop(t, None)
        self.m.composites.pop(t, None)
        if self.m.domains.pop(t, None):
            DEFAULTS.pop(t, None)
            NUMERIC.discard(t)
            return [f"DROP DOMAIN {t};"]
        return [f"DROP TYPE {t};"]

    def op_comment_column(self):
        t = self.pick_table()
        if not t:
            return None
        c = self.r.choice(t.cols)
        text = "NULL" if self.r.random() < 0.2 else f"'column {c.name} v{self.m.n}'"
        self.m.n += 1
        return [f"COMMENT ON COLUMN {t.q}.{c.name} IS {text};"]

    # ---- added operations: privileges, enum values, domain constraints,
    # composite attributes, trigger state, persistence, schema moves, a
    # routine made again with another result type

    def op_grant(self):
        t = self.pick_table()
        if not t:
            return None
        r = self.r.random()
        if r < 0.4:
            return [f"GRANT SELECT ON {t.q} TO PUBLIC;"]
        if r < 0.7:
            return [f"REVOKE ALL ON {t.q} FROM PUBLIC;"]
        c = self.r.choice(t.cols)
        return [f"GRANT SELECT ({c.name}) ON {t.q} TO PUBLIC;"]

    def op_enum_rename(self):
        if not self.m.enums:
            return None
        e = self.r.choice(sorted(self.m.enums))
        labels = self.m.enums[e]
        i = self.r.randrange(len(labels))
        new = self.m.name("rl")
        old = labels[i]
        labels[i] = new
        # defaults naming the old label follow the rename in the catalog
        for t in self.m.tables.values():
            for c in t.cols:
                if c.typ == e and c.default == f"'{old}'":
                    c.default = f"'{new}'"
        return [f"ALTER TYPE {e} RENAME VALUE '{old}' TO '{new}';"]

    def op_domain_constraint(self):
        if not self.m.domains:
            return None
        d = self.r.choice(sorted(self.m.domains))
        name = self.m.name("dc")
        return [f"ALTER DOMAIN {d} ADD CONSTRAINT {name} CHECK (VALUE < 1000000);"]

    def op_composite_attr(self):
        cands = [c for c in sorted(self.m.composites) if not self.m.type_used(c)]
        if not cands:
            return None
        c = self.r.choice(cands)
        attrs = self.m.composites[c]
        if len(attrs) > 2 and self.r.random() < 0.5:
            name, _ = attrs.pop()
            return [f"ALTER TYPE {c} DROP ATTRIBUTE {name};"]
        name = self.m.name("a")
        attrs.append((name, "date"))
        return [f"ALTER TYPE {c} ADD ATTRIBUTE {name} date;"]

    def op_trigger_state(self):
        t = self.pick_table(lambda t: t.triggers)
        if not t:
            return None
        tg = self.r.choice(sorted(t.triggers))
        what = self.r.choice(["DISABLE", "ENABLE ALWAYS", "ENABLE"])
        return [f"ALTER TABLE {t.q} {what} TRIGGER {tg};"]

    def op_persistence(self):
        t = self.pick_table(lambda t: not t.parent and not t.partitioned and not t.seqs
                            and not self.m.table_referenced(t)
                            and not any(k == "f" for k, _, _ in t.cons.values()))
        if not t:
            return None
        t.unlogged = self.r.random() < 0.6
        return [f"ALTER TABLE {t.q} SET {'UNLOGGED' if t.unlogged else 'LOGGED'};"]

    def op_set_schema(self):
        if len(self.m.schemas) < 2:
            return None
        t = self.pick_table(lambda t: not t.parent and not t.partitioned and not t.seqs
                            and not self.m.table_referenced(t))
        if not t:
            return None
        dest = self.r.choice([s for s in self.m.schemas if s != t.schema])
        if f"{dest}.{t.name}" in self.m.tables:
            return None
        old = t.q
        del self.m.tables[old]
        t.schema = dest
        self.m.tables[t.q] = t
        return [f"ALTER TABLE {old} SET SCHEMA {dest};"]

    def op_remake_function(self):
        cands = [f for f, k in self.m.funcs.items() if k == "sql"]
        if not cands:
            return None
        f = self.r.choice(sorted(cands))
        self.m.funcs[f] = "sql_bigint"
        return [f"DROP FUNCTION {f}(integer);",
                f"CREATE FUNCTION {f}(a integer) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT a::bigint * 2 $$;"]

    OPS = [
        ("op_create_table", 6), ("op_create_schema", 1), ("op_create_partitioned", 1),
        ("op_add_partition", 1), ("op_detach_partition", 1), ("op_drop_table", 2),
        ("op_rename_table", 1), ("op_add_column", 6), ("op_drop_column", 4),
        ("op_rename_column", 3), ("op_alter_type", 3), ("op_default", 3),
        ("op_notnull", 3), ("op_identity", 2), ("op_unique", 2), ("op_check", 2),
        ("op_fk", 2), ("op_exclude", 1), ("op_drop_constraint", 2), ("op_index", 3),
        ("op_drop_index", 2), ("op_rename_index", 1), ("op_sequence", 2),
        ("op_view", 3), ("op_replace_view", 1), ("op_drop_view", 2),
        ("op_function", 2), ("op_replace_function", 1), ("op_drop_function", 1),
        ("op_trigger", 2), ("op_drop_trigger", 1), ("op_enum", 2), ("op_domain", 1),
        ("op_composite", 1), ("op_drop_type", 1), ("op_comment_column", 2),
        ("op_grant", 1), ("op_enum_rename", 1), ("op_domain_constraint", 1),
        ("op_composite_attr", 1), ("op_trigger_state", 1), ("op_persistence", 1),
        ("op_set_schema", 1), ("op_remake_function", 1),
    ]

    def migration(self):
        names = [n for n, w in self.OPS for _ in range(w)]
        stmts = []
        tries = 0
        want = self.r.randint(1, 4)
        while len(stmts) < want and tries < 50:
            tries += 1
            if not self.m.tables:
                out = self.op_create_table()
            else:
                out = getattr(self, self.r.choice(names))()
            if out:
                stmts += out
        return stmts


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: gen.py SEED STEPS OUTDIR")
    seed, steps, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    g = Gen(seed)
    for i in range(1, steps + 1):
        stmts = g.migration()
        path = os.path.join(out, f"{i:04d}_step.sql")
        with open(path, "w") as f:
            f.write(f"-- seed {seed}, step {i}\n")
            f.write("\n".join(stmts) + "\n")


if __name__ == "__main__":
    main()
