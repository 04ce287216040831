-- What each hub of a shared fleet sees (leader election on): every hub writes its own rows, the
-- Ready status and reason of each Backend and Site as its probes, heartbeat and tunnel judge them,
-- and touches its row of hubs while it runs. The leader merges them into status.hubs. Not fenced:
-- a hub only ever writes rows of its own name.
CREATE TABLE hubs (
    hub     text        PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hub_views (
    hub     text        NOT NULL,
    kind    text        NOT NULL CHECK (kind IN ('Site', 'Backend')),
    name    text        NOT NULL,
    status  text        NOT NULL,
    reason  text,
    since   timestamptz,
    seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (hub, kind, name)
);
