-- Switchboard's platform records and the resource table source.
-- Rows are never dropped by the application: removed things get deleted_at; only the explicit
-- retention functions at the end delete (old per-minute probe aggregates and stale events).

-- ---------------------------------------------------------------------------------------------
-- resources: the table source. Operators (or tools) insert Site/Service/Backend rows; the
-- reconcilers read them like manifests and write status back into the same row.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE resources (
    id          bigserial   PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('Site', 'Service', 'Backend')),
    name        text        NOT NULL CHECK (name ~ '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' AND length(name) <= 253),
    spec        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    labels      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    generation  bigint      NOT NULL DEFAULT 1,
    status      jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

-- A name is unique per kind among live rows; deleted rows stay as history.
CREATE UNIQUE INDEX resources_live_kind_name ON resources (kind, name) WHERE deleted_at IS NULL;

-- Generation is owned by the database, as metadata.generation is owned by the API server: it moves
-- when spec or labels change, whoever wrote the row (the adapter or an operator with psql).
CREATE FUNCTION resources_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.spec IS DISTINCT FROM OLD.spec OR NEW.labels IS DISTINCT FROM OLD.labels THEN
        NEW.generation := OLD.generation + 1;
    ELSE
        NEW.generation := OLD.generation;
    END IF;
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER resources_generation BEFORE UPDATE ON resources
    FOR EACH ROW EXECUTE FUNCTION resources_bump_generation();

-- Notify listeners of desired-state changes only. Status-only updates are what the reconcilers
-- write; notifying on them would wake the reconcilers for their own writes, in a loop.
CREATE FUNCTION resources_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    op text;
    r  resources;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.deleted_at IS NOT NULL THEN RETURN NULL; END IF;
        op := 'UPSERT'; r := NEW;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.deleted_at IS NOT NULL THEN RETURN NULL; END IF;
        op := 'DELETE'; r := OLD;
    ELSE
        IF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN
            op := 'DELETE';
        ELSIF NEW.deleted_at IS NULL AND (NEW.spec IS DISTINCT FROM OLD.spec
                OR NEW.labels IS DISTINCT FROM OLD.labels
                OR OLD.deleted_at IS NOT NULL
                OR NEW.kind IS DISTINCT FROM OLD.kind
                OR NEW.name IS DISTINCT FROM OLD.name) THEN
            op := 'UPSERT';
        ELSE
            RETURN NULL;
        END IF;
        r := NEW;
    END IF;
    PERFORM pg_notify('switchboard_resources',
        json_build_object('op', op, 'kind', r.kind, 'name', r.name, 'generation', r.generation)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER resources_changed AFTER INSERT OR UPDATE OR DELETE ON resources
    FOR EACH ROW EXECUTE FUNCTION resources_notify();

-- ---------------------------------------------------------------------------------------------
-- inventory: every Site/Service/Backend seen from any source (manifest directory, resource table),
-- with its last known spec and status. A removed resource keeps its row with deleted_at set; a
-- resource re-created later gets a new row, so the table is the history of what existed when.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE inventory (
    id          bigserial   PRIMARY KEY,
    kind        text        NOT NULL,
    name        text        NOT NULL,
    source      text        NOT NULL,
    spec        jsonb       NOT NULL,
    status      jsonb,
    generation  bigint      NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

CREATE UNIQUE INDEX inventory_live_kind_name ON inventory (kind, name) WHERE deleted_at IS NULL;
CREATE INDEX inventory_kind_name ON inventory (kind, name, first_seen);

-- ---------------------------------------------------------------------------------------------
-- health_transitions: one row per change of a backend's health state (not per probe).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE health_transitions (
    id          bigserial   PRIMARY KEY,
    backend     text        NOT NULL,
    from_state  text,
    to_state    text        NOT NULL,
    reason      text        NOT NULL,
    message     text,
    latency_ms  integer,
    at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX health_transitions_backend_at ON health_transitions (backend, at DESC, id DESC);

-- ---------------------------------------------------------------------------------------------
-- probe_minutes: compact per-backend, per-minute probe aggregates. latency_buckets counts probes
-- per latency bucket (bounds in docs/postgres.md) so percentiles can be estimated without storing
-- samples. Rows for one minute are merged (upsert adds), so a writer may flush partial minutes.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE probe_minutes (
    backend         text        NOT NULL,
    minute          timestamptz NOT NULL CHECK (date_trunc('minute', minute) = minute),
    probes          integer     NOT NULL CHECK (probes >= 0),
    failures        integer     NOT NULL CHECK (failures >= 0 AND failures <= probes),
    latency_sum_ms  bigint      NOT NULL,
    latency_max_ms  integer     NOT NULL,
    latency_buckets integer[]   NOT NULL,
    PRIMARY KEY (backend, minute)
);

CREATE INDEX probe_minutes_minute ON probe_minutes (minute);

-- Retention: delete aggregates older than keep; returns the number of rows deleted.
CREATE FUNCTION prune_probe_minutes(keep interval) RETURNS bigint LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM probe_minutes WHERE minute < now() - keep RETURNING 1)
    SELECT count(*) FROM gone;
$$;

-- ---------------------------------------------------------------------------------------------
-- config_revisions: every configuration pushed to Caddy, with the outcome.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE config_revisions (
    id          bigserial   PRIMARY KEY,
    hash        text        NOT NULL,
    content     jsonb       NOT NULL,
    pushed_at   timestamptz NOT NULL DEFAULT now(),
    result      text        NOT NULL CHECK (result IN ('APPLIED', 'FAILED')),
    error       text
);

CREATE INDEX config_revisions_pushed_at ON config_revisions (pushed_at DESC, id DESC);
CREATE INDEX config_revisions_hash ON config_revisions (hash);

-- ---------------------------------------------------------------------------------------------
-- events: Kubernetes-style events, deduplicated on object + type + reason + message.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE events (
    id          bigserial   PRIMARY KEY,
    object_kind text        NOT NULL,
    object_name text        NOT NULL,
    type        text        NOT NULL CHECK (type IN ('Normal', 'Warning')),
    reason      text        NOT NULL,
    message     text        NOT NULL,
    count       integer     NOT NULL DEFAULT 1,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

-- md5(message): messages can be long, the dedup key only needs to tell them apart.
CREATE UNIQUE INDEX events_dedup ON events (object_kind, object_name, type, reason, md5(message));
CREATE INDEX events_object_last_seen ON events (object_kind, object_name, last_seen DESC);

-- Retention: delete events not seen for longer than keep; returns the number of rows deleted.
CREATE FUNCTION prune_events(keep interval) RETURNS bigint LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM events WHERE last_seen < now() - keep RETURNING 1)
    SELECT count(*) FROM gone;
$$;
