-- Accounts get a billing plan.
CREATE TYPE plan_tier AS ENUM ('free', 'team', 'enterprise');

ALTER TABLE accounts ADD COLUMN plan_id integer;
ALTER TABLE accounts ADD COLUMN tier plan_tier NOT NULL DEFAULT 'free';

CREATE VIEW account_overview AS
    SELECT a.id, a.name, a.tier, count(u.id) AS users
    FROM accounts a LEFT JOIN users u ON u.account_id = a.id
    GROUP BY a.id, a.name, a.tier;
