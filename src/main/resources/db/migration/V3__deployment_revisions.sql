-- ---------------------------------------------------------------------------------------------
-- deployment_revisions: every revision of every Deployment's template (image, port, env,
-- primaryEnv), kept after status.current/previous have moved on, so `sbctl rollout history` can
-- list them and `sbctl rollout undo --to-revision N` can go back to any of them. The row is written
-- when the revision starts rolling out; its state then moves (RollingOut -> Complete, RolledBack,
-- or Undone when the spec went back to the previous revision first) with state_changed_at. Revision numbers never repeat within a deployment (the
-- planner's rule), so (deployment, revision) is the key and a write is an upsert.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE deployment_revisions (
    deployment       text        NOT NULL,
    revision         integer     NOT NULL CHECK (revision >= 1),
    hash             text        NOT NULL,
    image            text        NOT NULL,
    port             integer,
    env              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    primary_env      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    state            text        NOT NULL
                                 CHECK (state IN ('RollingOut', 'Complete', 'RolledBack', 'Undone')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    state_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment, revision)
);
