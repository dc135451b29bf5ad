-- Replace the free-text account name by a reference to accounts.
ALTER TABLE users ADD COLUMN account_id INTEGER REFERENCES accounts (id);
ALTER TABLE users DROP COLUMN account_name;
CREATE INDEX users_account_id_idx ON users (account_id);
