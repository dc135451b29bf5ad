-- Users of the demo application.
CREATE TABLE users (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text NOT NULL UNIQUE,
    account_name text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL
);

INSERT INTO accounts (name) VALUES ('acme'), ('globex');
INSERT INTO users (email, account_name) VALUES ('ada@acme.test', 'acme'), ('bob@globex.test', 'globex');
