-- Users and accounts of the demo application.
CREATE TABLE accounts (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    email        TEXT NOT NULL UNIQUE,
    account_name TEXT,
    created_at   TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO accounts (name) VALUES ('acme'), ('globex');
INSERT INTO users (email, account_name) VALUES ('ada@acme.test', 'acme'), ('bob@globex.test', 'globex');
