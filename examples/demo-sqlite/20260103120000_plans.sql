-- Accounts get a billing plan.
ALTER TABLE accounts ADD COLUMN plan_id INTEGER;
ALTER TABLE accounts ADD COLUMN tier TEXT NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'team', 'enterprise'));

CREATE VIEW account_overview AS
    SELECT a.id, a.name, a.tier, count(u.id) AS users
    FROM accounts a LEFT JOIN users u ON u.account_id = a.id
    GROUP BY a.id, a.name, a.tier;
