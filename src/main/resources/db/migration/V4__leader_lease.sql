-- Which hub leads the fleet (two hubs share one database): one row per lease, held by the hub
-- named in holder until expires_at (the database's clock, never the hubs'). epoch grows by one at
-- every change of holder (and when a holder comes back after its lease ran out): a write that
-- must come from the leader checks the epoch it was given in the same statement (fencing).
CREATE TABLE leases (
    name        text PRIMARY KEY,
    holder      text        NOT NULL,
    epoch       bigint      NOT NULL,
    acquired_at timestamptz NOT NULL,
    renewed_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
