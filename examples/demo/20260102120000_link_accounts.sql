-- Replace the free-text account name by a reference to accounts.
ALTER TABLE users ADD COLUMN account_id bigint REFERENCES accounts (id);
UPDATE users SET account_id = accounts.id FROM accounts WHERE accounts.name = users.account_name;
ALTER TABLE users DROP COLUMN account_name;
CREATE INDEX users_account_id_idx ON users (account_id);
