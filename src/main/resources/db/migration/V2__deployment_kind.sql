-- Deployments (phase II) are stored in the resources table like the other kinds.
ALTER TABLE resources DROP CONSTRAINT resources_kind_check;
ALTER TABLE resources
    ADD CONSTRAINT resources_kind_check CHECK (kind IN ('Site', 'Service', 'Backend', 'Deployment'));
