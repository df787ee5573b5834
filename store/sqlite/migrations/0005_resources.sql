-- Resources other services keep as JSON documents (SageMaker jobs, models, endpoints...),
-- named uniquely per kind. status is kept beside the document so lists can filter on it
-- without reading documents; version counts updates for compare-and-swap.
CREATE TABLE resources (
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    arn        TEXT NOT NULL,
    status     TEXT NOT NULL,
    doc        BLOB NOT NULL,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, name)
);

-- "The jobs of this kind still InProgress", by name.
CREATE INDEX resources_by_status ON resources (kind, status, name);
